// Issue #12: the remembered digests of presented client secrets: the same HMAC the keyring computes,
// only for secrets that matched, bounded, per keyring; and a remembered digest never outlives the
// secret's deletion (the database still decides on every request).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { OAuthError } from '../domain/errors.ts';
import { Form } from '../domain/form.ts';
import { Keyring } from '../domain/keyring.ts';
import { inProcessDeps, storeApplication } from '../../test/support/oauth-deps.ts';
import { authenticateClient } from './client-auth.ts';
import { rememberSecretDigest, secretDigest } from './secret-digests.ts';

describe('issue #12: remembered secret digests', () => {
  it("is the keyring's HMAC, remembered only once told, per keyring, at most 1024", () => {
    const keyring = new Keyring(randomBytes(32));
    const first = secretDigest(keyring, 'secret-1');
    assert.deepEqual(first, { digest: keyring.digest('client-secret', 'secret-1'), remembered: false });
    assert.equal(secretDigest(keyring, 'secret-1').remembered, false, 'asking does not remember');
    rememberSecretDigest(keyring, 'secret-1', first.digest);
    assert.deepEqual(secretDigest(keyring, 'secret-1'), { digest: first.digest, remembered: true });
    assert.equal(secretDigest(new Keyring(randomBytes(32)), 'secret-1').remembered, false, 'another server key has its own');
    for (let i = 0; i < 1024; i++) rememberSecretDigest(keyring, `other-${i}`, Buffer.alloc(32));
    assert.equal(secretDigest(keyring, 'secret-1').remembered, false, 'the oldest was pushed out');
    assert.equal(secretDigest(keyring, 'other-1023').remembered, true);
  });

  describe('through authenticateClient', () => {
    let env: Awaited<ReturnType<typeof inProcessDeps>>;
    before(async () => {
      env = await inProcessDeps();
    });
    after(async () => {
      await env.close();
    });
    const auth = (clientId: string, secret: string) =>
      authenticateClient(env.deps, { authorization: undefined, form: Form.parse(`client_id=${clientId}&client_secret=${secret}`), meta: { ip: '192.0.2.11', userAgent: null, requestId: 'req_t' } });

    it('a wrong secret is not remembered; a right one is, and is refused at once once deleted', async () => {
      const good = 'g'.repeat(43);
      const wrong = 'w'.repeat(43);
      const app = await storeApplication(env.deps, {}, [good]);
      await assert.rejects(auth(app.clientId, wrong), (e: unknown) => e instanceof OAuthError && e.error === 'invalid_client');
      assert.equal(secretDigest(env.deps.keyring, wrong).remembered, false);
      assert.equal((await auth(app.clientId, good)).application.id, app.id);
      assert.equal(secretDigest(env.deps.keyring, good).remembered, true);
      assert.equal((await auth(app.clientId, good)).application.id, app.id, 'the remembered digest authenticates');
      const [stored] = await env.deps.storage.secrets.listByApplication(app.id);
      await env.deps.storage.secrets.delete(stored!.id);
      await assert.rejects(auth(app.clientId, good), (e: unknown) => e instanceof OAuthError && e.error === 'invalid_client');
    });
  });
});
