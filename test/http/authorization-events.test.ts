// Issue #13: the events of a browser authorization, delivered as webhooks and read with the WorkOS SDK:
// a code issued is `authentication.oauth_succeeded` (the WorkOS AuthenticationEvent shape) and, when the
// consent is new or wider, `authorized_application.granted`; a declined consent is
// `authentication.oauth_failed` with `error.code = access_denied`; revoking it is `authorized_application.deleted`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/domain/clock.ts';
import { pkcePair, runAuthorization } from '../support/oauth-flow.ts';
import { deviceSignInOverHttp, startDeviceOverHttp } from '../support/device-http.ts';
import { api, startServer, type TestServer } from '../support/server.ts';
import { drain, startReceiver, verifyWithSdk, webhookWorker, type Receiver } from '../support/webhooks.ts';

const REDIRECT = 'https://events.example.test/cb';

describe('issue #13: authorization events as webhooks', () => {
  let server: TestServer;
  let receiver: Receiver;
  let clientId: string;
  let appId: string;
  let secret: string;

  before(async () => {
    server = await startServer('sqlite', { env: { PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' } });
    receiver = await startReceiver();
    const org = ((await (await api(server, '/organizations', { method: 'POST', body: { name: 'Consenting' } })).json()) as { id: string }).id;
    const app = (await (await api(server, '/connect/applications', {
      method: 'POST',
      body: { name: 'Third party', application_type: 'oauth', is_first_party: false, organization_id: org, uses_pkce: true, redirect_uris: [{ uri: REDIRECT }] },
    })).json()) as { id: string; client_id: string };
    clientId = app.client_id;
    appId = app.id;
    const res = await api(server, '/webhook_endpoints', {
      method: 'POST',
      body: { endpoint_url: `${receiver.url}/auth`, events: ['authentication.oauth_succeeded', 'authentication.oauth_failed', 'authorized_application.granted', 'authorized_application.deleted'] },
    });
    secret = ((await res.json()) as { secret: string }).secret;
  });
  after(async () => {
    await receiver.close();
    await server.close();
  });

  const params = (scope: string) => ({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope, state: 's', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
  const user = { id: 'events-user', email: 'events@example.test' };
  const delivered = async () => {
    await drain(webhookWorker(server, systemClock));
    const got = receiver.received.splice(0);
    // Events of one transaction share a millisecond, and IDs within one are in random order: sort by name.
    return (await Promise.all(got.map((r) => verifyWithSdk(r, secret)))).sort((x, y) => x.event.localeCompare(y.event));
  };

  it('issue #13: consent given, then a sign-in within it, then a wider one; a decline; a revocation', async () => {
    const first = await runAuthorization(server, { params: params('openid'), user });
    assert.ok(first.callback.searchParams.get('code'));
    let events = await delivered();
    assert.deepEqual(events.map((e) => e.event), ['authentication.oauth_succeeded', 'authorized_application.granted']);
    const granted = events[1]!.data as unknown as { user_id: string; application_id: string; granted_scopes: string[] };
    assert.deepEqual([granted.application_id, granted.granted_scopes], [appId, ['openid']]);
    const ok = events[0]!.data as unknown as { type: string; status: string; userId: string; email: string; ipAddress: string };
    assert.deepEqual([ok.type, ok.status, ok.email, ok.ipAddress], ['oauth', 'succeeded', user.email, '127.0.0.1']);
    assert.equal(ok.userId, granted.user_id);

    await runAuthorization(server, { params: params('openid'), user, jar: first.jar });
    assert.deepEqual((await delivered()).map((e) => e.event), ['authentication.oauth_succeeded'], 'nothing new granted');
    await runAuthorization(server, { params: params('openid email'), user, jar: first.jar });
    assert.deepEqual((await delivered()).map((e) => e.event), ['authentication.oauth_succeeded', 'authorized_application.granted'], 'widened');

    const declined = await runAuthorization(server, { params: params('openid profile'), user, jar: first.jar, consent: 'deny' });
    assert.equal(declined.callback.searchParams.get('error'), 'access_denied');
    events = await delivered();
    assert.deepEqual(events.map((e) => e.event), ['authentication.oauth_failed']);
    const failed = events[0]!.data as unknown as { status: string; error: { code: string } };
    assert.deepEqual([failed.status, failed.error.code], ['failed', 'access_denied']);

    assert.equal((await api(server, `/user_management/users/${ok.userId}/authorized_applications/${appId}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await delivered()).map((e) => e.event), ['authorized_application.deleted']);
  });

  it('issue #13 (merged with issue #11): a device sign-in records the same events: approved, then declined', async () => {
    const cli = (await (await api(server, '/connect/applications', {
      method: 'POST',
      body: { name: 'CLI', application_type: 'oauth', is_first_party: true, uses_pkce: true, redirect_uris: [{ uri: 'http://127.0.0.1/cb' }] },
    })).json()) as { id: string; client_id: string };
    const deviceUser = { id: 'device-events-user', email: 'device-events@example.test' };
    const approved = await startDeviceOverHttp(server, cli.client_id, 'openid');
    const first = await deviceSignInOverHttp(server, { userCode: approved.user_code, user: deviceUser });
    assert.equal(first.final.pathname, '/device/approved');
    let events = await delivered();
    assert.deepEqual(events.map((e) => e.event), ['authentication.oauth_succeeded', 'authorized_application.granted']);
    assert.equal((events[1]!.data as unknown as { application_id: string }).application_id, cli.id);
    const denied = await startDeviceOverHttp(server, cli.client_id, 'openid');
    const second = await deviceSignInOverHttp(server, { userCode: denied.user_code, user: deviceUser, jar: first.jar, decision: 'deny' });
    assert.equal(second.final.pathname, '/device/denied');
    events = await delivered();
    assert.deepEqual(events.map((e) => e.event), ['authentication.oauth_failed']);
    assert.equal((events[0]!.data as unknown as { error: { code: string } }).error.code, 'access_denied');
  });
});

