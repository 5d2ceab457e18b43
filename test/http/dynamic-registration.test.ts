// Issue #10 §2: dynamic client registration (RFC 7591) and its management (RFC 7592), with the redirect
// sets real MCP clients send. Security bar §6 items 31, 32 and 34.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { housekeep } from '../../src/housekeeping.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { exchangeCode, pkcePair, runAuthorization } from '../support/oauth-flow.ts';
import { manualClock } from '../support/oauth-deps.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const VSCODE = ['http://127.0.0.1:33418/', 'https://vscode.dev/redirect'];
const CLAUDE = ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'];
const CURSOR = ['cursor://anysphere.cursor-retrieval/oauth/user-notes/callback'];

type Registered = Record<string, unknown> & { client_id: string; registration_access_token: string; registration_client_uri: string; client_secret?: string };

for (const dialect of DIALECTS) {
  describe(`issue #10: dynamic client registration (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    const clock = manualClock();
    before(async () => {
      server = await startServer(dialect, { clock, env: { PORTICO_DYNAMIC_CLIENT_REGISTRATION: 'on', PORTICO_DYNAMIC_CLIENT_SCOPES: 'notes:read', PORTICO_REGISTRATION_RATE_LIMIT: '1000', PORTICO_REGISTRATION_UNUSED_TTL_SECONDS: '3600' } });
    });
    after(async () => {
      await server.close();
    });
    const register = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.baseUrl}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const registered = async (body: unknown) => {
      const res = await register(body);
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()) as Registered;
    };

    it('issue #10 / security bar 30: the registration endpoint is advertised', async () => {
      const meta = (await (await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      assert.equal(meta.registration_endpoint, `${server.baseUrl}/oauth2/register`);
    });

    it('issue #10 / security bar 31: VS Code\'s, Claude\'s and Cursor\'s redirect sets register; public clients get no secret; no null fields', async () => {
      for (const [who, uris] of [['vscode', VSCODE], ['claude', CLAUDE], ['cursor', CURSOR]] as const) {
        const r = await registered({ client_name: who, redirect_uris: uris, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], scope: 'openid notes:read admin' });
        assert.deepEqual(r.redirect_uris, uris);
        assert.equal(r.client_secret, undefined);
        assert.equal(r.client_secret_expires_at, undefined);
        assert.equal(r.token_endpoint_auth_method, 'none');
        assert.equal(r.scope, 'openid notes:read', 'scopes the environment does not allow are dropped');
        assert.match(r.registration_access_token, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(r.registration_client_uri, `${server.baseUrl}/oauth2/register/${r.client_id}`);
        assert.equal(typeof r.client_id_issued_at, 'number');
        assert.ok(Object.values(r).every((v) => v !== null), JSON.stringify(r));
      }
      const confidential = await registered({ client_name: 'server app', redirect_uris: ['https://app.example.test/cb'], token_endpoint_auth_method: 'client_secret_post' });
      assert.match(confidential.client_secret!, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(confidential.client_secret_expires_at, 0);
    });

    it('issue #10 / security bar 31: http://evil.com, javascript: and data: redirect URIs are invalid_redirect_uri; so are 1,000 of them; bad metadata is invalid_client_metadata; nothing is stored', async () => {
      const before = await count();
      for (const uri of ['http://evil.com/cb', 'javascript:alert(1)', 'data:text/html,hi', 'https://app.test/cb#frag']) {
        const res = await register({ client_name: 'x', redirect_uris: [uri] });
        assert.equal(res.status, 400, uri);
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_redirect_uri', uri);
      }
      const many = await register({ client_name: 'x', redirect_uris: Array.from({ length: 1000 }, (_, i) => `https://app.test/cb/${i}`) });
      assert.deepEqual([many.status, ((await many.json()) as { error: string }).error], [400, 'invalid_redirect_uri']);
      // RFC 7591 §3.2.2; a missing redirect_uris is a redirect URI problem (as oidc-provider answers it).
      const none = await register({ client_name: 'x' });
      assert.deepEqual([none.status, ((await none.json()) as { error: string }).error], [400, 'invalid_redirect_uri']);
      for (const [why, body] of [
        ['no client_name', { redirect_uris: ['https://a.test/cb'] }],
        ['implicit grant', { client_name: 'x', redirect_uris: ['https://a.test/cb'], grant_types: ['implicit'] }],
        ['unknown auth method', { client_name: 'x', redirect_uris: ['https://a.test/cb'], token_endpoint_auth_method: 'client_secret_jwt' }],
        ['not an object', '[1,2]'],
        ['not JSON', '{"client_name":'],
        ['a lone surrogate', '{"client_name":"a\\ud800","redirect_uris":["https://a.test/cb"]}'],
        ['1 MB', JSON.stringify({ client_name: 'x'.repeat(1024 * 1024), redirect_uris: ['https://a.test/cb'] })],
      ] as const) {
        const res = await register(body);
        assert.equal(res.status, 400, why);
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_client_metadata', why);
      }
      assert.equal(await count(), before);
    });

    it('issue #10 / security bar 32: a body-supplied client_id is ignored; a burst beyond the per-address limit is 429', async () => {
      const r = await registered({ client_id: 'client_MINE', client_secret: 'chosen', client_name: 'x', redirect_uris: ['https://a.test/cb'], token_endpoint_auth_method: 'none' });
      assert.notEqual(r.client_id, 'client_MINE');
      const limited = await startServer(dialect, { env: { PORTICO_DYNAMIC_CLIENT_REGISTRATION: 'on', PORTICO_REGISTRATION_RATE_LIMIT: '3' } });
      try {
        const statuses = [];
        for (let i = 0; i < 5; i++) statuses.push((await fetch(`${limited.baseUrl}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: `c${i}`, redirect_uris: ['https://a.test/cb'] }) })).status);
        assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
      } finally {
        await limited.close();
      }
    });

    it('issue #10: a registered client signs a user in; RFC 7592 reads, updates and deletes it with its token only', async () => {
      const r = await registered({ client_name: 'Notes MCP', redirect_uris: CLAUDE, token_endpoint_auth_method: 'none', scope: 'openid offline_access notes:read' });
      const pk = pkcePair();
      const flow = await runAuthorization(server, { params: { client_id: r.client_id, redirect_uri: CLAUDE[0]!, response_type: 'code', scope: 'openid offline_access notes:read', code_challenge: pk.challenge, code_challenge_method: 'S256' }, user: { id: `dcr-${dialect}`, email: `dcr-${dialect}@example.test` } });
      assert.deepEqual(flow.steps, ['login', 'consent']);
      const tokens = await exchangeCode(server, { grant_type: 'authorization_code', code: flow.callback.searchParams.get('code')!, client_id: r.client_id, code_verifier: pk.verifier, redirect_uri: CLAUDE[0]! });
      assert.equal(tokens.status, 200);
      const auth = { authorization: `Bearer ${r.registration_access_token}` };
      const read = await fetch(r.registration_client_uri, { headers: auth });
      assert.equal(read.status, 200);
      assert.equal(((await read.json()) as { client_name: string }).client_name, 'Notes MCP');
      assert.equal((await fetch(r.registration_client_uri, { headers: { authorization: 'Bearer wrongwrongwrongwrongwrong' } })).status, 401);
      const put = await fetch(r.registration_client_uri, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ client_id: r.client_id, client_name: 'Notes MCP 2', redirect_uris: CLAUDE, token_endpoint_auth_method: 'none' }) });
      assert.equal(put.status, 200, await put.clone().text());
      assert.equal(((await put.json()) as { client_name: string }).client_name, 'Notes MCP 2');
      assert.equal((await fetch(r.registration_client_uri, { method: 'DELETE', headers: auth })).status, 204);
      assert.equal((await fetch(r.registration_client_uri, { headers: auth })).status, 401);
    });

    it('issue #10 / security bar 34: a deleted registered client gets 401 invalid_client at the token endpoint (so the client registers again)', async () => {
      const r = await registered({ client_name: 'gone', redirect_uris: ['https://a.test/cb'], token_endpoint_auth_method: 'none' });
      assert.equal((await fetch(r.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${r.registration_access_token}` } })).status, 204);
      const res = await exchangeCode(server, { grant_type: 'authorization_code', code: 'x', client_id: r.client_id, code_verifier: 'v'.repeat(43) });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
      assert.match(res.headers.get('content-type')!, /application\/json/);
    });

    it('issue #10: housekeeping deletes registrations never used within PORTICO_REGISTRATION_UNUSED_TTL_SECONDS, never a used one', async () => {
      const unused = await registered({ client_name: 'unused', redirect_uris: ['https://a.test/cb'], token_endpoint_auth_method: 'none' });
      const used = await registered({ client_name: 'used', redirect_uris: ['https://a.test/cb'], token_endpoint_auth_method: 'none' });
      const pk = pkcePair();
      const flow = await runAuthorization(server, { params: { client_id: used.client_id, redirect_uri: 'https://a.test/cb', response_type: 'code', scope: 'openid', code_challenge: pk.challenge, code_challenge_method: 'S256' }, user: { id: `hk-${dialect}`, email: `hk-${dialect}@example.test` } });
      assert.equal((await exchangeCode(server, { grant_type: 'authorization_code', code: flow.callback.searchParams.get('code')!, client_id: used.client_id, code_verifier: pk.verifier, redirect_uri: 'https://a.test/cb' })).status, 200);
      // PORTICO_REGISTRATION_UNUSED_TTL_SECONDS=3600 on this server (the default is a day), read from its configuration.
      clock.advance(3_600_000 + 1000);
      await housekeep(server.storage, clock, server.config);
      assert.equal((await api(server, `/connect/applications/${unused.client_id}`)).status, 404);
      assert.equal((await api(server, `/connect/applications/${used.client_id}`)).status, 200);
    });

    async function count(): Promise<number> {
      return ((await (await api(server, '/connect/applications?limit=100')).json()) as { data: unknown[] }).data.length;
    }
  });
}

describe('issue #10 / security bar 30: an issuer with a path', () => {
  it('issue #10 / security bar 30: metadata at the path-inserted well-known URL (RFC 8414 §3.1), issuer exactly the base URL', async () => {
    const server = await startServer('sqlite', { env: { PORTICO_ISSUER: 'https://auth.example.test/tenant-a', PORTICO_DYNAMIC_CLIENT_REGISTRATION: 'on', PORTICO_CLIENT_ID_METADATA_DOCUMENTS: 'on' } });
    try {
      const inserted = await server.app.inject({ url: '/.well-known/oauth-authorization-server/tenant-a' });
      assert.equal(inserted.statusCode, 200);
      const meta = inserted.json<Record<string, unknown>>();
      assert.equal(meta.issuer, 'https://auth.example.test/tenant-a');
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      assert.ok((meta.token_endpoint_auth_methods_supported as string[]).includes('none'));
      assert.equal(meta.registration_endpoint, 'https://auth.example.test/tenant-a/oauth2/register');
      assert.equal(meta.client_id_metadata_document_supported, true);
      assert.equal((await server.app.inject({ url: '/tenant-a/.well-known/openid-configuration' })).statusCode, 200);
    } finally {
      await server.close();
    }
  });
});
