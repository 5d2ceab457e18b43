// Issue #8, item 9 and security bar 45: PostgreSQL killed (kill -9) under load for 10 s. While it
// is down every request that needs it gets 503 + Retry-After (never a token), readiness fails and
// liveness does not; when it is back Portico recovers by itself: same processes, no restart.
// Runs on a private PostgreSQL (initdb into a temp dir): the shared cluster is never stopped.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../support/server.ts';
import { HttpClient } from './lib/http.ts';
import { startPortico, type PorticoProcess } from './lib/portico.ts';
import { answers, createPrivatePostgres, findPostgresBin, type PrivatePostgres } from './lib/private-postgres.ts';
import { isAlive, liveChildren } from './lib/procfs.ts';
import { byStatus, seedFixture, Traffic, type Sample } from './lib/traffic.ts';

const OUTAGE_MS = 10_000;
const bin = findPostgresBin();
if (!bin && process.env.PORTICO_REQUIRE_POSTGRES === '1') {
  throw new Error('PostgreSQL binaries (initdb, postgres) are required (PORTICO_REQUIRE_POSTGRES=1) but none were found under /usr/lib/postgresql/*/bin or PORTICO_TEST_PG_BIN');
}
const skip = bin ? false : 'no PostgreSQL binaries (initdb, postgres) under /usr/lib/postgresql/*/bin or PORTICO_TEST_PG_BIN: the outage test needs a private server it may kill';

/** Readiness and liveness probes, every 250 ms, in the background. */
function probe(baseUrl: string, stop: () => boolean) {
  const seen: { at: number; ready: number; live: number }[] = [];
  const run = (async () => {
    const get = async (path: string) => {
      try {
        const res = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(8000) });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return 0;
      }
    };
    for (let i = 0; i < 1000 && !stop(); i++) {
      const at = performance.now();
      const [ready, live] = await Promise.all([get('/health/ready'), get('/health')]);
      seen.push({ at, ready, live });
      await sleep(250);
    }
  })();
  return { seen, done: run };
}

