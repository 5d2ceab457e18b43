// Issue #13: webhooks survive kill -9. Portico (a primary and two workers, every worker delivering) on
// SQLite writes organizations while a slow receiver on loopback falls behind, so committed events are
// still undelivered (pending, or in flight under a lease) when the whole process tree gets kill -9.
// After every restart each acknowledged change's event arrives, every delivery verifies with the SDK,
// every delivered event exists in the database (nothing is sent for a change that did not commit),
// and at the end nothing is left pending. Also: two nodes (two process trees) on one PostgreSQL
// database deliver every event exactly once when nothing crashes.
// FAULT_WEBHOOK_CYCLES sets the number of kill cycles (default 5).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { freePort } from '../support/server.ts';
import { startReceiver, verifyWithSdk } from '../support/webhooks.ts';
import { HttpClient, json, NoAnswer } from './lib/http.ts';
import { startPortico, type PorticoOptions, type PorticoProcess } from './lib/portico.ts';

const CYCLES = Number(process.env.FAULT_WEBHOOK_CYCLES ?? 5);
const WRITERS = 4;
/** Settling after a restart: leases of the killed processes (timeout 2 s + 10 s) run out, then the backlog drains. */
const SETTLE_MS = 90_000;

const ENV = {
  PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on',
  PORTICO_WEBHOOK_TIMEOUT_SECONDS: '2',
  PORTICO_WEBHOOK_POLL_INTERVAL_MS: '100',
  PORTICO_WEBHOOK_CONCURRENCY: '4',
};

/** Event IDs the database holds, and the deliveries not yet delivered (SQLite file, read-only). */
function sqliteState(path: string): { events: Set<string>; undelivered: number } {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const events = new Set((db.prepare('select id from audit_events').all() as { id: string }[]).map((r) => r.id));
    const { n } = db.prepare("select count(*) as n from webhook_deliveries where status <> 'delivered'").get() as { n: number };
    return { events, undelivered: n };
  } finally {
    db.close();
  }
}

async function writeOrganizations(client: HttpClient, acknowledged: Set<string>, stopped: () => boolean, counts: { cut: number; errors: number }): Promise<void> {
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; !stopped() && i < 100_000; i++) {
        try {
          const res = await client.request('POST', '/organizations', { body: { name: `w${w}-${i}` } });
          if (res.status === 201) acknowledged.add(json<{ id: string }>(res).id);
          else counts.errors++;
        } catch (err) {
          if (!(err instanceof NoAnswer)) throw err;
          counts.cut++;
          return;
        }
      }
    }),
  );
}

