// Issue #9: the refresh_token grant module in process: rotation, reuse kills the family, scope and resource rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Application } from '../../domain/application.ts';
import { OAuthError } from '../../domain/errors.ts';
import { claimsOf, grantInput, storeCode } from '../../../test/support/grant-fixtures.ts';
import { inProcessDeps, storeApplication } from '../../../test/support/oauth-deps.ts';
import { authorizationCode } from './authorization-code.ts';
import { refreshToken } from './refresh-token.ts';

const CB = 'https://app.example.test/cb';
const is = (code: string) => (err: unknown) => err instanceof OAuthError && err.error === code;

describe('issue #9: grant module refresh_token', () => {
  let env: Awaited<ReturnType<typeof inProcessDeps>>;
  let app: Application;
  before(async () => {
    env = await inProcessDeps({ PORTICO_RESOURCES: 'https://api.example.test' });
    app = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, redirectUris: [{ uri: CB, default: true }] });
  });
  after(async () => {
    await env.close();
  });
  const first = async (resource: string | null = null) => {
    const { code } = await storeCode(env.deps, app, { resource });
    return authorizationCode.handle(grantInput(app, `code=${code}&redirect_uri=${encodeURIComponent(CB)}`, authorizationCode.parameters), env.deps);
  };
  const refresh = (form: string, client: Application = app) => refreshToken.handle(grantInput(client, form, refreshToken.parameters), env.deps);

  it('rotates on every use; presenting a rotated token revokes the whole family and its access tokens', async () => {
    const t0 = await first();
    const t1 = await refresh(`refresh_token=${t0.refresh_token}`);
    assert.notEqual(t1.refresh_token, t0.refresh_token);
    const t2 = await refresh(`refresh_token=${t1.refresh_token}`);
    await assert.rejects(refresh(`refresh_token=${t0.refresh_token}`), is('invalid_grant'));
    await assert.rejects(refresh(`refresh_token=${t2.refresh_token}`), is('invalid_grant'));
    assert.equal(await env.deps.storage.revocations.anyRevoked([claimsOf(t2.access_token).jti as string]), true);
  });

  it('scope may narrow, never widen; the resource cannot change; another client cannot use it', async () => {
    const t0 = await first('https://api.example.test');
    const narrow = await refresh(`refresh_token=${t0.refresh_token}&scope=read`);
    assert.equal(narrow.scope, 'read');
    assert.equal(claimsOf(narrow.access_token).aud, 'https://api.example.test');
    await assert.rejects(refresh(`refresh_token=${narrow.refresh_token}&scope=read%20admin`), is('invalid_scope'));
    await assert.rejects(refresh(`refresh_token=${narrow.refresh_token}&resource=https://other.example.test`), is('invalid_target'));
    const stranger = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true });
    await assert.rejects(refresh(`refresh_token=${narrow.refresh_token}`, stranger), is('invalid_grant'));
    // The original grant is kept: the successor still carries every scope.
    assert.equal((await refresh(`refresh_token=${narrow.refresh_token}`)).scope, 'openid offline_access read');
  });

  it('a missing or absurd token', async () => {
    await assert.rejects(refresh(''), is('invalid_request'));
    await assert.rejects(refresh(`refresh_token=${'x'.repeat(201)}`), is('invalid_grant'));
  });
});
