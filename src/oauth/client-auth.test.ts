// Issue #9: client authentication in process (no server): the presented credentials, each outcome,
// last_used_at, and the throttle after a failed check. Security bar §6 items 4 and 9 at the unit level.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OAuthError } from '../domain/errors.ts';
import { Form } from '../domain/form.ts';
import { inProcessDeps, storeApplication } from '../../test/support/oauth-deps.ts';
import { authenticateClient, presentedCredentials } from './client-auth.ts';

const meta = { ip: '192.0.2.10', userAgent: null, requestId: 'req_test' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const oauthError = (code: string, status?: number) => (err: unknown) => {
  assert.ok(err instanceof OAuthError, String(err));
  assert.equal(err.error, code);
  if (status !== undefined) assert.equal(err.status, status);
  return true;
};

describe('issue #9: presentedCredentials', () => {
  it('Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1)', () => {
    const p = presentedCredentials(basic('client:a b', 'se/cr+et'), Form.parse(''));
    assert.deepEqual(p, { clientId: 'client:a b', secret: 'se/cr+et', method: 'client_secret_basic' });
  });
  it('refuses two methods at once, a mismatched body client_id, a malformed header, no credentials', () => {
    assert.throws(() => presentedCredentials(basic('a', 'b'), Form.parse('client_secret=x')), oauthError('invalid_request'));
    assert.throws(() => presentedCredentials(basic('a', 'b'), Form.parse('client_id=other')), oauthError('invalid_request'));
    assert.throws(() => presentedCredentials('Bearer x', Form.parse('')), (err: unknown) => oauthError('invalid_client', 401)(err) && (err as OAuthError).headers['www-authenticate']!.startsWith('Basic'));
    assert.throws(() => presentedCredentials(undefined, Form.parse('')), oauthError('invalid_client', 401));
    assert.deepEqual(presentedCredentials(undefined, Form.parse('client_id=c&client_secret=s')), { clientId: 'c', secret: 's', method: 'client_secret_post' });
    assert.deepEqual(presentedCredentials(undefined, Form.parse('client_id=c')), { clientId: 'c', secret: null, method: 'none' });
  });
});

describe('issue #9: authenticateClient', () => {
  let env: Awaited<ReturnType<typeof inProcessDeps>>;
  before(async () => {
    env = await inProcessDeps({ PORTICO_AUTH_FAILURE_LIMIT: '3' });
  });
  after(async () => {
    await env.close();
  });
  const auth = (authorization: string | undefined, form: string, options?: { allowPublic: boolean }) =>
    authenticateClient(env.deps, { authorization, form: Form.parse(form), meta }, options);

  it('the right secret authenticates and stamps last_used_at once; a wrong one does not', async () => {
    const app = await storeApplication(env.deps, {}, ['s'.repeat(43), 't'.repeat(43)]);
    await assert.rejects(auth(basic(app.clientId, 'x'.repeat(43)), ''), oauthError('invalid_client', 401));
    assert.deepEqual((await env.deps.storage.secrets.listByApplication(app.id)).map((s) => s.lastUsedAt), [null, null]);
    const ok = await auth(undefined, `client_id=${app.clientId}&client_secret=${'t'.repeat(43)}`);
    assert.equal(ok.method, 'client_secret_post');
    assert.equal(ok.application.id, app.id);
    const stamps = (await env.deps.storage.secrets.listByApplication(app.id)).map((s) => s.lastUsedAt?.getTime() ?? null);
    assert.deepEqual(stamps.filter((t) => t !== null), [env.clock.now().getTime()]);
  });

  it('`none` only for public OAuth apps, and not where public clients are not allowed (introspection)', async () => {
    const pub = await storeApplication(env.deps, { type: 'oauth', usesPkce: true, isFirstParty: true });
    assert.equal((await auth(undefined, `client_id=${pub.clientId}`)).method, 'none');
    await assert.rejects(auth(undefined, `client_id=${pub.clientId}`, { allowPublic: false }), oauthError('invalid_client'));
    const m2m = await storeApplication(env.deps, {}, ['m'.repeat(43)]);
    await assert.rejects(auth(undefined, `client_id=${m2m.clientId}`), oauthError('invalid_client'));
    await assert.rejects(auth(undefined, 'client_id=client_NOSUCH'), oauthError('invalid_client'));
    await assert.rejects(auth(undefined, 'client_id=a%00b&client_secret=x'), oauthError('invalid_client'));
  });

  it('past the failure limit wrong secrets get 429 slow_down, and the right secret still works', async () => {
    const app = await storeApplication(env.deps, {}, ['r'.repeat(43)]);
    for (let i = 0; i < 3; i++) await assert.rejects(auth(basic(app.clientId, `w${i}`), ''), oauthError('invalid_client', 401));
    await assert.rejects(auth(basic(app.clientId, 'w4'), ''), (err: unknown) => oauthError('slow_down', 429)(err) && Number((err as OAuthError).headers['retry-after']) >= 1);
    assert.equal((await auth(basic(app.clientId, 'r'.repeat(43)), '')).application.id, app.id);
  });
});