describe('PostgreSQL killed under load (fault suite)', { skip }, () => {
  it('security bar 45: PostgreSQL kill -9 for 10 s under load: only 503 + Retry-After while down, readiness fails, recovery without restart', { timeout: 300_000 }, async (t) => {
    let pgServer: PrivatePostgres | null = null;
    let portico: PorticoProcess | null = null;
    try {
      pgServer = await createPrivatePostgres(bin!);
      await pgServer.start();
      const apiKey = `sk_fault_${randomBytes(24).toString('base64url')}`;
      portico = await startPortico({ port: await freePort(), databaseUrl: pgServer.url, apiKey, secretKey: randomBytes(32).toString('base64url'), workers: 2, env: { PORTICO_AUTH_FAILURE_LIMIT: '100000000' } });
      const workersBefore = [...portico.workerPids].sort();
      const client = new HttpClient(portico.baseUrl, apiKey, { timeoutMs: 30_000 });
      const fixture = await seedFixture(client);
      // ~100-150 requests/s over 8 connections (the bar's recipe: 100 req/s mixed).
      const traffic = new Traffic(client, fixture, { paceMs: 60 });
      let probing = true;
      const probes = probe(portico.baseUrl, () => !probing);
      traffic.start(8);
      await sleep(3000);

      const downAt = performance.now();
      await pgServer.kill9();
      const killedAt = performance.now();
      assert.equal(await answers(pgServer.url, 500), false, 'PostgreSQL still answers after kill -9');
      await sleep(OUTAGE_MS);
      const restartAt = performance.now();
      await pgServer.start(); // same port, same data directory: crash recovery
      const upAt = performance.now();
      await sleep(8000);
      await traffic.stop();
      probing = false;
      await probes.done;

      // Judged by when a request was sent: one sent while PostgreSQL was down and answered before
      // it was back had nothing to answer from but a cache, and a cache must not answer.
      const during = traffic.samples.filter((s) => s.sentAt >= downAt && s.doneAt < restartAt);
      const wrong = during.filter((s) => s.status !== 503 || s.retryAfter === undefined);
      const before = traffic.samples.filter((s) => s.doneAt < downAt);
      const cut = traffic.samples.filter((s) => s.status === 0 || s.status === 500);
      const after = traffic.samples.filter((s) => s.sentAt >= upAt);
      const failuresAfter = after.filter((s) => s.status >= 500 || s.status === 0);
      const lastFailure = Math.max(upAt, ...failuresAfter.map((s) => s.doneAt));
      const firstOk = after.find((s) => s.status >= 200 && s.status < 300);
      const maxDuring = Math.max(0, ...during.map((s) => s.doneAt - s.sentAt));
      const readyDown = probes.seen.filter((p) => p.at > downAt + 500 && p.at < restartAt);
      const readyAfter = probes.seen.filter((p) => p.at > lastFailure + 500);
      const workersAfter = portico.workerPids.filter(isAlive).sort();

      // What was acknowledged survives the database crash (I1/I2): churned secrets whose create got
      // a 201 and whose delete got no 204 still authenticate; those deleted with a 204 do not.
      const durability: string[] = [];
      for (const entry of traffic.churn.slice(-40)) {
        const status = (await client.token(entry.appClientId, entry.secret)).status;
        if (status !== (entry.deleted ? 401 : 200)) durability.push(`a secret ${entry.deleted ? 'deleted' : 'created'} before the crash answers ${status}`);
      }
      client.close();

      const fmt = (xs: readonly Sample[]) => JSON.stringify(byStatus(xs));
      t.diagnostic(`before the kill: ${before.length} requests ${fmt(before)}`);
      t.diagnostic(`kill -9 of the postmaster and its backends took ${Math.round(killedAt - downAt)} ms; requests without an answer or with a 500: ${cut.length}`);
      t.diagnostic(`outage ${Math.round(restartAt - downAt)} ms: ${during.length} requests sent and answered while PostgreSQL was down ${fmt(during)}; slowest ${Math.round(maxDuring)} ms`);
      t.diagnostic(`PostgreSQL back (crash recovery) ${Math.round(upAt - restartAt)} ms after the restart; Portico's first 2xx ${firstOk ? Math.round(firstOk.doneAt - upAt) : 'none'} ms later; last 5xx ${Math.round(lastFailure - upAt)} ms after PostgreSQL was back`);
      t.diagnostic(`after: ${after.length} requests ${fmt(after)}; readiness while down ${JSON.stringify(byStatus(readyDown.map((p) => ({ status: p.ready }) as Sample)))}, liveness while down ${JSON.stringify(byStatus(readyDown.map((p) => ({ status: p.live }) as Sample)))}`);
      t.diagnostic(`acknowledged secret creates/deletes re-checked after recovery: ${Math.min(40, traffic.churn.length)}, wrong: ${durability.length}`);
      t.diagnostic(`processes: primary ${portico.pid} alive ${isAlive(portico.pid)}, workers before ${workersBefore.join(',')} after ${liveChildren(portico.pid).sort().join(',')}`);

      assert.ok(before.length > 50 && before.every((s) => s.status >= 200 && s.status < 500), `before the kill: ${fmt(before)}`);
      assert.deepEqual(cut.map((s) => `${s.op} ${s.status}`), [], 'a request went unanswered (a worker died?) or got a 500');
      assert.ok(during.length > 100, `too little traffic during the outage: ${during.length}`);
      assert.deepEqual(wrong.map((s) => `${s.op} ${s.status} retry-after=${s.retryAfter}`), [], 'only 503 + Retry-After while PostgreSQL is down');
      assert.ok(maxDuring < 7000, `a request took ${Math.round(maxDuring)} ms during the outage (bounded by the 5 s storage timeout)`);
      assert.ok(readyDown.length > 5 && readyDown.every((p) => p.ready === 503 && p.live === 200), 'readiness 503 and liveness 200 while down');
      assert.ok(firstOk !== undefined, 'no 2xx after PostgreSQL came back');
      assert.ok(lastFailure - upAt < 5000, `still failing ${Math.round(lastFailure - upAt)} ms after PostgreSQL was back (the bar: within 5 s)`);
      assert.ok(readyAfter.length > 0 && readyAfter.every((p) => p.ready === 200), 'readiness 200 again');
      // Recovery without restart: the same primary and the same workers.
      assert.ok(isAlive(portico.pid));
      assert.deepEqual(workersAfter, workersBefore, 'a worker was restarted');
      assert.deepEqual(liveChildren(portico.pid).sort(), workersBefore);
      assert.deepEqual(durability, []);
    } catch (err) {
      if (portico) t.diagnostic(`Portico stderr:\n${portico.stderr().slice(-6000)}\nstdout:\n${portico.output().slice(-8000)}`);
      throw err;
    } finally {
      await portico?.stop();
      await pgServer?.destroy();
    }
  });
});
