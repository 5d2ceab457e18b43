// Issue #13: several delivery workers on one database, each with its own connection (what several
// processes and nodes are), claim concurrently while two nodes keep writing events: every event is
// delivered exactly once in the normal case (no lease runs out), on SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/domain/clock.ts';
import type { Storage } from '../../src/storage/port.ts';
import { openStorage } from '../../src/storage/sql/store.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';
import { startReceiver, verifyWithSdk, webhookWorker, type Receiver } from '../support/webhooks.ts';

const WORKERS = 4;
const EVENTS_PER_NODE = 40;

for (const dialect of DIALECTS) {
  describe(`issue #13: ${WORKERS} delivery workers, two nodes, one ${dialect} database`, dialectSuite(dialect), () => {
    let a: TestServer;
    let b: TestServer;
    let receiver: Receiver;
    const connections: Storage[] = [];

    before(async () => {
      a = await startServer(dialect, { env: { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' } });
      b = await startServer(dialect, { shareWith: a, env: { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' } });
      receiver = await startReceiver();
      for (let i = 0; i < WORKERS; i++) connections.push(openStorage({ url: a.storage.url }));
    });
    after(async () => {
      for (const c of connections) await c.close();
      await receiver.close();
      await b.close();
      await a.close();
    });

    it(`issue #13: every event is delivered once while ${WORKERS} workers claim concurrently`, async (t) => {
      const res = await api(a, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `${receiver.url}/nodes`, events: ['organization.created', 'organization.deleted'] } });
      const endpoint = (await res.json()) as { id: string; secret: string };
      const workers = connections.map((storage) => webhookWorker({ ...a, storage: storage as TestServer['storage'] }, systemClock));
      let producing = true;
      const loops = workers.map(async (w) => {
        let rounds = 0;
        while (producing || (await w.tick()).claimed > 0) {
          await w.tick();
          rounds++;
          // A poll interval: node:sqlite answers synchronously, so a loop without one would starve the event loop.
          await sleep(5);
        }
        return rounds;
      });
      const produce = async (node: TestServer, tag: string) => {
        for (let i = 0; i < EVENTS_PER_NODE; i++) {
          const r = await api(node, '/organizations', { method: 'POST', body: { name: `${tag} ${i}` } });
          const { id } = (await r.json()) as { id: string };
          if (i % 4 === 0) await api(node, `/organizations/${id}`, { method: 'DELETE' }).then((x) => x.arrayBuffer());
        }
      };
      await Promise.all([produce(a, 'A'), produce(b, 'B')]);
      producing = false;
      const rounds = await Promise.all(loops);
      // Anything still due (a round that met a locked endpoint) goes out now.
      for (const w of workers) while ((await w.tick()).claimed > 0);

      const expected = (await a.storage.webhooks.listDeliveries(endpoint.id, { limit: 1000 })).map((d) => d.eventId);
      const ids = await Promise.all(receiver.received.filter((r) => r.path === '/nodes').map(async (r) => (await verifyWithSdk(r, endpoint.secret)).id));
      const counts = new Map<string, number>();
      for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      const duplicates = [...counts.values()].filter((n) => n > 1).length;
      t.diagnostic(`${expected.length} events, ${ids.length} requests, ${duplicates} delivered more than once; rounds per worker ${rounds.join(', ')}`);
      assert.equal(expected.length, EVENTS_PER_NODE * 2 + (EVENTS_PER_NODE / 4) * 2);
      assert.deepEqual([...counts.keys()].sort(), [...expected].sort(), 'every event arrived');
      assert.equal(duplicates, 0, 'none twice');
      assert.deepEqual([...new Set((await a.storage.webhooks.listDeliveries(endpoint.id, { limit: 1000 })).map((d) => `${d.status}/${d.attempts}`))], ['delivered/1']);
    });
  });
}
