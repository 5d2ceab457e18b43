// Issue #3: openid-client (a certified client) drives discovery, client_credentials with both
// auth methods, introspection and revocation against a real server; jose's createRemoteJWKSet verifies.
// Issue #8: tests that cover security bar items 4, 5 and 6 carry the item in their titles.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { addSecret, seedM2MClient, seedOAuthClient, tokenRequest, type SeededClient } from '../support/seed.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const RESOURCE = 'https://api.example.test';

async function configFor(server: TestServer, c: { clientId: string; secret: string }, auth: 'basic' | 'post'): Promise<client.Configuration> {
  const clientAuth = auth === 'basic' ? client.ClientSecretBasic(c.secret) : client.ClientSecretPost(c.secret);
  return client.discovery(new URL(server.baseUrl), c.clientId, undefined, clientAuth, { execute: [client.allowInsecureRequests] });
}

async function oauthError(promise: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await promise;
  } catch (e) {
    const err = e as { error?: string; status?: number; cause?: { error?: string }; response?: Response };
    // With a WWW-Authenticate challenge openid-client raises before reading the body: read it here.
    if (err.error === undefined && err.response && !err.response.bodyUsed) {
      const body = (await err.response.json()) as { error: string };
      return { error: body.error, status: err.response.status };
    }
    return { error: err.error ?? err.cause?.error ?? String(e), status: err.status ?? 0 };
  }
  throw new Error('expected an OAuth error');
}

