// Issue #2: management API transport rules: API-key auth, error bodies, limits, headers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/management/api-keys.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { createIdGenerator } from '../../src/domain/ids.ts';
import { SYSTEM_CONTEXT } from '../../src/domain/audit.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

async function expectJson(res: Response, status: number): Promise<Record<string, unknown>> {
  assert.equal(res.status, status, `status of ${res.url}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.match(res.headers.get('x-request-id') ?? '', /^req_[0-9A-Z]{26}$/);
  return (await res.json()) as Record<string, unknown>;
}

for (const dialect of DIALECTS) {
  describe(`management HTTP rules (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(dialect);
    });
    after(async () => {
      await server.close();
    });

    it('401 JSON for a missing, malformed or unknown API key', async () => {
      for (const authorization of [undefined, 'Basic abc', 'Bearer', 'Bearer sk_nope', `Bearer ${server.apiKey}x`, `bearer  ${server.apiKey.toUpperCase()}`]) {
        const res = await fetch(`${server.baseUrl}/organizations`, { headers: authorization === undefined ? {} : { authorization } });
        const body = await expectJson(res, 401);
        assert.equal(typeof body.message, 'string');
        assert.equal(body.code, 'unauthorized');
      }
    });

    it('stored API keys authenticate until revoked, and revocation is immediate', async () => {
      const deps = { storage: server.storage, keyring: server.keyring, clock: systemClock, ids: createIdGenerator() };
      const { key, plaintext } = await createApiKey(deps, 'temp', SYSTEM_CONTEXT);
      const list = () => fetch(`${server.baseUrl}/organizations`, { headers: { authorization: `Bearer ${plaintext}` } });
      await expectJson(await list(), 200);
      assert.equal((await server.storage.apiKeys.revoke(key.id, new Date()))?.id, key.id);
      await expectJson(await list(), 401);
    });

    it('malformed JSON is a 400, a wrong media type a 415, an oversized body a 413', async () => {
      const bad = await expectJson(await api(server, '/organizations', { method: 'POST', body: '{"name": "x",' }), 400);
      assert.equal(bad.code, 'invalid_json');
      const proto = await expectJson(await api(server, '/organizations', { method: 'POST', body: '{"name":"x","__proto__":{"admin":true}}' }), 400);
      assert.equal(proto.code, 'invalid_json');
      await expectJson(await api(server, '/organizations', { method: 'POST', body: 'name=x', headers: { 'content-type': 'text/plain' } }), 415);
      const huge = await expectJson(await api(server, '/organizations', { method: 'POST', body: { name: 'x'.repeat(400_000) } }), 413);
      assert.equal(huge.code, 'request_body_too_large');
    });

    it('regressions found by the fuzz suite: deep JSON with Idempotency-Key is a 400, a NUL cursor a 422', async () => {
      const deep = '['.repeat(10_000) + ']'.repeat(10_000);
      const res = await api(server, '/organizations', { method: 'POST', body: deep, headers: { 'idempotency-key': 'deep-1' } });
      assert.equal((await expectJson(res, 400)).code, 'invalid_json');
      for (const q of ['before=%00', 'after=a%00']) {
        await expectJson(await api(server, `/organizations?${q}`), 422);
        await expectJson(await api(server, `/connect/applications?${q}`), 422);
      }
    });

    it('422 lists every failed field as {field, code}', async () => {
      const body = await expectJson(
        await api(server, '/connect/applications', { method: 'POST', body: { application_type: 'oauth', name: 7, scopes: 'all', is_first_party: 'yes' } }),
        422,
      );
      assert.deepEqual(body.errors, [
        { field: 'name', code: 'name_must_be_string' },
        { field: 'scopes', code: 'scopes_must_be_array' },
        { field: 'is_first_party', code: 'is_first_party_must_be_boolean' },
      ]);
      assert.equal(typeof body.message, 'string');
    });

    it('404 names the missing object; unknown paths are JSON 404s too', async () => {
      const app = await expectJson(await api(server, '/connect/applications/client_01HXYZ123456789ABCDEFGHIJ'), 404);
      assert.equal(app.message, "Application not found: 'client_01HXYZ123456789ABCDEFGHIJ'.");
      const secret = await expectJson(await api(server, '/connect/client_secrets/secret_x', { method: 'DELETE' }), 404);
      assert.equal(secret.message, "Client secret not found: 'secret_x'.");
      const path = await expectJson(await api(server, '/nowhere?x=1'), 404);
      assert.equal(path.message, "The requested path '/nowhere' could not be found.");
    });

    it('X-Request-ID on every response, including 204s, and unique per request', async () => {
      const org = await expectJson(await api(server, '/organizations', { method: 'POST', body: { name: 'Req' } }), 201);
      const del = await api(server, `/organizations/${String(org.id)}`, { method: 'DELETE' });
      assert.equal(del.status, 204);
      const ids = [del.headers.get('x-request-id'), (await api(server, '/organizations')).headers.get('x-request-id')];
      for (const id of ids) assert.match(id ?? '', /^req_[0-9A-Z]{26}$/);
      assert.notEqual(ids[0], ids[1]);
      assert.equal(await del.text(), '');
    });

    it('a DELETE with Content-Type: application/json and no body (what the SDK sends) works', async () => {
      const org = await expectJson(await api(server, '/organizations', { method: 'POST', body: { name: 'Bodyless' } }), 201);
      const res = await fetch(`${server.baseUrl}/organizations/${String(org.id)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      });
      assert.equal(res.status, 204);
    });

    it('the create-secret response is never cached', async () => {
      const org = await expectJson(await api(server, '/organizations', { method: 'POST', body: { name: 'Cache' } }), 201);
      const app = await expectJson(await api(server, '/connect/applications', { method: 'POST', body: { name: 'C', application_type: 'm2m', organization_id: org.id } }), 201);
      const res = await api(server, `/connect/applications/${String(app.id)}/client_secrets`, { method: 'POST', body: {} });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('cache-control'), 'no-store');
    });
  });
}
