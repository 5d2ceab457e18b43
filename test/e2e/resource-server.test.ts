// Issue #10 (item 4, resource servers): portico/resource-server against a real Portico. A node:http
// API guarded by authenticate() and serving its RFC 9728 metadata accepts an M2M token requested
// for its resource, and refuses, with the RFC 6750 challenge, tokens for another audience, from
// another issuer, expired, tampered, unsigned (alg none), HMAC-signed with the public key, or
// without the scope a route needs. An unknown-kid storm refetches the JWKS no more than jose's
// cooldown allows.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { authenticate, createVerifier, InsufficientScopeError, InvalidTokenError, metadataUrl, protectedResourceMetadata, serveMetadata, VerifierUnavailableError, type Verifier } from 'portico/resource-server';
import { recordingFetch, tamper, unsigned } from '../support/jwt-forgery.ts';
import { seedM2MClient, tokenRequest, type SeededClient } from '../support/seed.ts';
import { freePort, startServer, type TestServer } from '../support/server.ts';

const SCOPES = ['notes:read', 'notes:write'];

async function m2mToken(server: TestServer, client: SeededClient, form: Record<string, string>): Promise<string> {
  const res = await tokenRequest(server, { grant_type: 'client_credentials', ...form }, { id: client.clientId, secret: client.secret });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The rejection of `verify`, asserted to be of `type`. */
async function refusal<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const err = await promise.then(() => assert.fail('the token was accepted'), (e: unknown) => e);
  assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
  return err;
}

