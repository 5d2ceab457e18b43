// Issue #4: prompt (none, login, consent), sessions, and the development login's production switch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { housekeep } from '../../src/housekeeping.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { CookieJar, get, pkcePair, runAuthorization } from '../support/oauth-flow.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const REDIRECT = 'https://prompt.example.test/cb';

for (const dialect of DIALECTS) {
  describe(`prompt and sessions (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    let clientId: string;
    before(async () => {
      server = await startServer(dialect);
      const org = ((await (await api(server, '/organizations', { method: 'POST', body: { name: 'P' } })).json()) as { id: string }).id;
      const app = (await (await api(server, '/connect/applications', {
        method: 'POST',
        body: { name: 'Prompted', application_type: 'oauth', is_first_party: false, organization_id: org, uses_pkce: true, redirect_uris: [{ uri: REDIRECT }] },
      })).json()) as { client_id: string };
      clientId = app.client_id;
    });
    after(async () => {
      await server.close();
    });

    const params = (extra: Record<string, string> = {}) => {
      const { challenge } = pkcePair();
      return { client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'p', code_challenge: challenge, code_challenge_method: 'S256', ...extra };
    };
    const user = { id: `prompt-${dialect}`, email: `prompt-${dialect}@example.test` };

    it('prompt=none without a session is login_required at the redirect URI (with iss)', async () => {
      const url = new URL(`${server.baseUrl}/oauth2/authorize`);
      for (const [k, v] of Object.entries(params({ prompt: 'none' }))) url.searchParams.set(k, v);
      const res = await get(url.toString(), new CookieJar());
      const loc = new URL(res.headers.get('location')!);
      assert.equal(loc.searchParams.get('error'), 'login_required');
      assert.equal(loc.searchParams.get('state'), 'p');
      assert.equal(loc.searchParams.get('iss'), server.baseUrl);
    });

    it('with a session: prompt=none answers at once once consented; prompt=consent asks again; prompt=login logs in again', async () => {
      const first = await runAuthorization(server, { params: params(), user });
      assert.deepEqual(first.steps, ['login', 'consent']);
      const silent = await runAuthorization(server, { params: params({ prompt: 'none' }), user, jar: first.jar });
      assert.deepEqual(silent.steps, []);
      assert.ok(silent.callback.searchParams.get('code'));
      const consentAgain = await runAuthorization(server, { params: params({ prompt: 'consent' }), user, jar: first.jar });
      assert.deepEqual(consentAgain.steps, ['consent']);
      const loginAgain = await runAuthorization(server, { params: params({ prompt: 'login' }), user, jar: first.jar });
      assert.deepEqual(loginAgain.steps, ['login']);
      // Asking for more than was granted with prompt=none: consent_required, not a silent widening.
      const wider = await runAuthorization(server, { params: params({ prompt: 'none', scope: 'openid email' }), user, jar: first.jar });
      assert.equal(wider.callback.searchParams.get('error'), 'consent_required');
    });

    it('housekeeping leaves live flows alone', async () => {
      // Issue #8: a session and an authorization waiting at the login exist *before* housekeeping runs,
      // and both still work after it (the old version only started new flows afterwards, so it passed
      // even when housekeeping deleted every session and interaction).
      const signedIn = await runAuthorization(server, { params: params(), user });
      const pendingJar = new CookieJar();
      const started = await get(`${server.baseUrl}/oauth2/authorize?${new URLSearchParams(params())}`, pendingJar);
      const externalAuthId = new URL(started.headers.get('location')!).searchParams.get('external_auth_id')!;
      await housekeep(server.storage, { now: () => new Date() }, server.config);
      const silent = await runAuthorization(server, { params: params({ prompt: 'none' }), user, jar: signedIn.jar });
      assert.ok(silent.callback.searchParams.get('code'), 'the session survived housekeeping');
      const complete = await api(server, '/authkit/oauth2/complete', { method: 'POST', body: { external_auth_id: externalAuthId, user } });
      assert.equal(complete.status, 200, 'the pending interaction survived housekeeping');
      const resumed = await get(((await complete.json()) as { redirect_uri: string }).redirect_uri, pendingJar);
      assert.equal(resumed.status, 302);
    });
  });
}

describe('NODE_ENV=production', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { env: { NODE_ENV: 'production' } });
  });
  after(async () => {
    await server.close();
  });

  it('refuses the development login, and authorize says sign-in is not configured', async () => {
    const dev = await fetch(`${server.baseUrl}/dev/login?external_auth_id=ext_auth_x`);
    assert.equal(dev.status, 404);
    assert.match(await dev.text(), /disabled in production/);
    const app = (await (await api(server, '/connect/applications', {
      method: 'POST',
      body: { name: 'Prod', application_type: 'oauth', is_first_party: true, redirect_uris: [{ uri: REDIRECT }] },
    })).json()) as { client_id: string };
    const res = await fetch(`${server.baseUrl}/oauth2/authorize?client_id=${app.client_id}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid`, { redirect: 'manual' });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('location'), null);
  });
});
