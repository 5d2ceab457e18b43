// Issue #11: token exchange (RFC 8693) driven by openid-client's generic grant request against a real
// server on both dialects. An MCP client (a public third-party app) holds a user's token for the MCP
// server's resource; the MCP server (a confidential first-party app) exchanges it for the company's API.
// The exchanged token verifies with jose's remote JWKS for the target audience and carries act; every
// error of the grant; introspection limits (first-party apps see public clients' tokens, nobody else's);
// and the revocation cascade: a refresh family, the subject token, the consent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { offsetClock } from '../support/oauth-deps.ts';
import { exchangeCode, pkcePair, runAuthorization } from '../support/oauth-flow.ts';
import { tokenRequest } from '../support/seed.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const MCP = 'https://mcp.example.test';
const API = 'https://api.example.test';
const REDIRECT = 'http://127.0.0.1/callback';
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';

async function created<T>(res: Response): Promise<T> {
  if (res.status !== 201) throw new Error(`${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** The OAuth error code (and status) openid-client raised. */
async function oauthError(promise: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await promise;
  } catch (e) {
    const err = e as { error?: string; status?: number; cause?: { error?: string } };
    return { error: err.error ?? err.cause?.error ?? String(e), status: err.status ?? 0 };
  }
  throw new Error('expected an OAuth error');
}

for (const dialect of DIALECTS) {
  describe(`issue #11: token exchange with openid-client (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let mcpClient: { id: string; client_id: string };
    let mcpServer: { id: string; client_id: string; secret: string; config: client.Configuration };
    let n = 0;
    let clock: ReturnType<typeof offsetClock>;

    before(async () => {
      clock = offsetClock();
      server = await startServer(dialect, { clock, env: { PORTICO_RESOURCES: `${MCP},${API}` } });
      const org = await created<{ id: string }>(await api(server, '/organizations', { method: 'POST', body: { name: 'MCP vendor' } }));
      mcpClient = await created(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Claude', application_type: 'oauth', is_first_party: false, organization_id: org.id, uses_pkce: true, redirect_uris: [{ uri: REDIRECT }], scopes: ['posts:read', 'posts:write'] } }));
      const app = await created<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Acme MCP server', application_type: 'oauth', is_first_party: true } }));
      const { secret } = await created<{ secret: string }>(await api(server, `/connect/applications/${app.id}/client_secrets`, { method: 'POST', body: {} }));
      const config = await client.discovery(new URL(server.baseUrl), app.client_id, undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
      mcpServer = { ...app, secret, config };
    });
    after(async () => {
      await server?.close();
    });

    /** The MCP client's tokens for a new user: authorization code + PKCE for the MCP server's resource. */
    const mcpTokens = async (scope = 'openid offline_access posts:read posts:write') => {
      n++;
      const { verifier, challenge } = pkcePair();
      const flow = await runAuthorization(server, {
        params: { client_id: mcpClient.client_id, redirect_uri: REDIRECT, response_type: 'code', scope, resource: MCP, code_challenge: challenge, code_challenge_method: 'S256', state: 's' },
        user: { id: `mcp-user-${n}`, email: `mcp-${n}@example.test` },
      });
      const res = await exchangeCode(server, { grant_type: 'authorization_code', code: flow.callback.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: mcpClient.client_id, code_verifier: verifier });
      return (await res.json()) as { access_token: string; refresh_token: string };
    };
    const exchange = (params: Record<string, string>, config = mcpServer.config) => client.genericGrantRequest(config, GRANT, params);
    const introspect = async (token: string, as: { id: string; secret: string } = { id: mcpServer.client_id, secret: mcpServer.secret }) =>
      (await (await tokenRequest(server, { token }, as, '/oauth2/introspection')).json()) as Record<string, unknown>;
    const userinfo = (token: string) => fetch(`${server.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });

    it('the exchanged token verifies with jose for the target audience, keeps sub and sid, names the MCP server in act, never outlives the subject', async () => {
      const subject = await mcpTokens();
      // 200 s into the subject token's 300: the exchanged one gets what is left, not a fresh 300 s.
      clock.advance(200_000);
      const out = await exchange({ subject_token: subject.access_token, subject_token_type: AT, resource: API, scope: 'openid posts:read' });
      assert.equal(out.issued_token_type, AT);
      assert.equal(out.token_type, 'bearer');
      assert.equal(out.scope, 'openid posts:read');
      assert.equal(out.refresh_token, undefined);
      const { payload, protectedHeader } = await jwtVerify(out.access_token, createRemoteJWKSet(new URL(`${server.baseUrl}/oauth2/jwks`)), { issuer: server.baseUrl, audience: API });
      assert.equal(protectedHeader.typ, 'at+jwt');
      const s = decodeJwt(subject.access_token);
      assert.equal(s.aud, MCP);
      assert.equal(payload.sub, s.sub);
      assert.equal(payload.sid, s.sid);
      assert.equal(payload.client_id, mcpServer.client_id);
      assert.deepEqual(payload.act, { sub: mcpServer.client_id });
      assert.equal(payload.exp, s.exp, 'never outlives the subject token');
      assert.ok(out.expires_in! <= 100 && out.expires_in! > 90, `expires_in ${out.expires_in}`);
      // A token for the MCP server's resource does not verify for the API, and vice versa.
      await assert.rejects(jwtVerify(subject.access_token, createRemoteJWKSet(new URL(`${server.baseUrl}/oauth2/jwks`)), { issuer: server.baseUrl, audience: API }));

      const inspected = await introspect(out.access_token);
      assert.equal(inspected.active, true);
      assert.deepEqual(inspected.act, { sub: mcpServer.client_id });
      assert.equal(inspected.aud, API);
      const info = await userinfo(out.access_token);
      assert.equal(info.status, 200);
      assert.equal(((await info.json()) as { sub: string }).sub, s.sub);
    });

    it('every error: invalid_request, unsupported_token_type, invalid_grant, invalid_target, invalid_scope, unauthorized_client', async () => {
      const subject = (await mcpTokens('openid posts:read')).access_token;
      const base = { subject_token: subject, subject_token_type: AT, resource: API };
      const cases: [Record<string, string>, string][] = [
        [{ subject_token_type: AT, resource: API }, 'invalid_request'],
        [{ subject_token: subject, resource: API }, 'invalid_request'],
        [{ subject_token: subject, subject_token_type: AT }, 'invalid_request'],
        [{ ...base, actor_token: subject, actor_token_type: AT }, 'invalid_request'],
        [{ ...base, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'unsupported_token_type'],
        [{ ...base, subject_token: 'not-a-token' }, 'invalid_grant'],
        [{ ...base, resource: 'https://unknown.example.test' }, 'invalid_target'],
        [{ ...base, scope: 'posts:write' }, 'invalid_scope'],
      ];
      for (const [params, expected] of cases) assert.deepEqual(await oauthError(exchange(params)), { error: expected, status: 400 }, JSON.stringify(Object.keys(params)));

      // The MCP client itself (third-party, public), an M2M app, and a public first-party app may not exchange.
      const asPublic = await client.discovery(new URL(server.baseUrl), mcpClient.client_id, undefined, client.None(), { execute: [client.allowInsecureRequests] });
      assert.equal((await oauthError(exchange(base, asPublic))).error, 'unauthorized_client');
      const org = await created<{ id: string }>(await api(server, '/organizations', { method: 'POST', body: { name: 'Ops' } }));
      const m2m = await created<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Cron', application_type: 'm2m', organization_id: org.id } }));
      const m2mSecret = (await created<{ secret: string }>(await api(server, `/connect/applications/${m2m.id}/client_secrets`, { method: 'POST', body: {} }))).secret;
      const asM2M = await client.discovery(new URL(server.baseUrl), m2m.client_id, undefined, client.ClientSecretBasic(m2mSecret), { execute: [client.allowInsecureRequests] });
      assert.equal((await oauthError(exchange(base, asM2M))).error, 'unauthorized_client');
      // An M2M token has no user to act for.
      const m2mToken = (await client.clientCredentialsGrant(asM2M)).access_token;
      assert.equal((await oauthError(exchange({ ...base, subject_token: m2mToken }))).error, 'invalid_grant');
    });

    it('introspection: the first-party MCP server sees the public MCP client\'s tokens; other callers only their own', async () => {
      const subject = (await mcpTokens('openid posts:read')).access_token;
      assert.equal((await introspect(subject)).active, true);
      // A confidential third-party app sees nothing of other clients.
      const org = await created<{ id: string }>(await api(server, '/organizations', { method: 'POST', body: { name: 'Other vendor' } }));
      const other = await created<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Other', application_type: 'oauth', is_first_party: false, organization_id: org.id, redirect_uris: [{ uri: REDIRECT }] } }));
      const otherSecret = (await created<{ secret: string }>(await api(server, `/connect/applications/${other.id}/client_secrets`, { method: 'POST', body: {} }))).secret;
      assert.deepEqual(await introspect(subject, { id: other.client_id, secret: otherSecret }), { active: false });
      // Another first-party app sees the public client's token, but not the MCP server's (confidential) exchanged one.
      const dashboard = await created<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body: { name: 'Dashboard', application_type: 'oauth', is_first_party: true } }));
      const dashSecret = (await created<{ secret: string }>(await api(server, `/connect/applications/${dashboard.id}/client_secrets`, { method: 'POST', body: {} }))).secret;
      const exchanged = (await exchange({ subject_token: subject, subject_token_type: AT, resource: API })).access_token;
      assert.equal((await introspect(subject, { id: dashboard.client_id, secret: dashSecret })).active, true);
      assert.deepEqual(await introspect(exchanged, { id: dashboard.client_id, secret: dashSecret }), { active: false });
      assert.equal((await oauthError(exchange({ subject_token: exchanged, subject_token_type: AT, resource: MCP }, await client.discovery(new URL(server.baseUrl), dashboard.client_id, undefined, client.ClientSecretBasic(dashSecret), { execute: [client.allowInsecureRequests] })))).error, 'invalid_grant');
    });

    it('revocation cascade: a reused refresh token, a revoked subject token, a deleted consent each kill exchanged tokens at introspection and userinfo', async () => {
      // 1. Refresh family: the MCP client's refresh token is replayed after rotation.
      const first = await mcpTokens();
      const exchanged1 = (await exchange({ subject_token: first.access_token, subject_token_type: AT, resource: API })).access_token;
      const rotate = (rt: string) => fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: mcpClient.client_id }) });
      assert.equal((await rotate(first.refresh_token)).status, 200);
      assert.equal((await introspect(exchanged1)).active, true);
      assert.equal((await rotate(first.refresh_token)).status, 400, 'reuse: the family is revoked');
      assert.deepEqual(await introspect(exchanged1), { active: false });
      assert.equal((await userinfo(exchanged1)).status, 401);

      // 2. The MCP client revokes the subject access token itself (RFC 7009).
      const second = await mcpTokens();
      const exchanged2 = (await exchange({ subject_token: second.access_token, subject_token_type: AT, resource: API })).access_token;
      const nested = (await exchange({ subject_token: exchanged2, subject_token_type: AT, resource: MCP })).access_token;
      assert.deepEqual(decodeJwt(nested).act, { sub: mcpServer.client_id, act: { sub: mcpServer.client_id } });
      // issue #11: both are live before the revocation, so it is the revocation that kills them.
      for (const t of [exchanged2, nested]) {
        assert.equal((await introspect(t)).active, true);
        assert.equal((await userinfo(t)).status, 200);
      }
      const revoke = await fetch(`${server.baseUrl}/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: second.access_token, client_id: mcpClient.client_id }) });
      assert.equal(revoke.status, 200);
      for (const t of [exchanged2, nested]) {
        assert.deepEqual(await introspect(t), { active: false });
        assert.equal((await userinfo(t)).status, 401);
      }

      // 3. The user's consent is withdrawn through the management API.
      const third = await mcpTokens();
      const exchanged3 = (await exchange({ subject_token: third.access_token, subject_token_type: AT, resource: API })).access_token;
      assert.equal((await userinfo(exchanged3)).status, 200);
      const userId = decodeJwt(third.access_token).sub!;
      assert.equal((await api(server, `/user_management/users/${userId}/authorized_applications/${mcpClient.client_id}`, { method: 'DELETE' })).status, 204);
      assert.deepEqual(await introspect(exchanged3), { active: false });
      assert.equal((await userinfo(exchanged3)).status, 401);
      assert.equal((await oauthError(exchange({ subject_token: third.access_token, subject_token_type: AT, resource: API }))).error, 'invalid_grant');
    });
  });
}
