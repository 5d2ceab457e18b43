// Issue #9: the authorization_code grant module in process: single use by its own client, the redirect
// URI and PKCE rules, reuse revocation, and what the tokens carry.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Application } from '../../domain/application.ts';
import { OAuthError } from '../../domain/errors.ts';
import { claimsOf, grantInput, storeCode } from '../../../test/support/grant-fixtures.ts';
import { tokenDigest } from '../tokens/issue.ts';
import { inProcessDeps, storeApplication } from '../../../test/support/oauth-deps.ts';
import type { OAuthDeps } from '../deps.ts';
import type { Repositories, Storage } from '../../storage/port.ts';
import { createTestStorage, dialectSuite, DIALECTS } from '../../../test/support/databases.ts';
import { authorizationCode } from './authorization-code.ts';

const CB = 'https://app.example.test/cb';
const is = (code: string, description?: RegExp) => (err: unknown) => err instanceof OAuthError && err.error === code && (description === undefined || description.test(err.message));

describe('issue #9: grant module authorization_code', () => {
  let env: Awaited<ReturnType<typeof inProcessDeps>>;
  let app: Application;
  let other: Application;
  before(async () => {
    env = await inProcessDeps();
    app = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, redirectUris: [{ uri: CB, default: true }] });
    other = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, redirectUris: [{ uri: CB, default: true }] });
  });
  after(async () => {
    await env.close();
  });
  const run = (client: Application, form: string, method: 'client_secret_basic' | 'none' = 'client_secret_basic') =>
    authorizationCode.handle(grantInput(client, form, authorizationCode.parameters, method), env.deps);

  it('exchanges once: access, ID and refresh tokens for the user; the second use is invalid_grant and revokes them', async () => {
    const { code, user, consent } = await storeCode(env.deps, app, { nonce: 'n-1' });
    const tokens = await run(app, `code=${code}&redirect_uri=${encodeURIComponent(CB)}`);
    const access = claimsOf(tokens.access_token);
    assert.equal(access.sub, user.id);
    assert.equal(access.sid, consent.id);
    assert.equal(access.client_id, app.clientId);
    assert.equal(claimsOf(tokens.id_token!).nonce, 'n-1');
    assert.ok(tokens.refresh_token);
    await assert.rejects(run(app, `code=${code}&redirect_uri=${encodeURIComponent(CB)}`), is('invalid_grant', /already used/));
    assert.equal(await env.deps.storage.revocations.anyRevoked([access.jti as string]), true);
  });

  it("another client's attempt is invalid_grant and leaves the code for its own client", async () => {
    const { code } = await storeCode(env.deps, app);
    await assert.rejects(run(other, `code=${code}&redirect_uri=${encodeURIComponent(CB)}`), is('invalid_grant', /another client/));
    assert.ok((await run(app, `code=${code}&redirect_uri=${encodeURIComponent(CB)}`)).access_token);
  });

  it('redirect_uri: required and identical when sent at authorize; a registered one, or none, when not', async () => {
    const sent = await storeCode(env.deps, app);
    await assert.rejects(run(app, `code=${sent.code}`), is('invalid_grant', /redirect_uri/));
    const omitted = await storeCode(env.deps, app, { redirectUri: null });
    await assert.rejects(run(app, `code=${omitted.code}&redirect_uri=${encodeURIComponent('https://elsewhere.test/cb')}`), is('invalid_grant'));
    const omitted2 = await storeCode(env.deps, app, { redirectUri: null });
    assert.ok((await run(app, `code=${omitted2.code}`)).access_token);
  });

  it('PKCE: the verifier must match the challenge; a verifier without a challenge, or a public client without PKCE, fails; a failure burns the code', async () => {
    const verifier = 'v'.repeat(43);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const pk = await storeCode(env.deps, app, { codeChallenge: challenge });
    await assert.rejects(run(app, `code=${pk.code}&redirect_uri=${encodeURIComponent(CB)}&code_verifier=${'w'.repeat(43)}`), is('invalid_grant', /PKCE/));
    await assert.rejects(run(app, `code=${pk.code}&redirect_uri=${encodeURIComponent(CB)}&code_verifier=${verifier}`), is('invalid_grant', /already used/));
    const noChallenge = await storeCode(env.deps, app);
    await assert.rejects(run(app, `code=${noChallenge.code}&redirect_uri=${encodeURIComponent(CB)}&code_verifier=${verifier}`), is('invalid_grant', /No code_challenge/));
    const pub = await storeApplication(env.deps, { type: 'oauth', usesPkce: true, isFirstParty: true, redirectUris: [{ uri: CB, default: true }] });
    const bare = await storeCode(env.deps, pub);
    await assert.rejects(run(pub, `code=${bare.code}&redirect_uri=${encodeURIComponent(CB)}`, 'none'), is('invalid_grant', /Public clients must use PKCE/));
  });

  it('refuses M2M clients, a missing or absurd code, an expired one', async () => {
    const m2m = await storeApplication(env.deps);
    await assert.rejects(run(m2m, 'code=x'), is('unauthorized_client'));
    await assert.rejects(run(app, ''), is('invalid_request'));
    await assert.rejects(run(app, `code=${'x'.repeat(201)}`), is('invalid_grant'));
    const late = await storeCode(env.deps, app);
    env.clock.advance(61_000);
    await assert.rejects(run(app, `code=${late.code}&redirect_uri=${encodeURIComponent(CB)}`), is('invalid_grant', /expired/));
  });

  // Issue #12: consume + refresh insert in one transaction (one commit, one fsync on SQLite).
  describe('issue #12: the exchange is one transaction', () => {
    /** The storage with every write outside a transaction recorded, and tx.refreshTokens.create failing while `failInsert`. */
    function watched(storage: Storage) {
      const state = { outside: [] as string[], transactions: 0, failInsert: false };
      const record = <T extends object>(name: string, repo: T): T =>
        new Proxy(repo, { get: (t, p, r) => (typeof Reflect.get(t, p, r) === 'function' && /^(consume|create)$/.test(String(p)) ? (...a: unknown[]) => (state.outside.push(`${name}.${String(p)}`), (Reflect.get(t, p, r) as (...x: unknown[]) => unknown).apply(t, a)) : Reflect.get(t, p, r)) });
      const failing = (repo: Repositories['refreshTokens']) =>
        new Proxy(repo, { get: (t, p, r) => (p === 'create' && state.failInsert ? async () => { throw new Error('disk full (injected)'); } : Reflect.get(t, p, r)) });
      const wrapped = new Proxy(storage, {
        get(t, p, r) {
          if (p === 'codes' || p === 'refreshTokens') return record(p, Reflect.get(t, p, r) as object);
          if (p === 'transaction')
            return <T,>(fn: (tx: Repositories) => Promise<T>) => {
              state.transactions += 1;
              return t.transaction((tx) => fn(new Proxy(tx, { get: (tt, pp, rr) => (pp === 'refreshTokens' ? failing(Reflect.get(tt, pp, rr) as Repositories['refreshTokens']) : Reflect.get(tt, pp, rr)) })));
            };
          return Reflect.get(t, p, r);
        },
      });
      return { storage: wrapped, state };
    }

    it('consume and the refresh token insert happen in one transaction, with no write outside it', async () => {
      const { storage, state } = watched(env.deps.storage);
      const deps: OAuthDeps = { ...env.deps, storage };
      const { code } = await storeCode(env.deps, app);
      const tokens = await authorizationCode.handle(grantInput(app, `code=${code}&redirect_uri=${encodeURIComponent(CB)}`, authorizationCode.parameters), deps);
      assert.ok(tokens.refresh_token);
      assert.equal(state.transactions, 1);
      assert.deepEqual(state.outside, []);
    });

    it('a failed refresh insert rolls the consume back: the error surfaces and the code still works once', async () => {
      const { storage, state } = watched(env.deps.storage);
      const deps: OAuthDeps = { ...env.deps, storage };
      const { code } = await storeCode(env.deps, app);
      const form = `code=${code}&redirect_uri=${encodeURIComponent(CB)}`;
      state.failInsert = true;
      await assert.rejects(authorizationCode.handle(grantInput(app, form, authorizationCode.parameters), deps), /disk full/);
      state.failInsert = false;
      assert.ok((await authorizationCode.handle(grantInput(app, form, authorizationCode.parameters), deps)).refresh_token);
      await assert.rejects(authorizationCode.handle(grantInput(app, form, authorizationCode.parameters), deps), is('invalid_grant', /already used/));
    });

    it('a failed check inside the transaction still commits the spent code', async () => {
      const { storage } = watched(env.deps.storage);
      const deps: OAuthDeps = { ...env.deps, storage };
      const { code } = await storeCode(env.deps, app);
      await assert.rejects(authorizationCode.handle(grantInput(app, `code=${code}`, authorizationCode.parameters), deps), is('invalid_grant', /redirect_uri/));
      await assert.rejects(authorizationCode.handle(grantInput(app, `code=${code}&redirect_uri=${encodeURIComponent(CB)}`, authorizationCode.parameters), deps), is('invalid_grant', /already used/));
    });
  });
});

for (const dialect of DIALECTS) {
  describe(`issue #12: concurrent exchanges of one code inside the transaction (${dialect})`, dialectSuite(dialect), () => {
    it('exactly one of ten wins, the rest are invalid_grant, and the winner\'s refresh token ends up revoked', async () => {
      const storage = await createTestStorage(dialect);
      const env = await inProcessDeps({}, storage);
      try {
        const app = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, redirectUris: [{ uri: CB, default: true }] });
        const { code } = await storeCode(env.deps, app);
        const form = `code=${code}&redirect_uri=${encodeURIComponent(CB)}`;
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => authorizationCode.handle(grantInput(app, form, authorizationCode.parameters), env.deps)));
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(is('invalid_grant')(r.reason), String(r.reason));
        const refresh = await env.deps.storage.refreshTokens.find(tokenDigest(env.deps, won[0]!.value.refresh_token!));
        assert.ok(refresh, 'the refresh token was stored');
        assert.notEqual(refresh.revokedAt, null, 'the reuse revoked the refresh token of the first exchange');
      } finally {
        await env.close();
      }
    });
  });
}