describe('webhooks under kill -9 (fault suite)', () => {
  it(`issue #13: ${CYCLES} cycles of writes with a backlog of undelivered events, kill -9 of the process tree, restart: every acknowledged change's event is delivered, each verifies, none for an uncommitted change`, { timeout: CYCLES * 150_000 + 60_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-fault-webhooks-'));
    const dbPath = join(dir, 'portico.db');
    const options: PorticoOptions = { port: await freePort(), databaseUrl: `sqlite:${dbPath}`, apiKey: `sk_fault_${randomBytes(24).toString('base64url')}`, secretKey: randomBytes(32).toString('base64url'), workers: 2, env: ENV };
    // Answers after 20-120 ms: slower than the writers, so pending and in-flight deliveries exist when the kill lands.
    const receiver = await startReceiver(() => 200, { delayMs: () => 20 + Math.random() * 100 });
    const acknowledged = new Set<string>();
    const counts = { cut: 0, errors: 0 };
    let server: PorticoProcess | null = null;
    let secret = '';
    const backlogAtKill: number[] = [];
    const settleMs: number[] = [];
    try {
      for (let cycle = 1; cycle <= CYCLES + 1; cycle++) {
        server = await startPortico(options);
        const client = new HttpClient(server.baseUrl, options.apiKey);
        if (cycle === 1) {
          const created = await client.request('POST', '/webhook_endpoints', { body: { endpoint_url: `${receiver.url}/fault`, events: ['organization.created'] } });
          assert.equal(created.status, 201, created.text);
          secret = json<{ secret: string }>(created).secret;
        } else {
          // What the previous crash left must go out now: wait until nothing is undelivered (bounded).
          const started = performance.now();
          while (sqliteState(dbPath).undelivered > 0) {
            if (performance.now() - started > SETTLE_MS) assert.fail(`cycle ${cycle}: ${sqliteState(dbPath).undelivered} deliveries still undelivered after ${SETTLE_MS} ms`);
            await sleep(250);
          }
          settleMs.push(performance.now() - started);
        }
        if (cycle > CYCLES) {
          client.close();
          break;
        }
        let stopped = false;
        const writing = writeOrganizations(client, acknowledged, () => stopped, counts);
        await sleep(800 + Math.random() * 1200);
        backlogAtKill.push(sqliteState(dbPath).undelivered);
        stopped = true;
        const kill = await server.kill9();
        server = null;
        await writing;
        client.close();
        assert.deepEqual(kill.survivors, [], 'no process survives kill -9 of the group');
      }
      // Let in-flight answers land in the receiver's list.
      await sleep(500);
      const state = sqliteState(dbPath);
      const got = receiver.received.filter((r) => r.path === '/fault');
      const events = await Promise.all(got.map((r) => verifyWithSdk(r, secret)));
      const deliveredOrgs = new Set(events.map((e) => (e.data as { id: string }).id));
      const perEvent = new Map<string, number>();
      for (const e of events) perEvent.set(e.id, (perEvent.get(e.id) ?? 0) + 1);
      const duplicates = [...perEvent.values()].reduce((n, c) => n + c - 1, 0);
      const lost = [...acknowledged].filter((id) => !deliveredOrgs.has(id));
      const phantom = [...perEvent.keys()].filter((id) => !state.events.has(id));
      t.diagnostic(`cycles: ${CYCLES} kill -9 of primary + 2 workers; ${acknowledged.size} acknowledged organization creates (${counts.cut} requests cut by the kills, ${counts.errors} other answers)`);
      t.diagnostic(`undelivered at each kill: ${backlogAtKill.join(', ')}; settled after restart in ${settleMs.map((ms) => `${Math.round(ms / 1000)} s`).join(', ')}`);
      t.diagnostic(`received ${got.length} requests for ${perEvent.size} events (every one verified with constructEvent); duplicates after crashes: ${duplicates}; acknowledged but never delivered: ${lost.length}; delivered but not in the database: ${phantom.length}`);
      assert.ok(backlogAtKill.some((n) => n > 0), 'the kills must land with events still undelivered');
      assert.deepEqual(lost, [], 'every acknowledged change was delivered');
      assert.deepEqual(phantom, [], 'nothing was sent for a change that did not commit');
      assert.equal(state.undelivered, 0);
      assert.ok(perEvent.size >= acknowledged.size);
    } finally {
      const s = server as PorticoProcess | null;
      if (s) await s.stop();
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const skip = DIALECTS.includes('postgres') ? false : 'PostgreSQL not reachable (PORTICO_TEST_POSTGRES_URL)';
  it('issue #13: two nodes (two process trees, four delivering workers) on one PostgreSQL database deliver every event exactly once', { skip, timeout: 180_000 }, async (t) => {
    let db: TestDatabase | null = null;
    const nodes: PorticoProcess[] = [];
    const receiver = await startReceiver(() => 200);
    try {
      db = await createTestDatabase('postgres');
      const shared = { databaseUrl: db.url, apiKey: `sk_fault_${randomBytes(24).toString('base64url')}`, secretKey: randomBytes(32).toString('base64url'), workers: 2, env: ENV };
      nodes.push(await startPortico({ ...shared, port: await freePort() }));
      nodes.push(await startPortico({ ...shared, port: await freePort() }));
      const clients = nodes.map((n) => new HttpClient(n.baseUrl, shared.apiKey));
      const created = await clients[0]!.request('POST', '/webhook_endpoints', { body: { endpoint_url: `${receiver.url}/two`, events: ['organization.created'] } });
      const { secret } = json<{ secret: string }>(created);
      const acknowledged = new Set<string>();
      let stopped = false;
      const counts = { cut: 0, errors: 0 };
      const writing = Promise.all(clients.map((c) => writeOrganizations(c, acknowledged, () => stopped, counts)));
      await sleep(3000);
      stopped = true;
      await writing;
      const pgc = new pg.Client({ connectionString: db.url });
      await pgc.connect();
      try {
        const started = performance.now();
        for (;;) {
          const { rows } = await pgc.query<{ n: string }>("select count(*) as n from webhook_deliveries where status <> 'delivered'");
          if (Number(rows[0]!.n) === 0) break;
          if (performance.now() - started > 60_000) assert.fail(`${rows[0]!.n} deliveries still undelivered`);
          await sleep(200);
        }
      } finally {
        await pgc.end();
      }
      for (const c of clients) c.close();
      const events = await Promise.all(receiver.received.filter((r) => r.path === '/two').map((r) => verifyWithSdk(r, secret)));
      const perEvent = new Map<string, number>();
      for (const e of events) perEvent.set(e.id, (perEvent.get(e.id) ?? 0) + 1);
      const duplicates = [...perEvent.values()].reduce((n, c) => n + c - 1, 0);
      t.diagnostic(`${acknowledged.size} organizations created on two nodes; ${events.length} deliveries for ${perEvent.size} events; duplicates: ${duplicates}`);
      assert.equal(perEvent.size, acknowledged.size);
      assert.equal(duplicates, 0);
    } finally {
      for (const n of nodes) await n.stop();
      await receiver.close();
      await db?.drop();
    }
  });
});
