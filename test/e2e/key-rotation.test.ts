// Issue #3: signing keys: publish-before-sign rotation, retirement only after every token expired,
// identical behaviour on several nodes, RS256/ES256/EdDSA.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { SYSTEM_CONTEXT } from '../../src/domain/audit.ts';
import { createIdGenerator } from '../../src/domain/ids.ts';
import { retentionMs, rotateSigningKey } from '../../src/oauth/keys/rotation.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { seedM2MClient, tokenRequest, type SeededClient } from '../support/seed.ts';
import { startServer, type TestServer } from '../support/server.ts';

/** A clock the test moves by hand. */
function manualClock() {
  let t = Date.now();
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

async function jwks(server: TestServer): Promise<JSONWebKeySet> {
  return (await (await fetch(`${server.baseUrl}/oauth2/jwks`)).json()) as JSONWebKeySet;
}

async function issue(server: TestServer, c: SeededClient): Promise<string> {
  const res = await tokenRequest(server, { grant_type: 'client_credentials' }, { id: c.clientId, secret: c.secret });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The token's kid is in the JWKS served at this moment, and the JWKS verifies it. */
async function assertPublished(server: TestServer, token: string): Promise<string> {
  const set = await jwks(server);
  const kid = decodeProtectedHeader(token).kid!;
  assert.ok(set.keys.some((k) => k.kid === kid), `kid ${kid} is not published`);
  await jwtVerify(token, createLocalJWKSet(set), { currentDate: new Date(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iat * 1000) });
  return kid;
}

for (const dialect of DIALECTS) {
  describe(`signing key rotation (${dialect})`, dialectSuite(dialect), () => {
    const servers: TestServer[] = [];
    after(async () => {
      for (const s of servers.reverse()) await s.close();
    });

    it('a rotated key is published at once, signs only after the publish delay, and retires after every token it signed expired', async () => {
      const clock = manualClock();
      const server = await startServer(dialect, { clock, env: { PORTICO_KEY_PUBLISH_DELAY: '600', PORTICO_M2M_TOKEN_TTL: '3600', PORTICO_JWKS_MAX_AGE: '300' } });
      servers.push(server);
      const c = await seedM2MClient(server);
      const oldToken = await issue(server, c);
      const oldKid = await assertPublished(server, oldToken);

      const rotated = await rotateSigningKey({ storage: server.storage, keyring: server.keyring, clock, ids: createIdGenerator(), config: server.config }, SYSTEM_CONTEXT);
      await server.keys.refresh();
      const published = (await jwks(server)).keys.map((k) => k.kid);
      assert.deepEqual(published.sort(), [oldKid, rotated.kid].sort());
      // Published, not yet signing.
      assert.equal(await assertPublished(server, await issue(server, c)), oldKid);
      clock.advance(599_000);
      assert.equal(await assertPublished(server, await issue(server, c)), oldKid);
      clock.advance(2_000);
      const newToken = await issue(server, c);
      assert.equal(await assertPublished(server, newToken), rotated.kid);
      // Tokens of the old key keep verifying and introspecting while they live.
      const introspect = async (token: string) =>
        ((await (await tokenRequest(server, { token }, { id: c.clientId, secret: c.secret }, '/oauth2/introspection')).json()) as { active: boolean }).active;
      assert.equal(await introspect(oldToken), true);
      // Retention = token TTL + JWKS max-age + one key refresh interval after the switch.
      const retention = retentionMs(server.config);
      assert.ok(retention >= (3600 + 300) * 1000);
      // Just before retirement the old key is still there...
      clock.advance(retention - 2000);
      assert.ok((await jwks(server)).keys.some((k) => k.kid === oldKid));
      // ...and gone once no token it signed can be alive or cached.
      clock.advance(2000);
      assert.deepEqual((await jwks(server)).keys.map((k) => k.kid), [rotated.kid]);
      assert.equal(await introspect(oldToken), false);
      assert.equal(await introspect(newToken), false); // expired too by now
      assert.equal(await assertPublished(server, await issue(server, c)), rotated.kid);
    });

    it('two nodes on one database agree: both publish the new key, then both sign with it', async () => {
      const a = await startServer(dialect, { env: { PORTICO_KEY_PUBLISH_DELAY: '2' } });
      servers.push(a);
      const b = await startServer(dialect, { shareWith: a, env: { PORTICO_KEY_PUBLISH_DELAY: '2' } });
      servers.push(b);
      const c = await seedM2MClient(a);
      const before = decodeProtectedHeader(await issue(b, c)).kid;
      const rotated = await rotateSigningKey({ storage: a.storage, keyring: a.keyring, clock: { now: () => new Date() }, ids: createIdGenerator(), config: a.config }, SYSTEM_CONTEXT);
      // Node B has not been told: it learns from the database on its refresh (every second here).
      const deadline = Date.now() + 5000;
      while (!(await jwks(b)).keys.some((k) => k.kid === rotated.kid)) {
        assert.ok(Date.now() < deadline, 'node B never published the new key');
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const node of [a, b]) {
        const token = await issue(node, c);
        const kid = await assertPublished(node, token);
        if (Date.now() < rotated.activeFrom.getTime() - 200) assert.equal(kid, before);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, rotated.activeFrom.getTime() - Date.now()) + 50));
      for (const node of [a, b]) {
        const token = await issue(node, c);
        assert.equal(await assertPublished(a, token), rotated.kid);
        assert.equal(await assertPublished(b, token), rotated.kid);
      }
    });

    for (const alg of ['ES256', 'EdDSA'] as const) {
      it(`PORTICO_SIGNING_ALG=${alg} issues ${alg} tokens that verify through the JWKS`, async () => {
        const server = await startServer(dialect, { env: { PORTICO_SIGNING_ALG: alg } });
        servers.push(server);
        const c = await seedM2MClient(server);
        const token = await issue(server, c);
        assert.equal(decodeProtectedHeader(token).alg, alg);
        await assertPublished(server, token);
        const key = (await jwks(server)).keys[0]!;
        assert.equal(key.alg, alg);
        assert.equal(key.use, 'sig');
      });
    }
  });
}
