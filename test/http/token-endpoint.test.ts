// Issue #3: the token endpoint to the letter of RFC 6749 (security bar §6 items 9-14, 37, 40-43).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkOS } from '@workos-inc/node';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { seedM2MClient, tokenRequest, type SeededClient } from '../support/seed.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const CC = { grant_type: 'client_credentials' };

async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
  assert.equal(res.status, status, `${error}: ${res.status}`);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as { error: string; error_description: unknown };
  assert.equal(body.error, error);
  assert.equal(typeof body.error_description, 'string');
}

for (const dialect of DIALECTS) {
  describe(`token endpoint rules (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let m2m: SeededClient;
    before(async () => {
      server = await startServer(dialect, { env: { PORTICO_AUTH_FAILURE_LIMIT: '5' } });
      m2m = await seedM2MClient(server);
    });
    after(async () => {
      await server.close();
    });
    const basic = () => ({ id: m2m.clientId, secret: m2m.secret });

    it('a success has Cache-Control: no-store, JSON, no refresh_token, and exp - iat = expires_in', async () => {
      const res = await tokenRequest(server, CC, basic());
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.headers.get('pragma'), 'no-cache');
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
      const claims = JSON.parse(Buffer.from(String(body.access_token).split('.')[1]!, 'base64url').toString()) as { exp: number; iat: number };
      assert.equal(claims.exp - claims.iat, body.expires_in);
    });

    it('a repeated parameter is invalid_request; unknown parameters are ignored', async () => {
      await expectOAuthError(await tokenRequest(server, 'grant_type=client_credentials&grant_type=client_credentials', basic()), 400, 'invalid_request');
      await expectOAuthError(await tokenRequest(server, 'grant_type=client_credentials&scope=posts:read&scope=posts:read', basic()), 400, 'invalid_request');
      assert.equal((await tokenRequest(server, { ...CC, unknown_param: 'x' }, basic())).status, 200);
    });

    it('Basic and client_secret in the body together is invalid_request; client_secret_post alone works', async () => {
      await expectOAuthError(await tokenRequest(server, { ...CC, client_secret: m2m.secret }, basic()), 400, 'invalid_request');
      assert.equal((await tokenRequest(server, { ...CC, client_id: m2m.clientId, client_secret: m2m.secret })).status, 200);
      await expectOAuthError(await tokenRequest(server, { ...CC, client_id: 'client_other' }, basic()), 400, 'invalid_request');
    });

    it('Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1)', async () => {
      // Encoding every character: %63 is "c"; a client that percent-encodes must still authenticate.
      const encodedId = [...m2m.clientId].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
      const header = `Basic ${Buffer.from(`${encodedId}:${encodeURIComponent(m2m.secret)}`).toString('base64')}`;
      const res = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { authorization: header, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      assert.equal(res.status, 200);
    });

    it('a bad secret over Basic is 401 invalid_client with WWW-Authenticate: Basic; over the body 401 without it', async () => {
      const res = await tokenRequest(server, CC, { id: m2m.clientId, secret: 'wrong' });
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
      await expectOAuthError(res, 401, 'invalid_client');
      const post = await tokenRequest(server, { ...CC, client_id: m2m.clientId, client_secret: 'wrong' });
      assert.equal(post.headers.get('www-authenticate'), null);
      await expectOAuthError(post, 401, 'invalid_client');
      await expectOAuthError(await tokenRequest(server, CC), 401, 'invalid_client');
    });

    it('unsupported and missing grant types; password and implicit are not offered', async () => {
      await expectOAuthError(await tokenRequest(server, { grant_type: 'password', username: 'u', password: 'p' }, basic()), 400, 'unsupported_grant_type');
      await expectOAuthError(await tokenRequest(server, {}, basic()), 400, 'invalid_request');
      const json = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CC) });
      await expectOAuthError(json, 400, 'invalid_request');
    });

    it('tokens we did not sign introspect as exactly {active:false}: alg none, HS256 with the public key, unknown kid, tampered', async () => {
      const good = String(((await (await tokenRequest(server, CC, basic())).json()) as { access_token: string }).access_token);
      const [h, p, s] = good.split('.') as [string, string, string];
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string };
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const jwk = ((await (await fetch(`${server.baseUrl}/oauth2/jwks`)).json()) as { keys: { n: string }[] }).keys[0]!;
      const hsInput = `${b64({ alg: 'HS256', kid: header.kid })}.${p}`;
      const forged = [
        `${b64({ alg: 'none', kid: header.kid })}.${p}.`,
        `${hsInput}.${createHmac('sha256', JSON.stringify(jwk)).update(hsInput).digest('base64url')}`,
        `${b64({ alg: 'RS256', kid: 'sso_oidc_key_pair_UNKNOWN' })}.${p}.${s}`,
        `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'admin' })}.${s}`,
        `${h}.${p}.${s.slice(0, -4)}AAAA`,
      ];
      const introspect = (token: string) => tokenRequest(server, { token }, basic(), '/oauth2/introspection');
      assert.equal(((await (await introspect(good)).json()) as { active: boolean }).active, true);
      for (const token of forged) assert.deepEqual(await (await introspect(token)).json(), { active: false }, token.slice(0, 40));
    });

    it('repeated failures for one client_id are throttled (429 + Retry-After); the real client and other clients are not', async () => {
      const victim = await seedM2MClient(server);
      const bystander = await seedM2MClient(server);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await tokenRequest(server, CC, { id: victim.clientId, secret: `wrong-${i}` })).status);
      assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
      assert.deepEqual(statuses.slice(5), [429, 429, 429]);
      const throttled = await tokenRequest(server, CC, { id: victim.clientId, secret: 'wrong-again' });
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
      await expectOAuthError(throttled, 429, 'slow_down');
      // Knowing a client_id (it is not secret) is not enough to lock its owner out.
      assert.equal((await tokenRequest(server, CC, { id: victim.clientId, secret: victim.secret })).status, 200);
      assert.equal((await tokenRequest(server, CC, { id: bystander.clientId, secret: bystander.secret })).status, 200);
    });

    it('credential changes and failed client authentications are audit events, listable with the SDK, free of secrets', async () => {
      const app = await seedM2MClient(server);
      await tokenRequest(server, CC, { id: app.clientId, secret: 'not-it' });
      assert.equal((await api(server, `/connect/client_secrets/${app.secretId}`, { method: 'DELETE' })).status, 204);
      const { hostname, port } = new URL(server.baseUrl);
      const workos = new WorkOS(server.apiKey, { apiHostname: hostname, port: Number(port), https: false });
      const names = ['connect_application.created', 'connect_application_secret.created', 'connect_application_secret.deleted', 'oauth.client_authentication_failed'];
      // Failed authentications are written in batches (at most every 100 ms): wait for this one.
      let list = await workos.events.listEvents({ events: names as never, limit: 100 });
      const mineOf = (l: typeof list) => l.data.filter((e) => JSON.stringify(e.data).includes(app.appId) || JSON.stringify(e.data).includes(app.clientId));
      for (let i = 0; i < 20 && mineOf(list).length < 4; i++) {
        await new Promise((r) => setTimeout(r, 100));
        list = await workos.events.listEvents({ events: names as never, limit: 100 });
      }
      const mine = mineOf(list);
      assert.deepEqual(mine.map((e) => e.event).sort(), ['connect_application.created', 'connect_application_secret.created', 'connect_application_secret.deleted', 'oauth.client_authentication_failed']);
      const raw = JSON.stringify(list.data);
      assert.equal(raw.includes(app.secret), false);
      assert.equal(raw.includes('not-it'), false);
      const created = mine.find((e) => (e.event as string) === 'connect_application_secret.created') as unknown as { context: { actor_type: string }; data: { id: string } };
      assert.equal(created.context.actor_type, 'api_key');
      assert.equal(created.data.id, app.secretId);
    });

    it('/metrics counts tokens issued and failures by grant and error, and request latency', async () => {
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      assert.match(text, /^portico_tokens_issued_total\{grant="client_credentials"\} [1-9]\d*$/m);
      assert.match(text, /^portico_token_errors_total\{error="invalid_client",grant="client_credentials"\} [1-9]\d*$/m);
      assert.match(text, /^portico_token_errors_total\{error="unsupported_grant_type",grant="unknown"\} [1-9]\d*$/m);
      assert.match(text, /^portico_http_request_duration_seconds_count\{method="POST",route="\/oauth2\/token",status="200"\} [1-9]\d*$/m);
      assert.equal(text.includes(m2m.secret), false);
    });

    it('JWKS: every key has kid, alg and use, with a Cache-Control max-age', async () => {
      const res = await fetch(`${server.baseUrl}/oauth2/jwks`);
      assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
      const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
      assert.ok(keys.length >= 1);
      for (const k of keys) {
        for (const member of ['kid', 'alg', 'use', 'kty']) assert.equal(typeof k[member], 'string', member);
        for (const secretMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[secretMember], undefined, secretMember);
      }
    });
  });
}
