// Issue #10 §1 and §5: hostile Client ID Metadata Documents, each refused with its documented error and
// leaving no row: a client_id mismatch, a secret or secret-based auth method, a redirect, 6 KB, a slow
// server, a private address with the setting off; a document that changes after caching; private_key_jwt.
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { after, before, describe, it } from 'node:test';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { startMetadataServer, vsCodeDocument } from '../support/metadata-server.ts';
import { exchangeCode, pkcePair, runAuthorization } from '../support/oauth-flow.ts';
import { manualClock } from '../support/oauth-deps.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const CB = 'http://127.0.0.1:41000/cb';

for (const dialect of DIALECTS) {
  describe(`issue #10: hostile metadata documents (${dialect})`, dialectSuite(dialect), () => {
    let docs: Awaited<ReturnType<typeof startMetadataServer>>;
    let server: TestServer;
    let strict: TestServer;
    const clock = manualClock();
    let n = 0;
    before(async () => {
      docs = await startMetadataServer();
      const env = { PORTICO_CLIENT_ID_METADATA_DOCUMENTS: 'on', PORTICO_OUTBOUND_CA_FILE: docs.caFile };
      server = await startServer(dialect, { clock, env: { ...env, PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' } });
      strict = await startServer(dialect, { env });
    });
    after(async () => {
      await server.close();
      await strict.close();
      await docs.close();
    });
    const doc = (over: Record<string, unknown> = {}, path = `/d${++n}`) => docs.serve(path, { ...vsCodeDocument(`${docs.base}${path}`), redirect_uris: [CB], ...over });
    const authorizeStatus = async (s: TestServer, clientId: string) => {
      const res = await fetch(`${s.baseUrl}/oauth2/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: CB, response_type: 'code', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual' });
      return { status: res.status, location: res.headers.get('location'), body: await res.text() };
    };
    const tokenError = async (s: TestServer, clientId: string) => {
      const res = await exchangeCode(s, { grant_type: 'authorization_code', code: 'x', client_id: clientId, code_verifier: 'v'.repeat(43) });
      return { status: res.status, ...((await res.json()) as { error: string }) };
    };
    const rows = async (s: TestServer) => ((await (await api(s, '/connect/applications?limit=100')).json()) as { data: { client_id: string }[] }).data.map((a) => a.client_id);

    it('issue #10 / security bar 33: a document that names another client_id, holds a secret or a secret method is refused: a page at /authorize, invalid_client_metadata at the token endpoint', async () => {
      for (const [why, clientId] of [
        ['client_id mismatch', doc({ client_id: 'https://elsewhere.example.test/meta' })],
        ['client_secret', doc({ client_secret: 'shh' })],
        ['secret auth method', doc({ token_endpoint_auth_method: 'client_secret_basic' })],
        ['javascript redirect', doc({ redirect_uris: ['javascript:alert(1)'] })],
        ['http logo', doc({ logo_uri: 'http://logo.example.test/x.png' })],
        ['no client_name', doc({ client_name: undefined })],
      ] as const) {
        const page = await authorizeStatus(server, clientId);
        assert.equal(page.status, 400, why);
        assert.equal(page.location, null, why);
        assert.match(page.body, /cannot be used/, why);
        const token = await tokenError(server, clientId);
        assert.deepEqual([token.status, token.error], [400, why === 'javascript redirect' ? 'invalid_redirect_uri' : 'invalid_client_metadata'], why);
        assert.ok(!(await rows(server)).includes(clientId), `${why}: left a row`);
      }
    });

    it('issue #10 / security bar 33: a redirect, a 6 KB document, a slow server, a 404: invalid_client, no row', async () => {
      const cases: [string, string][] = [
        ['redirect', docs.serve(`/r${++n}`, { status: 302, headers: { location: '/elsewhere' }, body: '' })],
        ['6 KB', docs.serve(`/big${++n}`, { body: JSON.stringify({ ...vsCodeDocument(`${docs.base}/big${n}`), client_name: 'x'.repeat(6000) }) })],
        ['slow', docs.serve(`/slow${++n}`, { body: JSON.stringify(vsCodeDocument(`${docs.base}/slow${n}`)), delayMs: 5000 })],
        ['404', `${docs.base}/missing${++n}`],
      ];
      for (const [why, clientId] of cases) {
        const started = Date.now();
        const token = await tokenError(server, clientId);
        assert.deepEqual([token.status, token.error], [401, 'invalid_client'], why);
        assert.ok(Date.now() - started < 4500, `${why}: took ${Date.now() - started} ms`);
        assert.equal((await authorizeStatus(server, clientId)).status, 400, why);
        assert.ok(!(await rows(server)).includes(clientId), `${why}: left a row`);
      }
    });

    it('issue #10 / security bar 33: with private networks not allowed, a document on loopback is never fetched', async () => {
      const clientId = doc();
      const before = docs.hits(new URL(clientId).pathname);
      const token = await tokenError(strict, clientId);
      assert.deepEqual([token.status, token.error], [401, 'invalid_client']);
      assert.equal((await authorizeStatus(strict, clientId)).status, 400);
      assert.equal(docs.hits(new URL(clientId).pathname), before, 'the loopback server was reached');
    });

    it('issue #10: a cached document is used until its max-age; a changed document is seen after it; a failure is never cached', async () => {
      const path = `/cache${++n}`;
      const url = `${docs.base}${path}`;
      docs.serve(path, { body: JSON.stringify({ ...vsCodeDocument(url), client_name: 'First', redirect_uris: [CB] }), headers: { 'cache-control': 'max-age=120' } });
      assert.equal((await authorizeStatus(server, url)).status, 302);
      docs.serve(path, { body: JSON.stringify({ ...vsCodeDocument(url), client_name: 'Second', redirect_uris: [CB] }), headers: { 'cache-control': 'max-age=120' } });
      const name = async () => ((await (await api(server, `/connect/applications/${encodeURIComponent(url)}`)).json()) as { name: string }).name;
      assert.equal((await authorizeStatus(server, url)).status, 302);
      assert.equal(await name(), 'First');
      assert.equal(docs.hits(path), 1);
      clock.advance(121_000);
      assert.equal((await authorizeStatus(server, url)).status, 302);
      assert.equal(await name(), 'Second');
      // Past the max-age a failing fetch refuses the client: the stale copy is not used.
      docs.serve(path, { status: 500, body: '{}' });
      clock.advance(121_000);
      assert.equal((await tokenError(server, url)).error, 'invalid_client');
    });

    it('issue #10: private_key_jwt (RFC 7523): a signed assertion authenticates; a replay, a wrong audience, a far expiry, or no assertion do not', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      const clientId = doc({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
      const pk = pkcePair();
      const flow = await runAuthorization(server, { params: { client_id: clientId, redirect_uri: CB, response_type: 'code', scope: 'openid', code_challenge: pk.challenge, code_challenge_method: 'S256' }, user: { id: `pkjwt-${dialect}`, email: `pkjwt-${dialect}@example.test` } });
      const sign = (claims: { aud?: string; exp?: number; jti?: string } = {}) =>
        new SignJWT({ jti: claims.jti ?? `j-${Math.random()}` })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuer(clientId)
          .setSubject(clientId)
          .setAudience(claims.aud ?? `${server.baseUrl}/oauth2/token`)
          .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
          .setExpirationTime(claims.exp ?? Math.floor(clock.now().getTime() / 1000) + 60)
          .sign(privateKey);
      const exchange = async (assertion: string | null, code = 'nope') => {
        const form: Record<string, string> = { grant_type: 'authorization_code', code, code_verifier: pk.verifier, redirect_uri: CB, client_id: clientId };
        if (assertion !== null) Object.assign(form, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
        return exchangeCode(server, form);
      };
      assert.equal((await exchange(null)).status, 401, 'public (none) is refused for a private_key_jwt client');
      assert.equal((await exchange(await sign({ aud: 'https://someone-else.example.test' }))).status, 401);
      assert.equal((await exchange(await sign({ exp: Math.floor(clock.now().getTime() / 1000) + 7200 }))).status, 401);
      const assertion = await sign({ jti: 'once' });
      const ok = await exchange(assertion, flow.callback.searchParams.get('code')!);
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal((await exchange(assertion)).status, 401, 'a replayed assertion');
    });
  });
}