for (const dialect of DIALECTS) {
  describe(`M2M OAuth with openid-client (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let m2m: SeededClient;
    let jwks: ReturnType<typeof createRemoteJWKSet>;

    before(async () => {
      server = await startServer(dialect, { env: { PORTICO_RESOURCES: `${RESOURCE},https://mcp.example.test/mcp` } });
      m2m = await seedM2MClient(server);
      jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/oauth2/jwks`));
    });
    after(async () => {
      await server.close();
    });

    it('discovery advertises exactly what is implemented', async () => {
      const config = await configFor(server, m2m, 'basic');
      const meta = config.serverMetadata();
      assert.equal(meta.issuer, server.baseUrl);
      assert.equal(meta.token_endpoint, `${server.baseUrl}/oauth2/token`);
      assert.equal(meta.jwks_uri, `${server.baseUrl}/oauth2/jwks`);
      assert.equal(meta.introspection_endpoint, `${server.baseUrl}/oauth2/introspection`);
      assert.equal(meta.revocation_endpoint, `${server.baseUrl}/oauth2/revoke`);
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
      assert.deepEqual(meta.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
      // Issue #11 added the device authorization grant (with its endpoint) and token exchange.
      assert.deepEqual([...(meta.grant_types_supported ?? [])].sort(), ['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange']);
      assert.equal(meta.device_authorization_endpoint, `${server.baseUrl}/oauth2/device_authorization`);
      assert.equal(meta.grant_types_supported?.includes('password'), false);
      const rfc8414 = (await (await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
      assert.equal(rfc8414.issuer, server.baseUrl);
    });

    for (const auth of ['basic', 'post'] as const) {
      it(`client_credentials with client_secret_${auth}: a JWT verifiable through the JWKS, WorkOS claims`, async () => {
        const config = await configFor(server, m2m, auth);
        const tokens = await client.clientCredentialsGrant(config);
        assert.equal(tokens.token_type.toLowerCase(), 'bearer');
        assert.equal(tokens.expires_in, 3600);
        assert.equal(tokens.scope, 'posts:read posts:write');
        assert.equal(tokens.refresh_token, undefined);
        const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: server.baseUrl, audience: server.environmentClientId });
        assert.equal(protectedHeader.alg, 'RS256');
        assert.match(protectedHeader.kid ?? '', /^sso_oidc_key_pair_[0-9A-Z]{26}$/);
        assert.equal(payload.sub, m2m.clientId);
        assert.equal(payload.client_id, m2m.clientId);
        assert.equal(payload.org_id, m2m.orgId);
        assert.equal(payload.scope, 'posts:read posts:write');
        assert.match(String(payload.jti), /^[0-9A-Z]{26}$/);
        assert.equal(payload.exp! - payload.iat!, 3600);
        assert.equal(payload.sid, undefined);
      });
    }

    it('scope: a subset is granted exactly, a wider one is invalid_scope', async () => {
      const config = await configFor(server, m2m, 'basic');
      const narrow = await client.clientCredentialsGrant(config, { scope: 'posts:read' });
      assert.equal(narrow.scope, 'posts:read');
      const { payload } = await jwtVerify(narrow.access_token, jwks);
      assert.equal(payload.scope, 'posts:read');
      const wide = await oauthError(client.clientCredentialsGrant(config, { scope: 'posts:read admin' }));
      assert.equal(wide.error, 'invalid_scope');
    });

    it('resource (RFC 8707) from the allow-list sets aud; anything else is invalid_target', async () => {
      const config = await configFor(server, m2m, 'post');
      const tokens = await client.clientCredentialsGrant(config, { resource: RESOURCE });
      const { payload } = await jwtVerify(tokens.access_token, jwks, { audience: RESOURCE });
      assert.equal(payload.aud, RESOURCE);
      // Scheme and host compare case-insensitively (canonicalised).
      const upper = await client.clientCredentialsGrant(config, { resource: 'HTTPS://API.EXAMPLE.TEST' });
      assert.equal(decodeProtectedHeader(upper.access_token).alg, 'RS256');
      assert.equal((await jwtVerify(upper.access_token, jwks)).payload.aud, RESOURCE);
      for (const resource of ['https://evil.test', 'not a uri', `${RESOURCE}#frag`]) {
        assert.equal((await oauthError(client.clientCredentialsGrant(config, { resource }))).error, 'invalid_target', resource);
      }
    });

    it('an OAuth application gets unauthorized_client; wrong, deleted or foreign secrets get invalid_client', async () => {
      const oauthApp = await seedOAuthClient(server);
      assert.equal((await oauthError(client.clientCredentialsGrant(await configFor(server, oauthApp, 'basic')))).error, 'unauthorized_client');
      const wrong = await oauthError(client.clientCredentialsGrant(await configFor(server, { clientId: m2m.clientId, secret: 'x'.repeat(43) }, 'basic')));
      assert.deepEqual(wrong, { error: 'invalid_client', status: 401 });
      // Another application's secret does not authenticate this client.
      const foreign = await oauthError(client.clientCredentialsGrant(await configFor(server, { clientId: m2m.clientId, secret: oauthApp.secret }, 'post')));
      assert.equal(foreign.error, 'invalid_client');
    });

    it('security bar 5: a deleted secret fails on the very next request; the other secrets keep working', async () => {
      const app = await seedM2MClient(server);
      const second = await addSecret(server, app.appId);
      const config = await configFor(server, app, 'basic');
      await client.clientCredentialsGrant(config);
      assert.equal((await api(server, `/connect/client_secrets/${app.secretId}`, { method: 'DELETE' })).status, 204);
      assert.equal((await oauthError(client.clientCredentialsGrant(config))).error, 'invalid_client');
      await client.clientCredentialsGrant(await configFor(server, { clientId: app.clientId, secret: second.secret }, 'basic'));
    });

    it('a deleted application fails on the very next request, and its tokens stop introspecting', async () => {
      const app = await seedM2MClient(server);
      const config = await configFor(server, app, 'basic');
      const { access_token } = await client.clientCredentialsGrant(config);
      const introspector = await seedM2MClient(server);
      assert.equal((await client.tokenIntrospection(config, access_token)).active, true);
      assert.equal((await api(server, `/connect/applications/${app.appId}`, { method: 'DELETE' })).status, 204);
      assert.equal((await oauthError(client.clientCredentialsGrant(config))).error, 'invalid_client');
      // The app can no longer authenticate, and nobody else may learn about its tokens.
      const other = await configFor(server, introspector, 'basic');
      assert.deepEqual(await client.tokenIntrospection(other, access_token), { active: false });
    });

    it('security bar 6: with 5 secrets every one authenticates (zero-downtime rotation)', async () => {
      const app = await seedM2MClient(server);
      const secrets = [app.secret];
      for (let i = 0; i < 4; i++) secrets.push((await addSecret(server, app.appId)).secret);
      for (const secret of secrets) {
        const tokens = await client.clientCredentialsGrant(await configFor(server, { clientId: app.clientId, secret }, 'post'));
        assert.ok(tokens.access_token);
      }
    });

    it('security bar 4: last_used_at: set by a successful authentication, never by a failed one, never backwards', async () => {
      const app = await seedM2MClient(server);
      const list = async () => (await (await api(server, `/connect/applications/${app.appId}/client_secrets`)).json()) as { id: string; last_used_at: string | null }[];
      // The last character changed (to A, or to B when it already was A: 1 run in 64 used to pass the right secret).
      const wrong = `${app.secret.slice(0, -1)}${app.secret.endsWith('A') ? 'B' : 'A'}`;
      await oauthError(client.clientCredentialsGrant(await configFor(server, { clientId: app.clientId, secret: wrong }, 'basic')));
      assert.equal((await list())[0]!.last_used_at, null);
      const before = Date.now();
      await client.clientCredentialsGrant(await configFor(server, app, 'basic'));
      const stamped = (await list())[0]!.last_used_at;
      assert.ok(stamped !== null && Date.parse(stamped) >= before - 5 && Date.parse(stamped) <= Date.now());
      await client.clientCredentialsGrant(await configFor(server, app, 'post'));
      assert.ok(Date.parse((await list())[0]!.last_used_at!) >= Date.parse(stamped));
      // Introspection authenticates the client too (its stamp is coalesced within the minute).
      const config = await configFor(server, app, 'basic');
      await client.tokenIntrospection(config, 'x');
      assert.equal((await list())[0]!.last_used_at, stamped);
    });

    it('introspection (RFC 7662): own active tokens in full; unknown, foreign, revoked: exactly {active:false}', async () => {
      const config = await configFor(server, m2m, 'basic');
      const { access_token } = await client.clientCredentialsGrant(config, { scope: 'posts:read' });
      const info = await client.tokenIntrospection(config, access_token);
      assert.equal(info.active, true);
      assert.equal(info.client_id, m2m.clientId);
      assert.equal(info.sub, m2m.clientId);
      assert.equal(info.org_id, m2m.orgId);
      assert.equal(info.scope, 'posts:read');
      assert.equal(info.iss, server.baseUrl);
      assert.equal(info.token_type, 'access_token');
      for (const k of ['exp', 'iat', 'jti']) assert.ok(info[k] !== undefined, k);
      assert.deepEqual(await client.tokenIntrospection(config, 'not-a-token'), { active: false });
      const other = await seedM2MClient(server);
      assert.deepEqual(await client.tokenIntrospection(await configFor(server, other, 'post'), access_token), { active: false });

      await client.tokenRevocation(config, access_token);
      assert.deepEqual(await client.tokenIntrospection(config, access_token), { active: false });
      // Unknown tokens revoke with 200 (RFC 7009 §2.2).
      await client.tokenRevocation(config, 'unknown-token');
    });

    it('introspection and revocation require client authentication', async () => {
      for (const path of ['/oauth2/introspection', '/oauth2/revoke']) {
        const res = await tokenRequest(server, { token: 'x' }, undefined, path);
        assert.equal(res.status, 401);
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
      }
    });
  });
}
