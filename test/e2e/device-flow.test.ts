// Issue #11: the device authorization grant (RFC 8628, WorkOS "CLI Auth") driven by real clients against a
// real server on both dialects: openid-client (pinned 6.9.0) is the CLI (initiateDeviceAuthorization +
// pollDeviceAuthorizationGrant), headless Chromium (playwright-core) is the person at /device who types
// the code, signs in with the development login, picks an organization and approves or denies on a
// consent page that shows the code. Also: slow_down and its recovery as openid-client lives it, 20
// parallel openid-client polls after approval (exactly one gets tokens), and expiry with a moved clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserSuiteOptions, CHROMIUM_ARGS, chromiumPath, freshPage } from '../support/browser.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { offsetClock } from '../support/oauth-deps.ts';
import { signInOnDevice } from '../support/device-browser.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const STEP_TIMEOUT = 15_000;
const SCOPES = 'openid email offline_access posts:read';

async function created<T>(res: Response, what: string): Promise<T> {
  if (res.status !== 201) throw new Error(`${what} -> ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** The OAuth error code openid-client raised. */
async function oauthError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    const err = e as { error?: string; cause?: { error?: string } };
    return err.error ?? err.cause?.error ?? String(e);
  }
  throw new Error('expected an OAuth error');
}

/** A public first-party CLI app, and openid-client configured for it; every token-endpoint answer is recorded. */
async function cliClient(server: TestServer, name: string) {
  const app = await created<{ id: string; client_id: string }>(
    await api(server, '/connect/applications', { method: 'POST', body: { name, application_type: 'oauth', is_first_party: true, uses_pkce: true, scopes: ['posts:read'] } }),
    'CLI app',
  );
  const config = await client.discovery(new URL(server.baseUrl), app.client_id, undefined, client.None(), { execute: [client.allowInsecureRequests] });
  const polls: { status: number; error: string | null }[] = [];
  config[client.customFetch] = async (url, options) => {
    const res = await fetch(url, options as RequestInit);
    if (url.endsWith('/oauth2/token')) {
      const body = (await res.clone().json()) as { error?: string };
      polls.push({ status: res.status, error: body.error ?? null });
    }
    return res;
  };
  return { app, config, polls };
}

for (const dialect of DIALECTS) {
  describe(`issue #11: device sign-in with openid-client and Chromium (${dialect})`, { skip: dialectSuite(dialect).skip || browserSuiteOptions().skip }, () => {
    let server: TestServer;
    let expiring: TestServer;
    let clock: ReturnType<typeof offsetClock>;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const newPage = (): Promise<Page> => freshPage(browser, contexts, STEP_TIMEOUT);

    before(async () => {
      clock = offsetClock();
      [server, expiring, browser] = await Promise.all([startServer(dialect), startServer(dialect, { clock }), chromium.launch({ executablePath: chromiumPath()!, headless: true, args: CHROMIUM_ARGS })]);
    });
    after(async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser?.close();
      await server?.close();
      await expiring?.close();
    });

    it('the CLI signs a user in: the code typed in lower case without its hyphen, development login, consent showing the code, tokens that verify', async () => {
      const cli = await cliClient(server, 'Acme CLI');
      assert.equal(cli.config.serverMetadata().device_authorization_endpoint, `${server.baseUrl}/oauth2/device_authorization`);
      assert.ok(cli.config.serverMetadata().grant_types_supported?.includes('urn:ietf:params:oauth:grant-type:device_code'));
      const device = await client.initiateDeviceAuthorization(cli.config, { scope: SCOPES });
      assert.equal(device.verification_uri, `${server.baseUrl}/device`);
      assert.equal(device.expires_in, 300);
      assert.equal(device.interval, 5);
      const polling = client.pollDeviceAuthorizationGrant(cli.config, device);

      const page = await newPage();
      const seen = await signInOnDevice(page, server.baseUrl, { start: device.verification_uri, typed: device.user_code.toLowerCase().replace('-', ''), email: 'ada@example.test', decision: 'allow' });
      for (const res of [seen.entry, seen.consent]) {
        assert.match(res.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
        assert.equal(res.headers()['x-frame-options'], 'DENY');
        assert.match(res.headers()['cache-control'] ?? '', /no-store/);
      }
      assert.ok(seen.consentText.includes(device.user_code), `the consent page shows the code: ${seen.consentText}`);
      assert.ok(seen.consentText.includes('Acme CLI'), 'and the app');
      assert.match(seen.consentText, /If someone sent you this code/);
      assert.match(seen.finalText, /return to your device/);

      const tokens = await polling;
      assert.equal(tokens.scope, SCOPES);
      assert.ok(tokens.refresh_token);
      const id = tokens.claims();
      assert.ok(id);
      assert.equal(id.email, 'ada@example.test');
      assert.deepEqual(([] as string[]).concat(id.aud), [cli.app.client_id]);
      const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${server.baseUrl}/oauth2/jwks`)), { issuer: server.baseUrl, audience: server.environmentClientId });
      assert.equal(payload.sub, id.sub);
      assert.equal(payload.client_id, cli.app.client_id);
      assert.ok(cli.polls.every((p) => p.status !== 429), 'never a bare 429');
      const refreshed = await client.refreshTokenGrant(cli.config, tokens.refresh_token);
      assert.equal(decodeJwt(refreshed.access_token).sub, id.sub);
      // The user's authorized applications list the CLI, and deleting it kills the refresh token.
      const list = (await (await api(server, `/user_management/users/${id.sub}/authorized_applications`)).json()) as { data: { application: { client_id: string } }[] };
      assert.deepEqual(list.data.map((a) => a.application.client_id), [cli.app.client_id]);
      assert.equal((await api(server, `/user_management/users/${id.sub}/authorized_applications/${cli.app.client_id}`, { method: 'DELETE' })).status, 204);
      assert.equal(await oauthError(client.refreshTokenGrant(cli.config, refreshed.refresh_token!)), 'invalid_grant');
    });

    it('verification_uri_complete fills the code in; a signed-in member of two organizations chooses one; org_id is in the token', async () => {
      const cli = await cliClient(server, 'Org CLI');
      const page = await newPage();
      // First sign-in creates the user; then the company adds two memberships.
      const first = await client.initiateDeviceAuthorization(cli.config, { scope: 'openid' });
      const firstPoll = client.pollDeviceAuthorizationGrant(cli.config, first);
      await signInOnDevice(page, server.baseUrl, { start: first.verification_uri_complete!, typed: null, email: 'grace@example.test', decision: 'allow' });
      const userId = (await firstPoll).claims()!.sub;
      const orgs: string[] = [];
      for (const name of ['Alpha Org', 'Beta Org']) {
        const org = await created<{ id: string }>(await api(server, '/organizations', { method: 'POST', body: { name } }), 'organization');
        await created(await api(server, '/user_management/organization_memberships', { method: 'POST', body: { user_id: userId, organization_id: org.id } }), 'membership');
        orgs.push(org.id);
      }
      const device = await client.initiateDeviceAuthorization(cli.config, { scope: SCOPES });
      const polling = client.pollDeviceAuthorizationGrant(cli.config, device);
      assert.equal(device.verification_uri_complete, `${server.baseUrl}/device?user_code=${device.user_code}`);
      const seen = await signInOnDevice(page, server.baseUrl, { start: device.verification_uri_complete!, typed: null, email: null, organizationName: 'Beta Org', decision: 'allow' });
      assert.equal(seen.sawOrganizationChooser, true);
      assert.ok(seen.consentText.includes('Beta Org'));
      const tokens = await polling;
      assert.equal(decodeJwt(tokens.access_token).org_id, orgs[1]);
      assert.equal(tokens.claims()!.org_id, orgs[1]);
      // The organization's authorized applications name the user.
      const byOrg = (await (await api(server, `/organizations/${orgs[1]}/authorized_applications`)).json()) as { data: { user_id: string; application: { client_id: string } }[] };
      assert.deepEqual(byOrg.data.map((a) => [a.user_id, a.application.client_id]), [[userId, cli.app.client_id]]);
    });

    it('a denial: the person chooses Deny, the CLI hears access_denied', async () => {
      const cli = await cliClient(server, 'Denied CLI');
      const device = await client.initiateDeviceAuthorization(cli.config, { scope: 'openid' });
      const polling = oauthError(client.pollDeviceAuthorizationGrant(cli.config, device));
      const seen = await signInOnDevice(await newPage(), server.baseUrl, { start: device.verification_uri, typed: device.user_code, email: 'mallory-target@example.test', decision: 'deny' });
      assert.match(seen.finalText, /Access denied/);
      assert.equal(await polling, 'access_denied');
    });

    it('slow_down: a poll sooner than the interval is answered 400 slow_down; openid-client adds 5 s and its next polls are on time again', async () => {
      const cli = await cliClient(server, 'Eager CLI');
      const device = await client.initiateDeviceAuthorization(cli.config, { scope: 'openid' });
      const started = Date.now();
      const polling = client.pollDeviceAuthorizationGrant(cli.config, device);
      // Another poll of the same code 2 s before openid-client's first (at 5 s) makes that one too fast.
      await new Promise((r) => setTimeout(r, 3000));
      const early = await fetch(`${server.baseUrl}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code, client_id: cli.app.client_id }),
      });
      assert.equal(((await early.json()) as { error: string }).error, 'authorization_pending', 'the first poll is never throttled');
      // The person approves only after openid-client's too-early poll and the next one, 10 s later, which must be
      // answered authorization_pending again (recovered: a decided code would be answered at once anyway).
      while (cli.polls.length < 2) await new Promise((r) => setTimeout(r, 100));
      await signInOnDevice(await newPage(), server.baseUrl, { start: device.verification_uri, typed: device.user_code, email: 'eager@example.test', decision: 'allow' });
      const tokens = await polling;
      assert.ok(tokens.access_token);
      assert.deepEqual(cli.polls.map((p) => p.error ?? String(p.status)), ['slow_down', 'authorization_pending', '200'], 'one slow_down; the client that waits 10 s is on time again');
      assert.equal(cli.polls[0]!.status, 400, 'slow_down is a 400, never a 429');
      assert.ok(Date.now() - started >= 24_000, 'every later poll waited the increased interval');
    });

    it('20 openid-client polls in parallel after approval: exactly one gets tokens, the others invalid_grant', async () => {
      const cli = await cliClient(server, 'Parallel CLI');
      const device = await client.initiateDeviceAuthorization(cli.config, { scope: 'openid offline_access' });
      await signInOnDevice(await newPage(), server.baseUrl, { start: device.verification_uri, typed: device.user_code, email: 'parallel@example.test', decision: 'allow' });
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.pollDeviceAuthorizationGrant(cli.config, device)));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      const errors = await Promise.all(results.filter((r) => r.status === 'rejected').map((r) => oauthError(Promise.reject(r.reason))));
      assert.deepEqual([...new Set(errors)], ['invalid_grant']);
      assert.ok(cli.polls.every((p) => p.status === 200 || p.status === 400), 'no 5xx');
    });

    it('expiry: past 300 s (the server clock moved on) the CLI hears expired_token, and the code is no use at /device', async () => {
      const cli = await cliClient(expiring, 'Slow CLI');
      const device = await client.initiateDeviceAuthorization(cli.config, { scope: 'openid' });
      const polling = oauthError(client.pollDeviceAuthorizationGrant(cli.config, device));
      await new Promise((r) => setTimeout(r, 6000));
      assert.deepEqual(cli.polls.map((p) => p.error), ['authorization_pending']);
      clock.advance(301_000);
      assert.equal(await polling, 'expired_token');
      const page = await newPage();
      await page.goto(device.verification_uri);
      await page.fill('#user_code', device.user_code);
      await page.click('button[type="submit"]');
      assert.match(await page.locator('main').innerText(), /not valid, or it has expired/);
    });
  });
}
