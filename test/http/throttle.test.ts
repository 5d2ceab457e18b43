// Issue #8 §6: the failure throttle holds its limit across processes and nodes. Failures are counted
// by an atomic increment in the database, so with PORTICO_AUTH_FAILURE_LIMIT=20 exactly 20 wrong
// secrets get 401 before 429s, however the attempts are spread over two nodes; the right secret is
// never refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { seedM2MClient, tokenRequest } from '../support/seed.ts';
import { startServer, type TestServer } from '../support/server.ts';

const CC = { grant_type: 'client_credentials' };

for (const dialect of DIALECTS) {
  describe(`issue #8: failure throttle across nodes (${dialect})`, dialectSuite(dialect), () => {
    let a: TestServer;
    let b: TestServer;
    before(async () => {
      a = await startServer(dialect, { env: { PORTICO_AUTH_FAILURE_LIMIT: '20' } });
      b = await startServer(dialect, { shareWith: a, env: { PORTICO_AUTH_FAILURE_LIMIT: '20' } });
    });
    after(async () => {
      await b.close();
      await a.close();
    });

    it('issue #8: 60 concurrent wrong secrets over two nodes: exactly 20 answered 401, the rest 429; the right secret still works on both', async () => {
      const victim = await seedM2MClient(a);
      const wrong = { id: victim.clientId, secret: 'W'.repeat(43) };
      const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => tokenRequest(i % 2 === 0 ? a : b, CC, wrong).then(async (r) => (await r.arrayBuffer(), r.status))));
      const counts = { 401: statuses.filter((s) => s === 401).length, 429: statuses.filter((s) => s === 429).length };
      assert.deepEqual(counts, { 401: 20, 429: 40 }, `statuses: ${statuses.join(',')}`);
      for (const node of [a, b]) assert.equal((await tokenRequest(node, CC, { id: victim.clientId, secret: victim.secret })).status, 200);
      // Later failures keep getting 429 (from memory on the node that already saw the limit, from the
      // database on the other) until the window ends.
      for (const node of [a, b]) assert.equal((await tokenRequest(node, CC, wrong)).status, 429);
    });
  });
}