describe('portico/resource-server against a real Portico (issue #10)', () => {
  let portico: TestServer;
  let m2m: SeededClient;
  let api: Server;
  let resource: string;
  let metadataAt: string;
  let verifier: Verifier;
  let apiUrl: string;

  before(async () => {
    const port = await freePort();
    resource = `http://127.0.0.1:${port}/api`;
    portico = await startServer('sqlite', { env: { PORTICO_RESOURCES: resource } });
    m2m = await seedM2MClient(portico, SCOPES);
    verifier = createVerifier({ issuer: portico.baseUrl, resource });
    metadataAt = metadataUrl(resource);
    const metadata = protectedResourceMetadata({ resource, authorizationServers: [portico.baseUrl], scopesSupported: SCOPES, resourceName: 'Notes API' });
    // The API a customer would write: reading needs notes:read, writing notes:write.
    api = createServer((req, res) => {
      if (serveMetadata(req, res, metadata)) return;
      const requiredScopes = req.method === 'POST' ? ['notes:write'] : ['notes:read'];
      authenticate(req, res, { verifier, requiredScopes, resourceMetadataUrl: metadataAt }).then((info) => {
        if (info) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ subject: info.subject, clientId: info.clientId, scopes: info.scopes, org: info.organizationId }));
      }, (err: unknown) => res.writeHead(500).end(String(err)));
    });
    await new Promise<void>((resolve) => api.listen(port, '127.0.0.1', resolve));
    apiUrl = `${resource}/notes`;
  });
  after(async () => {
    await new Promise((resolve) => api.close(resolve));
    await portico.close();
  });

  const call = (token: string | undefined, method = 'GET', authorization = token && `Bearer ${token}`) =>
    fetch(apiUrl, { method, headers: authorization ? { authorization } : {} });

  /** The challenge of a refused call, checked to point at the metadata (RFC 9728 §5.1). */
  async function challenge(res: Response, status: number): Promise<string> {
    assert.equal(res.status, status, await res.clone().text());
    const header = res.headers.get('www-authenticate') ?? '';
    assert.ok(header.endsWith(`resource_metadata="${metadataAt}"`), header);
    return header;
  }

  it('issue #10: an M2M token requested with resource verifies: aud is the resource, subject, client, scopes, organization', async () => {
    const token = await m2mToken(portico, m2m, { resource, scope: 'notes:read' });
    const res = await call(token);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { subject: m2m.clientId, clientId: m2m.clientId, scopes: ['notes:read'], org: m2m.orgId });
    const info = await verifier.verify(token);
    assert.equal(info.claims.aud, resource);
    assert.equal(info.resource, resource);
    assert.equal(info.token, token);
    assert.ok(info.expiresAt > Date.now() / 1000 + 3500);
  });

  it('issue #10: no token is 401 with Bearer resource_metadata and no error code (RFC 6750 §3.1); another scheme counts as none', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz']) {
      const res = await call(undefined, 'GET', authorization);
      assert.equal(await challenge(res, 401), `Bearer resource_metadata="${metadataAt}"`);
    }
    const malformed = await call(undefined, 'GET', 'Bearer two tokens');
    assert.match(await challenge(malformed, 400), /^Bearer error="invalid_request", error_description="[^"]+", resource_metadata=/);
  });

  it('issue #10: a token without resource (aud = the environment client ID) is 401 invalid_token', async () => {
    const token = await m2mToken(portico, m2m, {});
    const header = await challenge(await call(token), 401);
    assert.equal(header, `Bearer error="invalid_token", error_description="The access token was not issued for this resource", resource_metadata="${metadataAt}"`);
    const err = await refusal(verifier.verify(token), InvalidTokenError);
    assert.equal(err.code, 'invalid_token');
  });

  it('issue #10: aud is compared exactly: a verifier configured with a trailing slash refuses the token', async () => {
    const token = await m2mToken(portico, m2m, { resource });
    const slashed = createVerifier({ issuer: portico.baseUrl, resource: `${resource}/` });
    assert.equal((await refusal(slashed.verify(token), InvalidTokenError)).message, 'The access token was not issued for this resource');
  });

  it('issue #10: a token of another Portico is refused (unknown key), and iss is checked on its own', async () => {
    const other = await startServer('sqlite', { env: { PORTICO_RESOURCES: resource } });
    try {
      const token = await m2mToken(other, await seedM2MClient(other, SCOPES), { resource });
      const header = await challenge(await call(token), 401);
      assert.match(header, /error="invalid_token", error_description="The access token is signed with an unknown key"/);
      // The other server's keys, but this server's issuer: only the iss check stands in the way.
      const keysOnly = createVerifier({ issuer: portico.baseUrl, resource, jwksUrl: `${other.baseUrl}/oauth2/jwks` });
      assert.equal((await refusal(keysOnly.verify(token), InvalidTokenError)).message, 'The access token was issued by another authorization server');
      assert.equal((await createVerifier({ issuer: other.baseUrl, resource }).verify(token)).claims.iss, other.baseUrl);
    } finally {
      await other.close();
    }
  });

  it('issue #10: an expired token is refused; clockToleranceSeconds and now move the boundary', async () => {
    const twoHoursAgo = () => new Date(Date.now() - 2 * 3600_000);
    const past = await startServer('sqlite', { env: { PORTICO_RESOURCES: resource }, clock: { now: twoHoursAgo } });
    try {
      const token = await m2mToken(past, await seedM2MClient(past, SCOPES), { resource });
      const strict = createVerifier({ issuer: past.baseUrl, resource });
      assert.equal((await refusal(strict.verify(token), InvalidTokenError)).message, 'The access token expired');
      await createVerifier({ issuer: past.baseUrl, resource, clockToleranceSeconds: 7300 }).verify(token);
      await createVerifier({ issuer: past.baseUrl, resource, now: twoHoursAgo }).verify(token);
    } finally {
      await past.close();
    }
  });

  it('issue #10: a tampered payload or signature is 401 invalid_token', async () => {
    const token = await m2mToken(portico, m2m, { resource, scope: 'notes:read' });
    for (const forged of [tamper(token, { scope: 'notes:read notes:write' }), tamper(token, {}, 'signature')]) {
      const header = await challenge(await call(forged), 401);
      assert.match(header, /error="invalid_token", error_description="The access token signature is invalid"/);
    }
  });

  it('issue #10: alg none, and HS256 keyed with the published public key, are refused before any key is used', async () => {
    const token = await m2mToken(portico, m2m, { resource });
    const { kid } = decodeProtectedHeader(token);
    const jwks = (await (await fetch(`${portico.baseUrl}/oauth2/jwks`)).json()) as { keys: JWK[] };
    const publicPem = createPublicKey({ key: jwks.keys[0]! as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const claims = { ...(await verifier.verify(token)).claims };
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: kid! }).sign(new TextEncoder().encode(String(publicPem)));
    for (const forged of [unsigned(token), hs256]) {
      const header = await challenge(await call(forged), 401);
      assert.match(header, /error="invalid_token", error_description="The access token is signed with an algorithm this resource does not accept"/);
    }
  });

  it('issue #10: a token without the route\'s scope is 403 insufficient_scope naming the scope', async () => {
    const token = await m2mToken(portico, m2m, { resource, scope: 'notes:read' });
    const header = await challenge(await call(token, 'POST'), 403);
    assert.equal(header, `Bearer error="insufficient_scope", error_description="The access token lacks the scope notes:write", scope="notes:write", resource_metadata="${metadataAt}"`);
    const err = await refusal(verifier.verify(token, { requiredScopes: ['notes:read', 'notes:write'] }), InsufficientScopeError);
    assert.deepEqual([err.scope, err.missingScopes], ['notes:read notes:write', ['notes:write']]);
    const both = await m2mToken(portico, m2m, { resource });
    assert.equal((await call(both, 'POST')).status, 200);
  });

  it('issue #10: the metadata is served at the path-inserted well-known URL (RFC 9728 §3.1), nowhere else', async () => {
    assert.equal(metadataAt, `http://127.0.0.1:${new URL(resource).port}/.well-known/oauth-protected-resource/api`);
    // A terminating slash goes (as in RFC 8414 §3.1, and as the MCP SDK builds it); a query stays after the path.
    assert.equal(metadataUrl('https://api.example.test'), 'https://api.example.test/.well-known/oauth-protected-resource');
    assert.equal(metadataUrl('https://api.example.test/'), 'https://api.example.test/.well-known/oauth-protected-resource');
    assert.equal(metadataUrl('https://mcp.example.test/v1/mcp/'), 'https://mcp.example.test/.well-known/oauth-protected-resource/v1/mcp');
    assert.equal(metadataUrl('https://api.example.test/t?x=1'), 'https://api.example.test/.well-known/oauth-protected-resource/t?x=1');
    for (const bad of ['https://api.example.test/#frag', '/relative', 'urn:x:y']) assert.throws(() => metadataUrl(bad), TypeError, bad);
    assert.throws(() => protectedResourceMetadata({ resource, authorizationServers: [], scopesSupported: SCOPES }), TypeError);
    assert.throws(() => protectedResourceMetadata({ resource, authorizationServers: [portico.baseUrl], scopesSupported: ['two words'] }), TypeError);
    const res = await fetch(metadataAt);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(await res.json(), {
      resource,
      authorization_servers: [portico.baseUrl],
      scopes_supported: SCOPES,
      bearer_methods_supported: ['header'],
      resource_name: 'Notes API',
    });
    assert.equal((await fetch(metadataAt, { method: 'POST' })).headers.get('allow'), 'GET, HEAD, OPTIONS');
    // The root document belongs to another resource (this origin's `/`): the API's guard answers it.
    assert.equal((await fetch(new URL('/.well-known/oauth-protected-resource', resource))).status, 401);
  });

  it('issue #10: an unknown-kid storm fetches the JWKS once; after jose\'s 30 s cooldown, once more', async (t) => {
    const recorder = recordingFetch(`${portico.baseUrl}/oauth2/jwks`);
    const counted = createVerifier({ issuer: portico.baseUrl, resource, fetch: recorder.fetch });
    const token = await m2mToken(portico, m2m, { resource });
    await counted.verify(token);
    assert.equal(recorder.count(), 1);
    const strangers = await Promise.all(Array.from({ length: 50 }, (_, i) => tamper(token, {}, 'kid', `sso_oidc_key_pair_STRANGER${i}`)));
    const storm = async () => {
      const results = await Promise.allSettled(strangers.map((s) => counted.verify(s)));
      for (const r of results) assert.equal(r.status === 'rejected' && (r.reason as Error).message, 'The access token is signed with an unknown key');
    };
    await storm();
    await storm();
    assert.equal(recorder.count(), 1, 'no refetch within the cooldown');
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 31_000 });
    await storm();
    await storm();
    assert.equal(recorder.count(), 2, 'one refetch once the cooldown is over, whatever the number of unknown kids');
    t.mock.timers.reset();
    await counted.verify(token);
    assert.equal(recorder.count(), 2);
  });

  it('issue #10: typ at+jwt, the RFC 9068 claims, nbf and aud arrays, on tokens signed by a key of the test\'s own', async () => {
    // Portico never issues these defects: a key set served here lets each check be met alone.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
    const keyServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    try {
      const issuer = 'https://auth.example.test';
      const local = createVerifier({ issuer, resource, jwksUrl: `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/jwks` });
      const now = Math.floor(Date.now() / 1000);
      const good = { iss: issuer, sub: 'user_1', aud: resource, client_id: 'client_1', scope: 'notes:read', jti: 'j1', iat: now, exp: now + 300 };
      const sign = (claims: Record<string, unknown>, typ = 'at+jwt') => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ }).sign(privateKey);
      assert.equal((await local.verify(await sign(good))).organizationId, null);
      assert.equal((await local.verify(await sign(good, 'application/at+jwt'))).subject, 'user_1');
      // RFC 9068 §4: aud may be an array holding the resource.
      await local.verify(await sign({ ...good, aud: ['https://other.example.test', resource] }));
      const refused: [Record<string, unknown>, string, string][] = [
        [good, 'JWT', 'The token is not an access token (typ must be at+jwt, RFC 9068 §2.1)'],
        [{ ...good, nbf: now + 600 }, 'at+jwt', 'The access token is not valid yet'],
        [{ ...good, client_id: undefined }, 'at+jwt', "The access token's client_id claim is missing or invalid"],
        [{ ...good, jti: undefined }, 'at+jwt', "The access token's jti claim is missing or invalid"],
        [{ ...good, exp: undefined }, 'at+jwt', "The access token's exp claim is missing or invalid"],
        [{ ...good, aud: [`${resource}/`, resource.toUpperCase()] }, 'at+jwt', 'The access token was not issued for this resource'],
      ];
      for (const [claims, typ, message] of refused) {
        assert.equal((await refusal(local.verify(await sign(claims, typ)), InvalidTokenError)).message, message, JSON.stringify(claims));
      }
    } finally {
      await new Promise((resolve) => keyServer.close(resolve));
    }
  });

  it('issue #10: a key set that cannot be read is 503 (VerifierUnavailableError), never an accepted token', async () => {
    const token = await m2mToken(portico, m2m, { resource });
    const broken = createVerifier({ issuer: portico.baseUrl, resource, jwksUrl: `${portico.baseUrl}/oauth2/no-such-jwks` });
    const err = await refusal(broken.verify(token), VerifierUnavailableError);
    assert.equal(err.status, 503);
  });
});
