// Issue #11: the device_code grant module (RFC 8628) in process, and the device authorization that starts
// it: polling answers (pending, slow_down and its recovery, denied, expired, used), one redemption, the
// tokens of the code grant, and who may use it.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import type { Application } from '../../domain/application.ts';
import { OAuthError } from '../../domain/errors.ts';
import { decideDevice, startDevice } from '../../../test/support/device-fixtures.ts';
import { claimsOf, grantInput, META } from '../../../test/support/grant-fixtures.ts';
import { createTestDatabase } from '../../../test/support/databases.ts';
import { inProcessDeps, storeApplication } from '../../../test/support/oauth-deps.ts';
import { openStorage } from '../../storage/sql/store.ts';
import { startDeviceAuthorization, userCodeDigest } from '../device/start.ts';
import { deviceCode } from './device-code.ts';

const is = (code: string, status = 400) => (err: unknown) => err instanceof OAuthError && err.error === code && err.status === status;

describe('issue #11: grant module device_code and the device authorization', () => {
  let env: Awaited<ReturnType<typeof inProcessDeps>>;
  let cli: Application;
  before(async () => {
    env = await inProcessDeps({ PORTICO_RESOURCES: 'https://api.example.test', PORTICO_AUTHORIZE_RATE_LIMIT: '1000' });
    cli = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, usesPkce: true });
  });
  after(async () => {
    await env.close();
  });
  const poll = (deviceCodeValue: string, client: Application = cli, method: 'none' | 'client_secret_basic' = 'none') =>
    deviceCode.handle(grantInput(client, `device_code=${encodeURIComponent(deviceCodeValue)}`, deviceCode.parameters, method), env.deps);

  it('reads only device_code', () => {
    assert.deepEqual([...deviceCode.parameters], ['device_code']);
    assert.equal(deviceCode.grantType, 'urn:ietf:params:oauth:grant-type:device_code');
  });

  it('answers RFC 8628 §3.2: a 256-bit device code, an 8-letter user code as XXXX-XXXX, /device URIs, 300 s, 5 s', async () => {
    const d = await startDevice(env.deps, cli);
    assert.match(d.device_code, /^[A-Za-z0-9_-]{43}$/);
    assert.match(d.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(d.verification_uri, 'https://auth.example.test/device');
    assert.equal(d.verification_uri_complete, `https://auth.example.test/device?user_code=${d.user_code}`);
    assert.equal(d.expires_in, 300);
    assert.equal(d.interval, 5);
  });

  it('pending: the first poll is never throttled; a poll within the interval is slow_down (400) and adds 5 s; the client that slows down recovers', async () => {
    const d = await startDevice(env.deps, cli);
    await assert.rejects(poll(d.device_code), is('authorization_pending'));
    env.clock.advance(1000);
    await assert.rejects(poll(d.device_code), (e) => is('slow_down')(e) && /10 seconds/.test((e as Error).message));
    env.clock.advance(10_000);
    await assert.rejects(poll(d.device_code), is('authorization_pending'), 'waiting the new interval is on time again');
    env.clock.advance(5_000);
    await assert.rejects(poll(d.device_code), is('slow_down'), 'the old interval is not enough any more');
    env.clock.advance(15_000);
    await assert.rejects(poll(d.device_code), is('authorization_pending'));
  });

  it('approved: the next poll redeems it once (access, refresh with offline_access, ID token with openid); then invalid_grant', async () => {
    const d = await startDevice(env.deps, cli);
    await assert.rejects(poll(d.device_code), is('authorization_pending'));
    const { user, consent } = await decideDevice(env.deps, cli, d, 'approve');
    // Decided: answered at once, however soon after the previous poll (slow_down is a variant of pending).
    const tokens = await poll(d.device_code);
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.scope, 'openid offline_access read');
    assert.ok(tokens.refresh_token);
    const access = claimsOf(tokens.access_token);
    assert.equal(access.sub, user!.id);
    assert.equal(access.sid, consent!.id);
    assert.equal(access.client_id, cli.clientId);
    assert.equal(access.aud, env.deps.environmentClientId);
    const id = claimsOf(tokens.id_token!);
    assert.equal(id.aud, cli.clientId);
    assert.equal(id.sub, user!.id);
    assert.equal(id.nonce, undefined);
    await assert.rejects(poll(d.device_code), (e) => is('invalid_grant')(e) && /already used/.test((e as Error).message));
  });

  it('a resource becomes aud; without openid and offline_access only an access token', async () => {
    const d = await startDevice(env.deps, cli, 'read', ['https://api.example.test']);
    await decideDevice(env.deps, cli, d, 'approve');
    const tokens = await poll(d.device_code);
    assert.equal(claimsOf(tokens.access_token).aud, 'https://api.example.test');
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.id_token, undefined);
  });

  it('denied is access_denied; past 300 s expired_token (before and after a decision)', async () => {
    const denied = await startDevice(env.deps, cli);
    await decideDevice(env.deps, cli, denied, 'deny');
    await assert.rejects(poll(denied.device_code), is('access_denied'));
    const late = await startDevice(env.deps, cli);
    const approvedLate = await startDevice(env.deps, cli);
    await decideDevice(env.deps, cli, approvedLate, 'approve');
    env.clock.advance(300_000);
    await assert.rejects(poll(late.device_code), is('expired_token'));
    await assert.rejects(poll(approvedLate.device_code), is('expired_token'));
  });

  it('another client cannot poll it; M2M apps may neither start nor poll; a missing or absurd code', async () => {
    const d = await startDevice(env.deps, cli);
    const other = await storeApplication(env.deps, { type: 'oauth', isFirstParty: true, usesPkce: true });
    await assert.rejects(poll(d.device_code, other), is('invalid_grant'));
    await assert.rejects(poll(d.device_code), is('authorization_pending'), 'untouched for its own client');
    const m2m = await storeApplication(env.deps);
    await assert.rejects(poll(d.device_code, m2m, 'client_secret_basic'), is('unauthorized_client'));
    await assert.rejects(startDeviceAuthorization(env.deps, m2m, { scope: undefined, resources: [] }, META), is('unauthorized_client'));
    await assert.rejects(deviceCode.handle(grantInput(cli, '', deviceCode.parameters, 'none'), env.deps), is('invalid_request'));
    await assert.rejects(poll('x'.repeat(201)), is('invalid_grant'));
    await assert.rejects(poll('not-a-device-code'), is('invalid_grant'));
  });

  it('redeeming and storing the refresh token are one transaction: when the insert fails the code is not spent, and the next poll gets the tokens', async () => {
    const file = await createTestDatabase('sqlite');
    const storage = openStorage({ url: file.url });
    await storage.migrate();
    const own = await inProcessDeps({}, storage);
    const raw = new DatabaseSync(file.url.slice('sqlite:'.length));
    after(async () => {
      raw.close();
      await own.close();
      await file.drop();
    });
    const app = await storeApplication(own.deps, { type: 'oauth', isFirstParty: true, usesPkce: true });
    const d = await startDevice(own.deps, app);
    await decideDevice(own.deps, app, d, 'approve');
    const redeem = () => deviceCode.handle(grantInput(app, `device_code=${encodeURIComponent(d.device_code)}`, deviceCode.parameters, 'none'), own.deps);
    // A real failure of the real database, in the middle of the redemption: the refresh-token insert is refused.
    raw.exec("CREATE TRIGGER refuse_refresh BEFORE INSERT ON refresh_tokens BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    await assert.rejects(redeem(), /refused by the test/);
    raw.exec('DROP TRIGGER refuse_refresh');
    const tokens = await redeem();
    assert.ok(tokens.refresh_token, 'the code was still unspent, and its refresh token is stored this time');
    await assert.rejects(redeem(), (e) => is('invalid_grant')(e) && /already used/.test((e as Error).message));
  });

  it('the request: scope within the app (default: the AuthKit session scopes), one known resource; rows bounded per address', async () => {
    const own = await inProcessDeps({ PORTICO_RESOURCES: 'https://api.example.test', PORTICO_AUTHORIZE_RATE_LIMIT: '3' });
    after(() => own.close());
    const app = await storeApplication(own.deps, { type: 'oauth', isFirstParty: true, usesPkce: true });
    const start = (scope: string | undefined, resources: string[] = [], ip = '198.51.100.1') => startDeviceAuthorization(own.deps, app, { scope, resources }, { ...META, ip });
    await assert.rejects(start('openid admin'), is('invalid_scope'));
    await assert.rejects(start(''), is('invalid_scope'));
    await assert.rejects(start('openid', ['https://other.example.test']), is('invalid_target'));
    await assert.rejects(start('openid', ['https://api.example.test', 'https://api.example.test']), is('invalid_target'));
    const dflt = await start(undefined, [], '198.51.100.2');
    const row = (await own.deps.storage.deviceAuthorizations.findPendingByUserCode(userCodeDigest(own.deps, dflt.user_code.replace('-', '')), own.deps.clock.now()))!;
    assert.deepEqual(row.scopes, ['openid', 'profile', 'email', 'offline_access']);
    // PORTICO_AUTHORIZE_RATE_LIMIT=3 per address per minute: the 4th is 429 slow_down with Retry-After.
    for (let i = 0; i < 3; i++) await start('openid', [], '198.51.100.3');
    await assert.rejects(start('openid', [], '198.51.100.3'), (e) => is('slow_down', 429)(e) && (e as OAuthError).headers['retry-after'] === '60');
    own.clock.advance(61_000);
    assert.ok(await start('openid', [], '198.51.100.3'));
  });
});
