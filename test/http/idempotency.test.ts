// Issue #2: Idempotency-Key on POST: a retry replays the first answer and creates nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CONTEXT } from '../../src/domain/audit.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

for (const dialect of DIALECTS) {
  describe(`Idempotency-Key (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let appId: string;
    before(async () => {
      server = await startServer(dialect);
      const org = (await (await api(server, '/organizations', { method: 'POST', body: { name: 'Idem' } })).json()) as { id: string };
      const app = (await (await api(server, '/connect/applications', { method: 'POST', body: { name: 'I', application_type: 'm2m', organization_id: org.id } })).json()) as { id: string };
      appId = app.id;
    });
    after(async () => {
      await server.close();
    });

    const createSecret = (key: string, body: unknown = {}, apiKey?: string) =>
      api(server, `/connect/applications/${appId}/client_secrets`, {
        method: 'POST',
        body,
        headers: { 'idempotency-key': key, ...(apiKey !== undefined && { authorization: `Bearer ${apiKey}` }) },
      });

    it('a retried create-secret returns the same secret and creates nothing new', async () => {
      const first = await createSecret('retry-1');
      assert.equal(first.status, 201);
      const firstBody = await first.text();
      const again = await createSecret('retry-1');
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.headers.get('cache-control'), 'no-store');
      assert.equal(await again.text(), firstBody);
      const listed = (await (await api(server, `/connect/applications/${appId}/client_secrets`)).json()) as unknown[];
      assert.equal(listed.length, 1);
    });

    it('concurrent requests with one key create one object', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => api(server, '/organizations', { method: 'POST', body: { name: 'Once' }, headers: { 'idempotency-key': 'burst-1' } })),
      );
      const created = results.filter((r) => r.status === 201);
      // Those that arrive while the first is in flight are told so (409), never served a second object.
      assert.ok(results.every((r) => r.status === 201 || r.status === 409), results.map((r) => r.status).join());
      const ids = new Set(await Promise.all(created.map(async (r) => ((await r.json()) as { id: string }).id)));
      assert.equal(ids.size, 1);
      const list = (await (await api(server, '/organizations?limit=100&search=Once')).json()) as { data: unknown[] };
      assert.equal(list.data.length, 1);
    });

    it('the same key with a different body is a 422', async () => {
      assert.equal((await api(server, '/organizations', { method: 'POST', body: { name: 'A' }, headers: { 'idempotency-key': 'k-2' } })).status, 201);
      const reused = await api(server, '/organizations', { method: 'POST', body: { name: 'B' }, headers: { 'idempotency-key': 'k-2' } });
      assert.equal(reused.status, 422);
      assert.equal(((await reused.json()) as { code: string }).code, 'idempotency_key_reused');
    });

    it('keys are scoped to the API key that used them', async () => {
      const other = server.config.apiKey!;
      assert.equal((await createSecret('scoped-1', {}, other)).status, 201);
      // Same Idempotency-Key under a different credential is a different request: a stored key is not shared.
      const { createApiKey } = await import('../../src/management/api-keys.ts');
      const { systemClock } = await import('../../src/domain/clock.ts');
      const { createIdGenerator } = await import('../../src/domain/ids.ts');
      const { plaintext } = await createApiKey({ storage: server.storage, keyring: server.keyring, clock: systemClock, ids: createIdGenerator() }, 'second', SYSTEM_CONTEXT);
      const res = await createSecret('scoped-1', {}, plaintext);
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('idempotent-replayed'), null);
    });

    it('an over-long key is a 400; errors are replayed too', async () => {
      const long = await api(server, '/organizations', { method: 'POST', body: { name: 'L' }, headers: { 'idempotency-key': 'x'.repeat(256) } });
      assert.equal(long.status, 400);
      const missing = await api(server, '/connect/applications/conn_app_missing/client_secrets', { method: 'POST', body: {}, headers: { 'idempotency-key': 'err-1' } });
      assert.equal(missing.status, 404);
      const replay = await api(server, '/connect/applications/conn_app_missing/client_secrets', { method: 'POST', body: {}, headers: { 'idempotency-key': 'err-1' } });
      assert.equal(replay.status, 404);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    });
  });
}
