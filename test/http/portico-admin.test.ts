// Issue #14: Portico's own management routes the dashboard reads and writes through (API keys, signing keys,
// the application_type filter), with the same API-key auth as the WorkOS-compatible ones.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/management/api-keys.ts';
import { SYSTEM_CONTEXT } from '../../src/domain/audit.ts';
import { createIdGenerator } from '../../src/domain/ids.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

/** A clock the test moves. */
function manualClock(start: Date) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

for (const dialect of DIALECTS) {
  describe(`Portico admin routes (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    const clock = manualClock(new Date());
    before(async () => {
      server = await startServer(dialect, { clock });
    });
    after(async () => {
      await server.close();
    });

    it('issue #14: /portico/api_keys creates a key shown once (no-store), lists it by hint only, and DELETE revokes it at once', async () => {
      const created = await api(server, '/portico/api_keys', { method: 'POST', body: { name: 'CI deploys' } });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      const key = (await created.json()) as { id: string; value: string; obfuscated_value: string; name: string; expires_at: null };
      assert.match(key.value, /^sk_[A-Za-z0-9_-]{43}$/);
      assert.equal(key.obfuscated_value, `sk_…${key.value.slice(-4)}`);
      assert.equal(key.name, 'CI deploys');
      const withIt = (path: string) => fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${key.value}` } });
      assert.equal((await withIt('/organizations')).status, 200);

      const listText = await (await api(server, '/portico/api_keys')).text();
      assert.ok(!listText.includes(key.value), 'the list never carries a key');
      const list = JSON.parse(listText) as { data: { id: string; obfuscated_value: string }[] };
      assert.ok(list.data.some((k) => k.id === key.id && k.obfuscated_value === key.obfuscated_value));

      assert.equal((await api(server, `/portico/api_keys/${key.id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await withIt('/organizations')).status, 401);
      const again = await api(server, `/portico/api_keys/${key.id}`, { method: 'DELETE' });
      assert.equal(again.status, 404);
      assert.equal(typeof ((await again.json()) as { message: string }).message, 'string');
    });

    it('issue #14: a nameless or oversized API key name is a 422 naming the field; no key without auth', async () => {
      for (const body of [{}, { name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, { name: 'a\nb' }, { name: 7 }]) {
        const res = await api(server, '/portico/api_keys', { method: 'POST', body });
        assert.equal(res.status, 422, JSON.stringify(body));
        assert.equal(((await res.json()) as { errors: { field: string }[] }).errors[0]?.field, 'name');
      }
      assert.equal((await fetch(`${server.baseUrl}/portico/api_keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' })).status, 401);
      assert.equal((await fetch(`${server.baseUrl}/portico/signing_keys`)).status, 401);
    });

    it('issue #14: an API key with an expiry authenticates until then and not a moment after', async () => {
      const deps = { storage: server.storage, keyring: server.keyring, clock, ids: createIdGenerator() };
      const { plaintext } = await createApiKey(deps, 'Dashboard session', SYSTEM_CONTEXT, new Date(clock.now().getTime() + 60_000));
      const call = () => fetch(`${server.baseUrl}/organizations`, { headers: { authorization: `Bearer ${plaintext}` } });
      assert.equal((await call()).status, 200);
      clock.advance(60_000);
      assert.equal((await call()).status, 401);
    });

    it('issue #14: /portico/signing_keys lists the keys with their state; rotate publishes the new key in JWKS at once, signing later', async () => {
      const before = (await (await api(server, '/portico/signing_keys')).json()) as { data: { id: string; state: string; alg: string }[] };
      assert.equal(before.data.filter((k) => k.state === 'signing').length, 1);
      const rotated = await api(server, '/portico/signing_keys/rotate', { method: 'POST', body: {} });
      assert.equal(rotated.status, 201);
      const key = (await rotated.json()) as { id: string; state: string; active_from: string; alg: string };
      assert.equal(key.state, 'pending');
      assert.equal(key.alg, 'RS256');
      assert.ok(new Date(key.active_from) > clock.now());
      const jwks = (await (await fetch(`${server.baseUrl}/oauth2/jwks`)).json()) as { keys: { kid: string }[] };
      assert.ok(jwks.keys.some((k) => k.kid === key.id), 'published before it signs');
      const events = (await (await api(server, '/events?events=signing_key.rotated')).json()) as { data: { data: { kid: string } }[] };
      assert.ok(events.data.some((e) => e.data.kid === key.id));
    });

    it('issue #14: GET /connect/applications filters by application_type (and refuses other values)', async () => {
      const org = (await (await api(server, '/organizations', { method: 'POST', body: { name: 'Filter Co' } })).json()) as { id: string };
      await api(server, '/connect/applications', { method: 'POST', body: { name: 'Robot', application_type: 'm2m', organization_id: org.id } });
      await api(server, '/connect/applications', { method: 'POST', body: { name: 'Web', application_type: 'oauth', is_first_party: false, organization_id: org.id, redirect_uris: [{ uri: 'https://web.test/cb' }] } });
      const names = async (q: string) => ((await (await api(server, `/connect/applications?organization_id=${org.id}${q}`)).json()) as { data: { name: string }[] }).data.map((a) => a.name).sort();
      assert.deepEqual(await names(''), ['Robot', 'Web']);
      assert.deepEqual(await names('&application_type=m2m'), ['Robot']);
      assert.deepEqual(await names('&application_type=oauth'), ['Web']);
      const bad = await api(server, '/connect/applications?application_type=saml');
      assert.equal(bad.status, 422);
    });
  });
}
