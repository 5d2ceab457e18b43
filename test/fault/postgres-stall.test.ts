// Issue #8, item 9 and security bar 46: database latency above the timeout. A proxy between
// Portico and PostgreSQL stops moving bytes for 15 s (connections stay open) under load: every
// request answers 503 + Retry-After within the storage timeout (no request hangs), and once the
// traffic flows again Portico serves 2xx without a restart.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { freePort } from '../support/server.ts';
import { HttpClient } from './lib/http.ts';
import { startPortico, type PorticoProcess } from './lib/portico.ts';
import { isAlive, liveChildren } from './lib/procfs.ts';
import { StallProxy } from './lib/stall-proxy.ts';
import { byStatus, seedFixture, Traffic } from './lib/traffic.ts';

/** Longer than the bound below, so that many requests meet the stall with nothing but the timeout to answer. */
const STALL_MS = 15_000;
/**
 * Portico's PostgreSQL bounds (src/storage/sql/postgres.ts): 5 s to get a connection, 5 s per
 * statement (server side, useless when the network stalls) and a 6 s client-side read timeout.
 * A request meets at most one stalled round trip before it fails, so it must be answered within
 * the read timeout plus scheduling slack on this 2-core machine.
 */
const ANSWER_BOUND_MS = 6000 + 2000;

const skip = DIALECTS.includes('postgres') ? false : 'PostgreSQL not reachable (PORTICO_TEST_POSTGRES_URL)';

describe('PostgreSQL latency above the timeout (fault suite)', { skip }, () => {
  it('security bar 46: PostgreSQL stalled for 15 s under load: every request answers 503 + Retry-After within the timeout, none hangs, recovery without restart', { timeout: 300_000 }, async (t) => {
    let db: TestDatabase | null = null;
    let proxy: StallProxy | null = null;
    let portico: PorticoProcess | null = null;
    try {
      db = await createTestDatabase('postgres');
      const target = new URL(db.url);
      proxy = await StallProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      const viaProxy = new URL(db.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      const apiKey = `sk_fault_${randomBytes(24).toString('base64url')}`;
      portico = await startPortico({ port: await freePort(), databaseUrl: viaProxy.toString(), apiKey, secretKey: randomBytes(32).toString('base64url'), workers: 2 });
      const workersBefore = [...portico.workerPids].sort();
      // The client's own deadline is far above the bound: a hung request shows up as slow, not cut.
      const client = new HttpClient(portico.baseUrl, apiKey, { timeoutMs: 30_000, maxSockets: 64 });
      const fixture = await seedFixture(client);
      // 32 connections at ~5 requests/s each: while each waits out the stall, the others keep sending.
      const traffic = new Traffic(client, fixture, { paceMs: 200 });
      traffic.start(32);
      await sleep(3000);
      const stallAt = performance.now();
      proxy.stall();
      await sleep(STALL_MS);
      const resumeAt = performance.now();
      proxy.resume();
      await sleep(10_000);
      await traffic.stop();
      client.close();

      // Sent during the stall, early enough that the bound ran out before the bytes flowed again:
      // these had only the timeout to answer with.
      const stalled = traffic.samples.filter((s) => s.sentAt >= stallAt && s.sentAt + ANSWER_BOUND_MS < resumeAt);
      const wrong = stalled.filter((s) => s.status !== 503 || s.retryAfter === undefined);
      const slowest = Math.max(0, ...traffic.samples.filter((s) => s.sentAt >= stallAt).map((s) => s.doneAt - s.sentAt));
      const tooSlow = traffic.samples.filter((s) => s.doneAt - s.sentAt > ANSWER_BOUND_MS);
      const unanswered = traffic.samples.filter((s) => s.status === 0 || s.status === 500);
      const after = traffic.samples.filter((s) => s.sentAt >= resumeAt);
      const lastFailure = Math.max(resumeAt, ...after.filter((s) => s.status >= 500).map((s) => s.doneAt));
      const steady = traffic.samples.filter((s) => s.sentAt > lastFailure);
      const latencies = stalled.map((s) => s.doneAt - s.sentAt).sort((a, b) => a - b);
      const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0);

      t.diagnostic(`stall ${Math.round(resumeAt - stallAt)} ms: ${stalled.length} requests sent early in it ${JSON.stringify(byStatus(stalled))}; their latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms; slowest of any request sent during the stall ${Math.round(slowest)} ms (bound ${ANSWER_BOUND_MS} ms)`);
      t.diagnostic(`after the stall: ${after.length} requests ${JSON.stringify(byStatus(after))}; last 5xx ${Math.round(lastFailure - resumeAt)} ms after the bytes flowed again; afterwards ${JSON.stringify(byStatus(steady))}`);
      t.diagnostic(`processes: primary ${portico.pid}, workers before ${workersBefore.join(',')} after ${liveChildren(portico.pid).sort().join(',')}`);

      assert.deepEqual(unanswered.map((s) => `${s.op} ${s.status}`), [], 'no request unanswered, none a 500');
      assert.ok(stalled.length > 50, `too little traffic during the stall: ${stalled.length}`);
      assert.deepEqual(wrong.map((s) => `${s.op} ${s.status} retry-after=${s.retryAfter}`), [], 'only 503 + Retry-After while the database stalls');
      assert.deepEqual(tooSlow.map((s) => `${s.op} ${Math.round(s.doneAt - s.sentAt)} ms`), [], `answered later than ${ANSWER_BOUND_MS} ms`);
      assert.ok(lastFailure - resumeAt < ANSWER_BOUND_MS, `still failing ${Math.round(lastFailure - resumeAt)} ms after the stall`);
      assert.ok(steady.length > 20 && steady.every((s) => s.status >= 200 && s.status < 300), `after recovery: ${JSON.stringify(byStatus(steady))}`);
      assert.ok(isAlive(portico.pid));
      assert.deepEqual(liveChildren(portico.pid).sort(), workersBefore, 'a worker was restarted');
    } catch (err) {
      if (portico) t.diagnostic(`Portico stderr:\n${portico.stderr().slice(-6000)}`);
      throw err;
    } finally {
      await portico?.stop();
      await proxy?.close();
      await db?.drop();
    }
  });
});
