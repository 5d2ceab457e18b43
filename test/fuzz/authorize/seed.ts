// Issue #4: seeding the authorization fuzz world through the real API and real browser steps
// (moved out of test/fuzz/authorize-fuzz.test.ts by issue #9). Every request is a harness
// request (bounded in time, redirects not followed).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CookieJar, hiddenFields, pkcePair } from '../../support/oauth-flow.ts';
import type { TestServer } from '../../support/server.ts';
import { FORM } from '../support/config.ts';
import { basicHeader, harness, type HarnessInit } from '../support/harness.ts';
import { apiCall, seed, seedApplication, seedClient } from '../support/seeding.ts';
import { bindingName, bindingSet } from './cookies.ts';
import { authorizeUrl } from './params.ts';
import { SERVER_STEPS } from './replies.ts';
import { CONF_REDIRECTS, OIDC_SCOPES, PUB_CONSENTED, PUB_REDIRECTS, RESOURCE, USER_A, USER_B, type Base, type Binding, type Bound, type Client, type Pool, type Resume, type Slot, type World } from './world.ts';

/** POST /oauth2/token, with HTTP Basic when `basic` is given (support/oauth-flow.ts's exchangeCode(), with a timeout). */
export function tokenPost(server: TestServer, form: Record<string, string>, basic: { id: string; secret: string } | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': FORM };
  if (basic !== null) headers.authorization = basicHeader(basic.id, basic.secret);
  return harness(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
}

/** A GET with a cookie header ('' for none). */
export function plainGet(url: string, cookie: string): Promise<Response> {
  return harness(url, { headers: cookie === '' ? {} : { cookie } });
}

const sessionOf = (jar: CookieJar) => {
  const m = /(?:^|; )portico_session=([^;]+)/.exec(jar.header());
  assert.ok(m?.[1], `no session cookie after a login: ${jar.header()}`);
  return m[1];
};

const jwtClaims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * A browser (cookie jar) driving an authorization to the client's redirect:
 * the login through the company's backend (/authkit/oauth2/complete) and the
 * resume link, then the organization and consent pages as needed.
 */
async function browse(server: TestServer, params: Record<string, string>, user: { id: string; email: string }, jar: CookieJar): Promise<URL> {
  const origin = new URL(server.baseUrl).origin;
  const step = async (url: string, init: HarnessInit = {}) => {
    const cookie = jar.header();
    const res = await harness(url, { ...init, headers: { ...init.headers, ...(cookie !== '' && { cookie }) } });
    jar.store(res);
    return res;
  };
  const post = (path: string, form: Record<string, string>) => step(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams(form).toString() });
  let res = await step(authorizeUrl(server.baseUrl, params));
  for (let i = 0; i < 8; i++) {
    const location = res.headers.get('location');
    assert.ok((res.status === 302 || res.status === 303) && location, `seeding an authorization: ${res.status} ${await res.text()}`);
    const next = new URL(location, server.baseUrl);
    if (next.origin !== origin || !SERVER_STEPS.has(next.pathname)) return next;
    if (next.pathname === '/dev/login') {
      const complete = await apiCall(server, '/authkit/oauth2/complete', 'POST', { external_auth_id: next.searchParams.get('external_auth_id'), user });
      const text = await complete.text();
      assert.equal(complete.status, 200, `seeding a login: ${text}`);
      res = await step((JSON.parse(text) as { redirect_uri: string }).redirect_uri);
    } else if (next.pathname === '/oauth2/authorize/consent' || next.pathname === '/oauth2/authorize/organization') {
      const page = await step(next.toString());
      const text = await page.text();
      assert.equal(page.status, 200, `seeding: ${next.pathname}: ${text}`);
      res = await post(next.pathname, { ...hiddenFields(text), decision: 'allow' });
    } else {
      res = await step(next.toString());
    }
  }
  assert.fail('seeding an authorization: too many steps');
}

/** Starts an authorization in a browser with `session` and expects the given page step; returns it bound. */
async function boundAt(w: Base, step: 'consent' | 'organization', client: Client, session: string, orgs: readonly string[], extra: Record<string, string>): Promise<Bound> {
  const state = `st-${randomBytes(6).toString('base64url')}`;
  const redirectUri = client.redirects[randomBytes(1)[0]! % client.redirects.length]!;
  const res = await plainGet(authorizeUrl(w.issuer, { client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state, ...extra }), `portico_session=${session}`);
  const location = res.headers.get('location') ?? '';
  assert.equal(res.status, 302, `seeding a ${step} step: ${res.status} ${await res.text()}`);
  const next = new URL(location);
  assert.equal(next.pathname, `/oauth2/authorize/${step}`, `seeding a ${step} step went to ${location}`);
  const id = next.searchParams.get('interaction') ?? '';
  const binding = bindingSet(res, id, `seeding a ${step} step`);
  assert.ok(binding, `seeding a ${step} step: no ${bindingName(id)} cookie: ${res.headers.getSetCookie().join(' | ')}`);
  const page = await plainGet(next.toString(), `${bindingName(id)}=${binding}`);
  const fields = hiddenFields(await page.text());
  assert.equal(page.status, 200);
  assert.ok(fields.csrf, 'no CSRF field');
  return { id, cookieName: bindingName(id), binding, csrf: fields.csrf, client, redirectUri, state, orgs };
}

