// Issue #4: openid-client as the relying party runs the full authorization code + PKCE flow against a
// real server, for a confidential first-party app (client_secret_basic) and a public third-party app
// (none + PKCE), with the browser steps (development login, consent page) driven in headless Chromium
// through playwright-core. Also: refresh rotation and family revocation, authorization code reuse, and
// a user's authorized applications (list, delete) through the management API.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { chromium, type Browser, type BrowserContext, type Page, type Response as PwResponse } from 'playwright-core';
import { browserSuiteOptions, chromiumPath, freshPage } from '../support/browser.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { tokenRequest } from '../support/seed.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const STEP_TIMEOUT = 10_000;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ALL_SCOPES = 'openid profile email offline_access posts:read';

/** The relying party's redirect target: a loopback server that answers every callback with 200 "ok". */
async function startCallbackServer(): Promise<{ server: Server; uri: string }> {
  const server = createServer((req, res) => {
    const ok = (req.url ?? '').startsWith('/callback');
    res.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback` };
}

async function created<T>(res: Response, what: string): Promise<T> {
  if (res.status !== 201) throw new Error(`${what} -> ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** The OAuth error of a failed openid-client call (see oauth-m2m.test.ts for the WWW-Authenticate case). */
async function oauthError(promise: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await promise;
  } catch (e) {
    const err = e as { error?: string; status?: number; cause?: unknown; response?: Response };
    // With a WWW-Authenticate challenge openid-client raises before reading the body: read it here.
    if (err.error === undefined && err.response && !err.response.bodyUsed) {
      const body = (await err.response.json()) as { error: string };
      return { error: body.error, status: err.response.status };
    }
    const cause = err.cause as { error?: string } | undefined;
    return { error: err.error ?? cause?.error ?? String(e), status: err.status ?? 0 };
  }
  throw new Error('expected an OAuth error');
}

/** One authorization request's secrets and the URL the browser is sent to. */
interface AuthRequest {
  readonly url: URL;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

async function authorizationRequest(config: client.Configuration, redirectUri: string, scope: string, extra: Record<string, string> = {}): Promise<AuthRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

function exchange(config: client.Configuration, callback: URL, req: AuthRequest) {
  return client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
}

/** Every top-level navigation (redirect hops included) the page makes, in order. */
function recordNavigations(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) urls.push(r.url());
  });
  return urls;
}

function assertPageHeaders(res: PwResponse, what: string): void {
  const h = res.headers();
  assert.match(h['content-security-policy'] ?? '', /frame-ancestors 'none'/, `${what}: CSP frame-ancestors`);
  assert.equal(h['x-frame-options'], 'DENY', `${what}: X-Frame-Options`);
  assert.match(h['cache-control'] ?? '', /no-store/, `${what}: Cache-Control`);
}

