// Issue #9: the client_credentials grant module in process (no HTTP): who may use it, scopes, aud, claims.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OAuthError } from '../../domain/errors.ts';
import { claimsOf, grantInput } from '../../../test/support/grant-fixtures.ts';
import { inProcessDeps, storeApplication } from '../../../test/support/oauth-deps.ts';
import { clientCredentials } from './client-credentials.ts';

describe('issue #9: grant module client_credentials', () => {
  let env: Awaited<ReturnType<typeof inProcessDeps>>;
  before(async () => {
    env = await inProcessDeps({ PORTICO_RESOURCES: 'https://api.example.test', PORTICO_M2M_TOKEN_TTL: '600' });
  });
  after(async () => {
    await env.close();
  });
  const run = (form: string, app: Parameters<typeof grantInput>[0], method: Parameters<typeof grantInput>[3] = 'client_secret_basic') =>
    clientCredentials.handle(grantInput(app, form, clientCredentials.parameters, method), env.deps);

  it('reads only scope and resource', () => {
    assert.deepEqual([...clientCredentials.parameters].sort(), ['resource', 'scope']);
  });

  it('mints the WorkOS M2M claims; scope omitted means all of the app\'s scopes; resource becomes aud', async () => {
    const app = await storeApplication(env.deps);
    const all = await run('', app);
    assert.equal(all.scope, 'read write');
    assert.equal(all.expires_in, 600);
    const c = claimsOf(all.access_token);
    assert.deepEqual(Object.keys(c).sort(), ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'org_id', 'scope', 'sub']);
    assert.equal(c.sub, app.clientId);
    assert.equal(c.org_id, app.organizationId);
    assert.equal(c.aud, env.deps.environmentClientId);
    assert.equal((c.exp as number) - (c.iat as number), 600);
    const narrowed = await run('scope=read&resource=https://api.example.test', app);
    assert.equal(narrowed.scope, 'read');
    assert.equal(claimsOf(narrowed.access_token).aud, 'https://api.example.test');
    // A parameter the grant does not read is ignored, even repeated.
    assert.equal((await run('code=x&code=y', app)).scope, 'read write');
  });

  it('refuses OAuth apps, public clients, wider scopes and unknown resources', async () => {
    const app = await storeApplication(env.deps);
    const oauth = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true });
    const is = (code: string) => (err: unknown) => err instanceof OAuthError && err.error === code;
    await assert.rejects(run('', oauth), is('unauthorized_client'));
    await assert.rejects(run('', app, 'none'), is('unauthorized_client'));
    await assert.rejects(run('scope=admin', app), is('invalid_scope'));
    await assert.rejects(run('resource=https://other.example.test', app), is('invalid_target'));
    await assert.rejects(run('resource=https://api.example.test&resource=https://api.example.test', app), is('invalid_target'));
  });
});