/** An external_auth_id waiting at the login (GET /oauth2/authorize without a session), and the binding of the browser that started it. */
async function pendingLogin(w: Base, client: Client, redirectUri: string, state: string): Promise<Binding> {
  const params: Record<string, string> = { client_id: client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state };
  if (client.name === 'pub') Object.assign(params, { code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
  const res = await plainGet(authorizeUrl(w.issuer, params), '');
  assert.equal(res.status, 302, `seeding a pending login: ${res.status} ${await res.text()}`);
  const login = new URL(res.headers.get('location') ?? '');
  assert.equal(login.pathname, '/dev/login');
  const id = login.searchParams.get('external_auth_id') ?? '';
  const binding = bindingSet(res, id, 'seeding a pending login');
  assert.ok(binding, `seeding a pending login: no ${bindingName(id)} cookie (a browser without a session is bound too): ${res.headers.getSetCookie().join(' | ')}`);
  return { id, cookieName: bindingName(id), binding };
}

/** A pending login and the CSRF token of its development-login page (served only to its own browser). */
async function pendingAtLogin(w: Base): Promise<Binding & { csrf: string }> {
  const pending = await pendingLogin(w, w.conf, CONF_REDIRECTS[0], 'st-pending');
  const page = await plainGet(`${w.issuer}/dev/login?external_auth_id=${pending.id}`, `${pending.cookieName}=${pending.binding}`);
  const fields = hiddenFields(await page.text());
  assert.equal(page.status, 200, 'the development login page in its own browser');
  assert.ok(fields.csrf, 'no CSRF field on the development login page');
  return { ...pending, csrf: fields.csrf };
}

/** A one-time resume link: the company's backend completed the login of user A that a browser started. */
export async function freshResume(w: Base): Promise<Resume> {
  // Alternately the first-party app (resuming issues a code at once) and the third-party one (consent).
  const client = w.resumes++ % 2 === 0 ? w.conf : w.pub;
  const redirectUri = client === w.conf ? `http://127.0.0.1:${40_000 + (randomBytes(2).readUInt16BE() % 20_000)}/cb` : PUB_REDIRECTS[1];
  const state = `st-${randomBytes(6).toString('base64url')}`;
  const pending = await pendingLogin(w, client, redirectUri, state);
  const res = await apiCall(w.server, '/authkit/oauth2/complete', 'POST', { external_auth_id: pending.id, user: USER_A });
  const text = await res.text();
  assert.equal(res.status, 200, `complete: ${text}`);
  const link = new URL((JSON.parse(text) as { redirect_uri: string }).redirect_uri);
  assert.equal(`${link.origin}${link.pathname}`, `${w.issuer}/oauth2/authorize/complete`, `the resume link: ${link}`);
  return { ...pending, token: link.searchParams.get('state') ?? '', client, redirectUri, state };
}

export const resumeUrl = (w: Base, token: string) => `${w.issuer}/oauth2/authorize/complete?state=${token}`;

/** Replaces a slot of the page pool that a request may have used up. */
export async function reseed(w: World, slot: Slot): Promise<void> {
  const pool = w.pool;
  pool.reseeds++;
  if (slot === 'consent') pool.consent = await boundAt(w, 'consent', w.pub, w.sessionA, [], { prompt: 'consent', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
  if (slot === 'org') pool.org = await boundAt(w, 'organization', w.conf, w.sessionB, w.members, {});
  if (slot === 'pending') pool.pending = await pendingAtLogin(w);
  if (slot === 'resume') pool.resume = await freshResume(w);
  if (slot === 'session_a') {
    const jar = new CookieJar();
    await browse(w.server, { client_id: w.conf.clientId, redirect_uri: CONF_REDIRECTS[0], response_type: 'code', scope: 'openid' }, USER_A, jar);
    w.sessionA = sessionOf(jar);
  }
  pool.stale.delete(slot);
}

async function seedPool(w: Base): Promise<Pool> {
  const consent = () => boundAt(w, 'consent', w.pub, w.sessionA, [], { prompt: 'consent', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });
  const finished = await consent();
  const done = await harness(`${w.issuer}/oauth2/authorize/consent`, {
    method: 'POST',
    headers: { cookie: `${finished.cookieName}=${finished.binding}`, 'content-type': FORM },
    body: new URLSearchParams({ interaction: finished.id, csrf: finished.csrf, decision: 'allow' }).toString(),
  });
  assert.equal(done.status, 303, `finishing an interaction: ${await done.text()}`);
  const spent = await freshResume(w);
  const followed = await plainGet(resumeUrl(w, spent.token), `${spent.cookieName}=${spent.binding}`);
  assert.equal(followed.status, 302, `following a resume link in its own browser: ${await followed.text()}`);
  return {
    consent: await consent(),
    org: await boundAt(w, 'organization', w.conf, w.sessionB, w.members, {}),
    finished,
    pending: await pendingAtLogin(w),
    resume: await freshResume(w),
    spent,
    stale: new Set(),
    reseeds: 1,
  };
}

/** The world of the suite (see world.ts), seeded through the management API and real browser steps. */
export async function seedWorld(server: TestServer): Promise<World> {
  const org = async (name: string) => (await seed<{ id: string }>(server, '/organizations', { name }, 'organization')).id;
  const owner = await org('Authorize Fuzz Owner');
  const members: [string, string] = [await org('Member One'), await org('Member Two')];
  const conf = await seedClient(
    server,
    { name: 'Fuzz First Party', application_type: 'oauth', is_first_party: true, scopes: ['read', 'write'], redirect_uris: CONF_REDIRECTS.map((uri) => ({ uri })) },
    'confidential oauth application',
  );
  const pub = {
    ...(await seedApplication(
      server,
      { name: 'Fuzz Public', application_type: 'oauth', is_first_party: false, uses_pkce: true, organization_id: owner, scopes: ['read'], redirect_uris: PUB_REDIRECTS.map((uri) => ({ uri })) },
      'public oauth application',
    )),
    secret: null,
  };
  const m2m = await seedClient(server, { name: 'Fuzz M2M', application_type: 'm2m', organization_id: owner, scopes: ['read'] }, 'm2m application');

  // User A: signs in once (a session), consents to the public app with and without RESOURCE.
  const confId = conf.clientId;
  const jarA = new CookieJar();
  await browse(server, { client_id: confId, redirect_uri: CONF_REDIRECTS[0], response_type: 'code', scope: 'openid' }, USER_A, jarA);
  for (const resource of [null, RESOURCE]) {
    const callback = await browse(
      server,
      {
        client_id: pub.clientId,
        redirect_uri: PUB_REDIRECTS[0],
        response_type: 'code',
        scope: PUB_CONSENTED,
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
        ...(resource !== null && { resource }),
      },
      USER_A,
      jarA,
    );
    assert.ok(callback.searchParams.get('code'), `consenting to the public app: ${callback}`);
  }
  // User B: signs in, then joins two organizations (the organization step appears from now on).
  const jarB = new CookieJar();
  const callbackB = await browse(server, { client_id: confId, redirect_uri: CONF_REDIRECTS[0], response_type: 'code', scope: 'openid' }, USER_B, jarB);
  const tokens = await tokenPost(server, { grant_type: 'authorization_code', code: callbackB.searchParams.get('code') ?? '', redirect_uri: CONF_REDIRECTS[0] }, { id: confId, secret: conf.secret });
  const tokensText = await tokens.text();
  assert.equal(tokens.status, 200, `user B's code exchange: ${tokensText}`);
  const userB = jwtClaims((JSON.parse(tokensText) as { id_token: string }).id_token).sub as string;
  for (const organization_id of members) {
    await seed(server, '/user_management/organization_memberships', { user_id: userB, organization_id }, 'membership');
  }

  const base: Base = {
    server,
    issuer: server.baseUrl,
    origin: new URL(server.baseUrl).origin,
    conf: { name: 'conf', ...conf, redirects: CONF_REDIRECTS, scopes: [...OIDC_SCOPES, 'read', 'write'], usesPkce: false },
    pub: { name: 'pub', ...pub, redirects: PUB_REDIRECTS, scopes: [...OIDC_SCOPES, 'read'], usesPkce: true },
    m2m: { name: 'm2m', ...m2m, redirects: [], scopes: ['read'], usesPkce: false },
    sessionA: sessionOf(jarA),
    sessionB: sessionOf(jarB),
    members,
    nonMember: owner,
    families: [],
    statuses: new Map(),
    outcomes: new Map(),
    replaced: 0,
    resumes: 0,
  };
  return Object.assign(base, { pool: await seedPool(base) });
}
