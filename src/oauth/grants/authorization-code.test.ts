// Issue #9: the authorization_code grant module in process: single use by its own client, the redirect
// URI and PKCE rules, reuse revocation, and what the tokens carry.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Application } from '../../domain/application.ts';
import { OAuthError } from '../../domain/errors.ts';
import { claimsOf, grantInput, storeCode } from '../../../test/support/grant-fixtures.ts';
import { inProcessDeps, storeApplication } from '../../../test/support/oauth-deps.ts';
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
    assert.equal(await env.deps.storage.revocations.isRevoked(access.jti as string), true);
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
});