for (const dialect of DIALECTS) {
  describe(`Browser authorization flow with openid-client and Chromium (${dialect})`, { skip: dialectSuite(dialect).skip || browserSuiteOptions().skip }, () => {
    let server: TestServer;
    let callback: { server: Server; uri: string };
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    let confidential: { id: string; clientId: string; secret: string; config: client.Configuration };
    let pub: { id: string; clientId: string; name: string; config: client.Configuration };
    /** What (b) leaves for (d). */
    let thirdParty: { page: Page; userId: string; refreshToken: string; accessToken: string } | undefined;

    const newPage = (): Promise<Page> => freshPage(browser, contexts, STEP_TIMEOUT);
    const atCallback = async (page: Page): Promise<URL> => {
      await page.waitForURL((u) => u.href.startsWith(`${callback.uri}?`), { timeout: STEP_TIMEOUT });
      return new URL(page.url());
    };
    const isConsentGet = (r: PwResponse) => r.url().startsWith(`${server.baseUrl}/oauth2/authorize/consent?`) && r.request().method() === 'GET';
    const isConsentPost = (r: PwResponse) => r.url() === `${server.baseUrl}/oauth2/authorize/consent` && r.request().method() === 'POST';

    /** Goes to the authorization URL, which must land on the development login; answers it. */
    const devLogin = async (page: Page, req: AuthRequest, user: { email: string; firstName: string }): Promise<PwResponse> => {
      const res = await page.goto(req.url.href);
      assert.ok(res, 'no response for the authorization URL');
      assert.ok(page.url().startsWith(`${server.baseUrl}/dev/login?external_auth_id=`), `expected the development login, got ${page.url()}`);
      assert.equal(res.status(), 200);
      await page.fill('#email', user.email);
      await page.fill('#first_name', user.firstName);
      return res;
    };
    const submitLogin = (page: Page) => page.click('button[type="submit"]');

    /** Runs `action`, which must lead to the consent page; checks the page and returns its text. */
    const expectConsent = async (page: Page, action: () => Promise<unknown>): Promise<string> => {
      const consent = page.waitForResponse(isConsentGet, { timeout: STEP_TIMEOUT });
      await action();
      const res = await consent;
      assert.equal(res.status(), 200);
      assertPageHeaders(res, 'consent page');
      await page.waitForURL((u) => u.href.startsWith(`${server.baseUrl}/oauth2/authorize/consent?`), { timeout: STEP_TIMEOUT });
      return page.locator('main').innerText();
    };
    /** Clicks Allow or Cancel on the consent page: the POST must be answered 303; returns the callback. */
    const decide = async (page: Page, decision: 'allow' | 'deny'): Promise<URL> => {
      const post = page.waitForResponse(isConsentPost, { timeout: STEP_TIMEOUT });
      await page.click(`button[name="decision"][value="${decision}"]`);
      const res = await post;
      assert.equal(res.status(), 303, 'a consent POST is answered with 303 See Other');
      assert.ok((res.headers().location ?? '').startsWith(`${callback.uri}?`), `303 Location: ${res.headers().location}`);
      return atCallback(page);
    };

    const introspect = async (token: string): Promise<Record<string, unknown>> => {
      const res = await tokenRequest(server, { token }, { id: confidential.clientId, secret: confidential.secret }, '/oauth2/introspection');
      assert.equal(res.status, 200);
      return (await res.json()) as Record<string, unknown>;
    };

    before(async () => {
      [server, callback, browser] = await Promise.all([
        startServer(dialect),
        startCallbackServer(),
        chromium.launch({ executablePath: chromiumPath()!, headless: true, args: CHROMIUM_ARGS }),
      ]);
      const discover = (clientId: string, auth: client.ClientAuth) =>
        client.discovery(new URL(server.baseUrl), clientId, undefined, auth, { execute: [client.allowInsecureRequests] });

      const first = await created<{ id: string; client_id: string }>(
        await api(server, '/connect/applications', {
          method: 'POST',
          body: { name: 'Portico Dashboard', application_type: 'oauth', is_first_party: true, redirect_uris: [{ uri: callback.uri }], scopes: ['posts:read'] },
        }),
        'first-party app',
      );
      const secret = await created<{ secret: string }>(await api(server, `/connect/applications/${first.id}/client_secrets`, { method: 'POST', body: {} }), 'secret');
      confidential = { id: first.id, clientId: first.client_id, secret: secret.secret, config: await discover(first.client_id, client.ClientSecretBasic(secret.secret)) };

      const org = await created<{ id: string }>(await api(server, '/organizations', { method: 'POST', body: { name: 'Partner Co' } }), 'organization');
      const third = await created<{ id: string; client_id: string; name: string }>(
        await api(server, '/connect/applications', {
          method: 'POST',
          body: {
            name: 'Partner Analytics',
            application_type: 'oauth',
            is_first_party: false,
            organization_id: org.id,
            uses_pkce: true,
            redirect_uris: [{ uri: callback.uri }],
            scopes: ['posts:read'],
          },
        }),
        'third-party app',
      );
      pub = { id: third.id, clientId: third.client_id, name: third.name, config: await discover(third.client_id, client.None()) };
    });

    after(async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser?.close();
      await new Promise<void>((resolve) => (callback ? callback.server.close(() => resolve()) : resolve()));
      await server?.close();
    });

    it('(a) confidential first-party app: dev login, no consent, code + PKCE, ID token, userinfo, refresh rotation, family revocation on reuse', async () => {
      const page = await newPage();
      const navigations = recordNavigations(page);
      const req = await authorizationRequest(confidential.config, callback.uri, ALL_SCOPES);
      const login = await devLogin(page, req, { email: 'Ada.Lovelace@Example.test', firstName: 'Ada' });
      assertPageHeaders(login, 'development login');
      await submitLogin(page);
      const cb = await atCallback(page);
      assert.equal(await page.locator('body').innerText(), 'ok');
      assert.equal(cb.searchParams.get('iss'), server.baseUrl);
      assert.equal(cb.searchParams.get('state'), req.state);
      assert.ok(cb.searchParams.get('code'));
      assert.ok(!navigations.some((u) => u.startsWith(`${server.baseUrl}/oauth2/authorize/consent`)), `a first-party app never shows consent: ${navigations.join(' > ')}`);

      const tokens = await exchange(confidential.config, cb, req);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.equal(tokens.scope, ALL_SCOPES);
      assert.ok(tokens.refresh_token);
      const id = tokens.claims();
      assert.ok(id, 'an ID token for the openid scope');
      assert.match(id.sub, /^user_/);
      assert.equal(id.iss, server.baseUrl);
      assert.deepEqual(([] as string[]).concat(id.aud), [confidential.clientId]);
      assert.equal(id.nonce, req.nonce);
      assert.equal(id.email, 'ada.lovelace@example.test');
      assert.equal(id.email_verified, true);
      assert.equal(id.given_name, 'Ada');

      const at = decodeJwt(tokens.access_token);
      assert.equal(at.iss, server.baseUrl);
      assert.equal(at.sub, id.sub);
      assert.equal(at.aud, server.environmentClientId);
      assert.equal(at.client_id, confidential.clientId);
      assert.equal(at.scope, ALL_SCOPES);
      assert.equal(typeof at.sid, 'string');
      assert.equal(at.sid, id.sid, 'the access token and the ID token name the same session (consent)');

      const info = await client.fetchUserInfo(confidential.config, tokens.access_token, id.sub);
      assert.equal(info.sub, id.sub);
      assert.equal(info.email, 'ada.lovelace@example.test');
      assert.equal(info.email_verified, true);
      assert.equal(info.given_name, 'Ada');

      // Rotation: every refresh answers a new refresh token.
      const r1 = await client.refreshTokenGrant(confidential.config, tokens.refresh_token);
      assert.ok(r1.refresh_token && r1.refresh_token !== tokens.refresh_token);
      assert.equal(r1.scope, ALL_SCOPES);
      const r2 = await client.refreshTokenGrant(confidential.config, r1.refresh_token);
      assert.ok(r2.refresh_token && r2.refresh_token !== r1.refresh_token && r2.refresh_token !== tokens.refresh_token);
      assert.equal(decodeJwt(r2.access_token).sub, id.sub);
      assert.equal((await introspect(r2.access_token)).active, true);
      assert.equal((await introspect(r2.refresh_token)).active, true);

      // Replaying a rotated token is theft: refused, and the whole family dies with its access tokens.
      assert.equal((await oauthError(client.refreshTokenGrant(confidential.config, tokens.refresh_token))).error, 'invalid_grant');
      assert.equal((await oauthError(client.refreshTokenGrant(confidential.config, r2.refresh_token))).error, 'invalid_grant');
      assert.deepEqual(await introspect(r2.access_token), { active: false });
      assert.deepEqual(await introspect(r2.refresh_token), { active: false });
    });

    it('(b) public third-party app: login, consent page, Allow (303), none + PKCE; session reuse; more scope asks again; Cancel is access_denied', async () => {
      const page = await newPage();
      const navigations = recordNavigations(page);
      const user = { email: 'grace@example.test', firstName: 'Grace' };
      const scopes = 'openid profile email posts:read';

      // 1. First authorization: login, then consent.
      const req1 = await authorizationRequest(pub.config, callback.uri, scopes);
      await devLogin(page, req1, user);
      const text = await expectConsent(page, () => submitLogin(page));
      assert.ok(text.includes(pub.name), `app name on the consent page: ${text}`);
      for (const words of ['Sign you in with your account', 'See your name', 'See your email address', 'posts:read']) {
        assert.ok(text.includes(words), `"${words}" on the consent page: ${text}`);
      }
      assert.ok(!text.includes('Stay signed in'), 'offline_access was not requested');
      assert.ok(text.includes(new URL(callback.uri).host), `redirect host on the consent page: ${text}`);
      assert.ok(text.includes(user.email), 'the signed-in user is named');
      const cb1 = await decide(page, 'allow');
      assert.equal(cb1.searchParams.get('iss'), server.baseUrl);
      const t1 = await exchange(pub.config, cb1, req1);
      assert.equal(t1.scope, scopes);
      assert.equal(t1.refresh_token, undefined, 'no refresh token without offline_access');
      const id1 = t1.claims();
      assert.ok(id1);
      assert.match(id1.sub, /^user_/);
      assert.deepEqual(([] as string[]).concat(id1.aud), [pub.clientId]);
      assert.equal(id1.email, user.email);
      const at1 = decodeJwt(t1.access_token);
      assert.equal(at1.client_id, pub.clientId);
      assert.equal(at1.aud, server.environmentClientId);
      assert.equal((await client.fetchUserInfo(pub.config, t1.access_token, id1.sub)).email, user.email);

      // 2. Same scopes, same browser: the session cookie and the stored consent skip both pages.
      navigations.length = 0;
      const req2 = await authorizationRequest(pub.config, callback.uri, scopes);
      await page.goto(req2.url.href);
      const cb2 = await atCallback(page);
      assert.deepEqual(
        navigations.map((u) => new URL(u).origin + new URL(u).pathname),
        [`${server.baseUrl}/oauth2/authorize`, callback.uri],
        'straight from /oauth2/authorize to the client',
      );
      const t2 = await exchange(pub.config, cb2, req2);
      assert.equal(t2.claims()?.sub, id1.sub);

      // 3. One more scope than was granted: the consent page again; Cancel answers access_denied.
      const req3 = await authorizationRequest(pub.config, callback.uri, `${scopes} offline_access`);
      const text3 = await expectConsent(page, () => page.goto(req3.url.href));
      assert.ok(text3.includes('Stay signed in'), `the new scope is shown: ${text3}`);
      const denied = await decide(page, 'deny');
      assert.equal(denied.searchParams.get('error'), 'access_denied');
      assert.equal(denied.searchParams.get('iss'), server.baseUrl);
      assert.equal(denied.searchParams.get('state'), req3.state);
      assert.equal(denied.searchParams.get('code'), null);
      // openid-client accepts the error response (iss and state check out) and surfaces the error.
      assert.equal((await oauthError(exchange(pub.config, denied, req3))).error, 'access_denied');

      // 4. A refusal grants nothing: asked again, then allowed; now with a refresh token.
      const req4 = await authorizationRequest(pub.config, callback.uri, `${scopes} offline_access`);
      await expectConsent(page, () => page.goto(req4.url.href));
      const cb4 = await decide(page, 'allow');
      const t4 = await exchange(pub.config, cb4, req4);
      assert.equal(t4.scope, `${scopes} offline_access`);
      assert.ok(t4.refresh_token);
      const rotated = await client.refreshTokenGrant(pub.config, t4.refresh_token);
      assert.ok(rotated.refresh_token && rotated.refresh_token !== t4.refresh_token);
      thirdParty = { page, userId: id1.sub, refreshToken: rotated.refresh_token, accessToken: rotated.access_token };
    });

    it('(c) a reused authorization code is invalid_grant and revokes what the first exchange issued', async () => {
      const page = await newPage();
      const req = await authorizationRequest(confidential.config, callback.uri, ALL_SCOPES);
      await devLogin(page, req, { email: 'reuse@example.test', firstName: 'Rhea' });
      await submitLogin(page);
      const cb = await atCallback(page);
      const tokens = await exchange(confidential.config, cb, req);
      assert.ok(tokens.refresh_token);
      assert.equal((await introspect(tokens.access_token)).active, true);

      assert.equal((await oauthError(exchange(confidential.config, cb, req))).error, 'invalid_grant');
      assert.equal((await oauthError(client.refreshTokenGrant(confidential.config, tokens.refresh_token))).error, 'invalid_grant');
      assert.deepEqual(await introspect(tokens.access_token), { active: false });
      assert.deepEqual(await introspect(tokens.refresh_token), { active: false });
    });

    it('(d) authorized applications: listed with granted scopes; DELETE withdraws tokens and consent', async () => {
      assert.ok(thirdParty, 'needs the state left by (b)');
      const { page, userId } = thirdParty;
      const list = await api(server, `/user_management/users/${userId}/authorized_applications`);
      assert.equal(list.status, 200);
      const body = (await list.json()) as { data: { object: string; granted_scopes: string[]; application: { id: string; client_id: string; name: string } }[] };
      assert.equal(body.data.length, 1);
      const entry = body.data[0]!;
      assert.equal(entry.object, 'authorized_connect_application');
      assert.equal(entry.application.client_id, pub.clientId);
      assert.equal(entry.application.id, pub.id);
      assert.deepEqual([...entry.granted_scopes].sort(), ['email', 'offline_access', 'openid', 'posts:read', 'profile']);

      const del = await api(server, `/user_management/users/${userId}/authorized_applications/${pub.clientId}`, { method: 'DELETE' });
      assert.equal(del.status, 204);
      const remaining = (await (await api(server, `/user_management/users/${userId}/authorized_applications`)).json()) as { data: unknown[] };
      assert.deepEqual(remaining.data, []);

      assert.equal((await oauthError(client.refreshTokenGrant(pub.config, thirdParty.refreshToken))).error, 'invalid_grant');
      const userinfo = await oauthError(client.fetchUserInfo(pub.config, thirdParty.accessToken, userId));
      assert.deepEqual(userinfo, { error: 'invalid_token', status: 401 });

      // The session survives, the consent does not: the same browser is asked again.
      const req = await authorizationRequest(pub.config, callback.uri, 'openid posts:read');
      const text = await expectConsent(page, () => page.goto(req.url.href));
      assert.ok(text.includes(pub.name));
      const cb = await decide(page, 'allow');
      const tokens = await exchange(pub.config, cb, req);
      assert.equal(tokens.claims()?.sub, userId);
    });
  });
}
