// Issue #4: property-based fuzzing of /oauth2/authorize and the code/refresh grants: no 5xx, never a redirect to an unregistered URI.
//
// Every property sends real HTTP requests (plain fetch, redirect: 'manual', a
// 5 s AbortSignal so a hang fails the run) to a real Portico on a real port,
// for every dialect. Every harness request (seeding included) has the same
// timeout, and a failed setup closes the server it started, so a broken run
// ends instead of hanging. Generated requests are plain data in which
// `@@name@@` placeholders stand for the seeded client IDs, session cookies,
// interaction IDs, binding cookie names and values, CSRF tokens, resume
// links, codes and refresh tokens; they are resolved just before sending, so
// counterexamples shrink and print readably and the runs fast-check replays
// while shrinking meet live objects again.
//
// The browser binding: GET /oauth2/authorize binds every authorization it
// starts to the browser with a cookie of its own, `portico_ia_<last 12
// characters of the interaction id>` (Path=/oauth2/authorize, HttpOnly,
// SameSite=Lax, Max-Age=600). The harness computes that name from the
// interaction id; the page steps and the resume link work only with it, so a
// resume link opened in another browser is an error page, never a redirect.
//
// Each property computes what the answer must be from the request alone (an
// oracle written from the RFCs and the documented behaviour, not from the
// implementation): whether the client and redirect URI are established (else
// an HTML error page, never a redirect), whether the request is valid (else
// an error redirect), whether a browser session exists (else the login page),
// whether a page step or resume link is bound to this browser (and a POST
// carries its CSRF token; else an error page), and whether a token request is
// valid (a 200 exactly then). Parameters sent empty are omitted (RFC 6749
// §3.1). Where the RFCs leave room (a repeated cookie name, a zero-padded
// loopback port) the oracle accepts either answer, never a 5xx and never a
// foreign Location.
//
// The world: a confidential first-party app (two redirect URIs, one of them
// a loopback IP, where any port must match), a public third-party app (PKCE,
// an https and a private-use-scheme redirect URI), an M2M app; user A (no
// organizations, consented to the public app) and user B (two
// organizations, so the organization step appears). Throttling is off so
// that wrong secrets do not turn valid requests into 429s.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { CookieJar, hiddenFields, pkcePair } from '../support/oauth-flow.ts';
import { startServer, type TestServer } from '../support/server.ts';

/** Runs per property; 3 properties per dialect. PORTICO_FUZZ_RUNS overrides it. */
const RUNS = Number(process.env.PORTICO_FUZZ_RUNS ?? 250);
const REQUEST_TIMEOUT_MS = 5_000;
/** The form parser's bodyLimit (src/oauth/form.ts). */
const FORM_LIMIT = 64 * 1024;
/** The largest value the config accepts, so that throttling never answers 429 to a valid request. */
const ENV = { PORTICO_AUTH_FAILURE_LIMIT: '999999', PORTICO_RESOURCES: 'https://api.example.test' };
const RESOURCE = 'https://api.example.test';
/** Spellings of RESOURCE that are the same resource (RFC 8707 URIs compare scheme and host case-insensitively). */
const SAME_RESOURCE = [RESOURCE, 'HTTPS://API.EXAMPLE.TEST', 'https://API.example.test'];
const FORM = 'application/x-www-form-urlencoded';
/** Node's default limit for the request line and headers is 16 KiB. */
const MAX_REQUEST_HEAD = 15_000;

const CONF_REDIRECTS = ['https://app.example.test/cb', 'http://127.0.0.1/cb'] as const;
const PUB_REDIRECTS = ['https://public.example.test/callback', 'com.example.app:/oauth'] as const;
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const USER_A = { id: 'fuzz-user-a', email: 'fuzz-a@example.test' };
const USER_B = { id: 'fuzz-user-b', email: 'fuzz-b@example.test' };
/** Everything user A consented to for the public app, with and without RESOURCE. */
const PUB_CONSENTED = 'openid profile email offline_access read';

type Tri = boolean | 'either';
type Pair = readonly [name: string, value: string];

// ---------------------------------------------------------------------------
// The seeded world
// ---------------------------------------------------------------------------

interface Client {
  readonly name: 'conf' | 'pub' | 'm2m';
  readonly appId: string;
  readonly clientId: string;
  /** null: a public client. */
  readonly secret: string | null;
  readonly redirects: readonly string[];
  /** What /oauth2/authorize may grant it: the OIDC scopes plus the application's own. */
  readonly scopes: readonly string[];
  readonly usesPkce: boolean;
}

/**
 * The cookie that binds interaction `id` to the browser that started it
 * (src/oauth/authorize/cookies.ts): one per interaction, so that several tabs
 * do not overwrite each other's binding.
 */
const bindingName = (id: string) => `portico_ia_${id.slice(-12)}`;
/** Path, lifetime (the interaction's ten minutes) and flags of a binding cookie. */
// Issue #7: Path=/ (the development login needs the binding too, and __Host- cookies require it).
const BINDING_PATH = '/';
const BINDING_MAX_AGE = '600';

/** What a browser holds of one interaction it started: the binding cookie GET /oauth2/authorize set. */
interface Binding {
  /** The interaction (external_auth_id). */
  readonly id: string;
  /** `portico_ia_<last 12 characters of id>`. */
  readonly cookieName: string;
  /** The cookie's value. */
  readonly binding: string;
}

/** An interaction waiting at a page step, bound to a browser (its `portico_ia_...` cookie). */
interface Bound extends Binding {
  readonly csrf: string;
  readonly client: Client;
  readonly redirectUri: string;
  readonly state: string;
  /** Organizations of the interaction's user. */
  readonly orgs: readonly string[];
}

/** A one-time resume link, and the binding of the browser that started its authorization (the only one it works in). */
interface Resume extends Binding {
  readonly token: string;
  readonly client: Client;
  readonly redirectUri: string;
  readonly state: string;
}

type Slot = 'consent' | 'org' | 'pending' | 'resume' | 'session_a';

/** Live objects of the page steps; a slot a request may have used up is replaced before the next run. */
interface Pool {
  consent: Bound;
  org: Bound;
  /** Completed with "allow": its cookie and CSRF token still exist, the interaction is over. */
  readonly finished: Bound;
  /** An external_auth_id waiting for the login, the binding of the browser that started it, and its login page's CSRF token (issue #7). */
  pending: Binding & { readonly csrf: string };
  resume: Resume;
  /** A resume link that was already followed (in its own browser). */
  readonly spent: Resume;
  readonly stale: Set<Slot>;
  reseeds: number;
}

/** A refresh-token family and what the harness knows of it. */
interface Family {
  readonly client: Client;
  readonly scopes: readonly string[];
  readonly resource: string | null;
  live: string;
  readonly rotated: string[];
  revoked: boolean;
}

interface World {
  readonly server: TestServer;
  readonly issuer: string;
  readonly origin: string;
  readonly conf: Client;
  readonly pub: Client;
  readonly m2m: Client;
  /** A followed resume link replaces the browser's session (issue #7): session A is then signed in anew. */
  sessionA: string;
  readonly sessionB: string;
  readonly members: readonly [string, string];
  readonly nonMember: string;
  pool: Pool;
  readonly families: Family[];
  statuses: Map<number, number>;
  /** What the answers were (refused, login, code, ...), for the diagnostics: proof that the valid paths ran too. */
  outcomes: Map<string, number>;
  replaced: number;
  resumes: number;
}

/** The world before its page pool exists: what seeding the pool needs. */
type Base = Omit<World, 'pool'>;

const ph = (name: string) => `@@${name}@@`;

// ---------------------------------------------------------------------------
// Harness requests (not fuzzed): every one with a timeout, none following redirects
// ---------------------------------------------------------------------------

interface HarnessInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

async function harness(url: string, init: HarnessInit = {}): Promise<Response> {
  const method = init.method ?? 'GET';
  try {
    return await fetch(url, { method, redirect: 'manual', headers: init.headers ?? {}, ...(init.body !== undefined && { body: init.body }), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const why = (err as { name?: string }).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)` : `${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`;
    throw new Error(`harness request ${method} ${url}: ${why}`, { cause: err });
  }
}

/** The management API with the server's key (support/server.ts's api(), with a timeout). */
function apiCall(server: TestServer, path: string, method: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.apiKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return harness(`${server.baseUrl}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

/** POST /oauth2/token, with HTTP Basic when `basic` is given (support/oauth-flow.ts's exchangeCode(), with a timeout). */
function tokenPost(server: TestServer, form: Record<string, string>, basic: { id: string; secret: string } | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': FORM };
  if (basic !== null) headers.authorization = basicHeader(basic.id, basic.secret);
  return harness(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
}

/** A GET with a cookie header ('' for none). */
function plainGet(url: string, cookie: string): Promise<Response> {
  return harness(url, { headers: cookie === '' ? {} : { cookie } });
}

/** Rejects when `promise` does not settle in time (the timer does not keep the process alive). */
async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------

async function created<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, 201, `seeding ${what}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function seedClient(server: TestServer, body: Record<string, unknown>, withSecret: boolean, what: string): Promise<{ appId: string; clientId: string; secret: string | null }> {
  const app = await created<{ id: string; client_id: string }>(await apiCall(server, '/connect/applications', 'POST', body), what);
  if (!withSecret) return { appId: app.id, clientId: app.client_id, secret: null };
  const secret = await created<{ secret: string }>(await apiCall(server, `/connect/applications/${app.id}/client_secrets`, 'POST', {}), `${what} secret`);
  return { appId: app.id, clientId: app.client_id, secret: secret.secret };
}

const sessionOf = (jar: CookieJar) => {
  const m = /(?:^|; )portico_session=([^;]+)/.exec(jar.header());
  assert.ok(m?.[1], `no session cookie after a login: ${jar.header()}`);
  return m[1];
};

const jwtClaims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** The Set-Cookie lines of binding cookies (any interaction). */
const bindingLines = (headers: Headers) => headers.getSetCookie().filter((line) => line.trimStart().toLowerCase().startsWith('portico_ia_'));

/** A binding cookie as /oauth2/authorize must set it: its own name, a 256-bit value, Path=/oauth2/authorize, Max-Age=600, HttpOnly, SameSite=Lax, host-only. */
function assertBindingLine(line: string, context: string): { name: string; value: string } {
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  const m = /^(portico_ia_[0-9A-Za-z]{12})=([A-Za-z0-9_-]{43})$/.exec(pair);
  assert.ok(m?.[1] && m[2], `binding cookie is not portico_ia_<12 characters>=<43 base64url characters>: ${show(line)}: ${context}`);
  const attrs = new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.includes('=') ? a.slice(a.indexOf('=') + 1) : '']));
  assert.equal(attrs.get('path'), BINDING_PATH, `binding cookie path: ${show(line)}: ${context}`);
  assert.equal(attrs.get('max-age'), BINDING_MAX_AGE, `binding cookie lifetime: ${show(line)}: ${context}`);
  assert.ok(attrs.has('httponly'), `binding cookie without HttpOnly: ${show(line)}: ${context}`);
  assert.equal(attrs.get('samesite')?.toLowerCase(), 'lax', `binding cookie without SameSite=Lax: ${show(line)}: ${context}`);
  assert.ok(!attrs.has('domain'), `binding cookie with a Domain (must be host-only): ${show(line)}: ${context}`);
  return { name: m[1], value: m[2] };
}

/** The value of the binding cookie for interaction `id` that `res` set (checked), or null when it set none for it. */
function bindingSet(res: Response, id: string, context: string): string | null {
  const mine = bindingLines(res.headers).map((line) => assertBindingLine(line, context)).filter((c) => c.name === bindingName(id));
  assert.ok(mine.length <= 1, `the binding cookie of ${id} set twice: ${context}`);
  return mine[0]?.value ?? null;
}

function authorizeUrl(issuer: string, params: Record<string, string>): string {
  const url = new URL(`${issuer}/oauth2/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

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
async function freshResume(w: Base): Promise<Resume> {
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

const resumeUrl = (w: Base, token: string) => `${w.issuer}/oauth2/authorize/complete?state=${token}`;

async function reseed(w: World, slot: Slot): Promise<void> {
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

async function seedWorld(server: TestServer): Promise<World> {
  const org = async (name: string) => (await created<{ id: string }>(await apiCall(server, '/organizations', 'POST', { name }), 'organization')).id;
  const owner = await org('Authorize Fuzz Owner');
  const members: [string, string] = [await org('Member One'), await org('Member Two')];
  const conf = await seedClient(
    server,
    { name: 'Fuzz First Party', application_type: 'oauth', is_first_party: true, scopes: ['read', 'write'], redirect_uris: CONF_REDIRECTS.map((uri) => ({ uri })) },
    true,
    'confidential oauth application',
  );
  const pub = await seedClient(
    server,
    { name: 'Fuzz Public', application_type: 'oauth', is_first_party: false, uses_pkce: true, organization_id: owner, scopes: ['read'], redirect_uris: PUB_REDIRECTS.map((uri) => ({ uri })) },
    false,
    'public oauth application',
  );
  const m2m = await seedClient(server, { name: 'Fuzz M2M', application_type: 'm2m', organization_id: owner, scopes: ['read'] }, true, 'm2m application');

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
  const tokens = await tokenPost(server, { grant_type: 'authorization_code', code: callbackB.searchParams.get('code') ?? '', redirect_uri: CONF_REDIRECTS[0] }, { id: confId, secret: conf.secret ?? '' });
  const tokensText = await tokens.text();
  assert.equal(tokens.status, 200, `user B's code exchange: ${tokensText}`);
  const userB = jwtClaims((JSON.parse(tokensText) as { id_token: string }).id_token).sub as string;
  for (const organization_id of members) {
    await created(await apiCall(server, '/user_management/organization_memberships', 'POST', { user_id: userB, organization_id }), 'membership');
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

function placeholders(w: World): Record<string, string> {
  const p = w.pool;
  return {
    conf: w.conf.clientId,
    pub: w.pub.clientId,
    m2m: w.m2m.clientId,
    session_a: w.sessionA,
    session_b: w.sessionB,
    consent: p.consent.id,
    consent_csrf: p.consent.csrf,
    consent_cookie: p.consent.cookieName,
    consent_binding: p.consent.binding,
    // Near misses of the consent step's cookie name: case, one character fewer or more of the id.
    consent_cookie_upper: p.consent.cookieName.toUpperCase(),
    consent_cookie_short: `portico_ia_${p.consent.id.slice(-11)}`,
    consent_cookie_long: `portico_ia_${p.consent.id.slice(-13)}`,
    org: p.org.id,
    org_csrf: p.org.csrf,
    org_cookie: p.org.cookieName,
    org_binding: p.org.binding,
    finished: p.finished.id,
    finished_csrf: p.finished.csrf,
    finished_cookie: p.finished.cookieName,
    finished_binding: p.finished.binding,
    pending: p.pending.id,
    pending_csrf: p.pending.csrf,
    pending_cookie: p.pending.cookieName,
    pending_binding: p.pending.binding,
    resume: p.resume.token,
    resume_cookie: p.resume.cookieName,
    resume_binding: p.resume.binding,
    resume_cookie_upper: p.resume.cookieName.toUpperCase(),
    spent: p.spent.token,
    spent_cookie: p.spent.cookieName,
    spent_binding: p.spent.binding,
    member1: w.members[0],
    member2: w.members[1],
    nonmember: w.nonMember,
  };
}

function resolve(text: string, values: Record<string, string>): string {
  return text.replace(/@@([a-z0-9_]+)@@/g, (all, name: string) => values[name] ?? all);
}

// ---------------------------------------------------------------------------
// Sending, and the checks shared by every answer
// ---------------------------------------------------------------------------

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly what: string;
  readonly location: string | null;
}

function show(value: string, max = 300): string {
  const s = JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max)}... (${value.length} chars)` : s;
}

function describeSent(method: string, url: string, headers: Record<string, string>, body: Uint8Array | null): string {
  const lines = [`${method} ${url.length > 1500 ? `${url.slice(0, 1500)}... (${url.length} chars)` : url}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`  ${k}: ${show(v, 400)}`);
  if (body !== null) {
    const text = Buffer.from(body).toString('utf8');
    lines.push(`  body (${body.length} bytes): ${show(text, 1500)}`);
    if (!Buffer.from(text, 'utf8').equals(Buffer.from(body))) lines.push(`  body hex (first 120 bytes): ${Buffer.from(body).subarray(0, 120).toString('hex')}`);
  }
  return lines.join('\n');
}

async function send(w: World, method: string, url: string, headers: Record<string, string>, body: Uint8Array | null): Promise<Reply> {
  const what = describeSent(method, url, headers, body);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method, headers, ...(body !== null && { body }), redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    text = await res.text();
  } catch (err) {
    const name = (err as { name?: string }).name;
    assert.fail(`${name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)` : `request failed: ${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`}\n${what}`);
  }
  w.statuses.set(res.status, (w.statuses.get(res.status) ?? 0) + 1);
  const reply = { status: res.status, headers: res.headers, text, what, location: res.headers.get('location') };
  assert.ok(res.status < 500, `server error ${res.status} ${show(text)}\n${what}`);
  return reply;
}

const count = (w: World, outcome: string) => w.outcomes.set(outcome, (w.outcomes.get(outcome) ?? 0) + 1);

const tag = (r: Reply) => `${r.status} ${r.location !== null ? `Location: ${r.location}` : show(r.text, 200)}\n${r.what}`;

/** An HTML error page (or page step): never a redirect, never framed, never cached. */
function assertPage(r: Reply, statuses: 'error' | 'ok'): void {
  if (statuses === 'error') assert.ok(r.status >= 400 && r.status < 500, `expected a 4xx error page: ${tag(r)}`);
  else assert.equal(r.status, 200, `expected a page: ${tag(r)}`);
  assert.equal(r.location, null, `a page with a Location: ${tag(r)}`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/html\b/, `not an HTML page: ${tag(r)}`);
  assert.equal(r.headers.get('x-frame-options'), 'DENY', `page without X-Frame-Options: DENY: ${tag(r)}`);
  assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `page without frame-ancestors 'none': ${tag(r)}`);
  assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/, `page without Cache-Control: no-store: ${tag(r)}`);
}

/**
 * Whether `uri` is a redirect URI registered for `client`: exact string
 * match (RFC 9700 §4.1.3), except that a loopback IP URI matches on any port
 * 0-65535, an explicit :80 included (RFC 8252 §7.3, OAuth 2.1 §8.4.2). A
 * zero-padded port names the same socket in a spelling nobody registers:
 * either answer is acceptable.
 */
function redirectAllowed(client: Client, uri: string): Tri {
  if (client.redirects.includes(uri)) return true;
  let verdict: Tri = false;
  for (const registered of client.redirects) {
    const reg = /^http:\/\/(127\.0\.0\.1|\[::1\])(\/.*)$/.exec(registered);
    if (!reg) continue;
    const m = /^http:\/\/(127\.0\.0\.1|\[::1\]):(\d+)(\/.*)$/.exec(uri);
    if (!m || m[1] !== reg[1] || m[3] !== reg[2] || Number(m[2]) > 65_535) continue;
    if (/^(0|[1-9]\d*)$/.test(m[2]!)) return true;
    verdict = 'either';
  }
  return verdict;
}

/** The URL a browser goes to for `uri` (WHATWG serialisation: `http://127.0.0.1:80/cb` is `http://127.0.0.1/cb`). */
function serialised(uri: string): string {
  try {
    return new URL(uri).href;
  } catch {
    return uri;
  }
}

/** A redirect back to the client: the base is the URI of the request (as given or serialised), registered, with exactly one `iss`. */
function assertClientRedirect(w: World, r: Reply, client: Client, redirectUri: string): URLSearchParams {
  const location = r.location ?? '';
  const q = location.indexOf('?');
  const base = q === -1 ? location : location.slice(0, q);
  assert.ok(base === redirectUri || base === serialised(redirectUri), `redirect to a URI other than the request's (${show(redirectUri)}): ${tag(r)}`);
  assert.notEqual(redirectAllowed(client, base), false, `redirect to a URI not registered for ${client.name}: ${tag(r)}`);
  const params = new URLSearchParams(q === -1 ? '' : location.slice(q + 1));
  assert.deepEqual(params.getAll('iss'), [w.issuer], `client redirect without iss = issuer (RFC 9207): ${tag(r)}`);
  assert.ok(params.has('code') !== params.has('error'), `a client redirect carries exactly one of code and error: ${tag(r)}`);
  assert.ok(!location.includes('#'), `client redirect with a fragment: ${tag(r)}`);
  return params;
}

/** RFC 6749 §4.1.2.1 and §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
function assertErrorDescription(description: string | null | undefined, context: string): void {
  if (description === null || description === undefined) return;
  assert.match(description, /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/, `error_description outside the RFC 6749 character set: ${show(description)}: ${context}`);
}

/** Where a redirect goes: one of Portico's own steps (parsed, never by prefix), or away. */
function serverStep(w: World, r: Reply): string | null {
  let url: URL;
  try {
    url = new URL(r.location ?? '');
  } catch {
    assert.fail(`Location is not an absolute URL: ${tag(r)}`);
  }
  return url.origin === w.origin ? url.pathname : null;
}

const SERVER_STEPS = new Set(['/dev/login', '/oauth2/authorize/consent', '/oauth2/authorize/organization', '/oauth2/authorize/continue', '/oauth2/authorize/complete']);

// ---------------------------------------------------------------------------
// Arbitraries shared by the properties
// ---------------------------------------------------------------------------

const encode = (s: string) => encodeURIComponent(s.toWellFormed());
/** Full Unicode (fast-check 4's replacement for fc.fullUnicodeString). */
const unicode = (maxLength = 30) => fc.string({ unit: 'binary', maxLength });
const withNul = fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}\u0000${b}`);
const repeated = (unit: string, min: number, max: number) => fc.integer({ min, max }).map((n) => unit.repeat(n));
const b64url = (length: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: length, maxLength: length });
/** Printable ASCII for header values (fetch refuses control characters). */
const headerSafe = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength }).map((s) => s.replace(/[;,]/g, ''));

/** Query/form tails the servers must ignore: unique names no real parameter decodes to, values possibly badly encoded. */
const junkSegments = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('', '%ZZ', '%E0%A4', '%00', '%5B%5D', '[]', '.x', '%C0%AF'), fc.string({ maxLength: 8 }).map(encode)),
      fc.oneof(fc.constantFrom('', '%', '%ZZ', '%E0%A4%A', '%FF', '%ED%A0%80', '%00', '+', '%2B', 'a+b'), fc.string({ maxLength: 20 }).map(encode), unicode(10).map(encode)),
    ),
    { maxLength: 3 },
  )
  .map((parts) => parts.map(([name, value], i) => `x${i}${name}=${value}`));

interface CookiePart {
  readonly name: string;
  readonly value: string;
}

/** A cookie of a request; name and value may hold placeholders (the binding cookies' names depend on the interaction). */
const cookie = (name: string, value: string): CookiePart => ({ name, value });
const renderCookie = (parts: readonly CookiePart[], values: Record<string, string>) => parts.map((p) => `${resolve(p.name, values)}=${resolve(p.value, values)}`).join('; ');

/** The value of a cookie as a server that takes names exactly (after trimming) sees it; 'ambiguous' when sent twice. */
function cookieValue(parts: readonly CookiePart[], name: string, values: Record<string, string>): string | null | 'ambiguous' {
  const found = parts.filter((p) => resolve(p.name, values).trim() === name);
  if (found.length > 1) return 'ambiguous';
  return found[0] === undefined ? null : resolve(found[0].value, values).trim();
}

/** Parameters grouped by name, in order, empty values kept (the caller decides what an empty one means). */
function grouped(pairs: readonly Pair[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [k, v] of pairs) map.set(k, [...(map.get(k) ?? []), v]);
  return map;
}

/** One parameter of a map without empty values: `value` when sent once, `repeated` when sent more than once. */
function one(map: Map<string, string[]>, name: string): { value: string | undefined; repeated: boolean } {
  const all = map.get(name) ?? [];
  return { value: all.length === 1 ? all[0] : undefined, repeated: all.length > 1 };
}

const encodePairs = (pairs: readonly Pair[], values: Record<string, string>) => pairs.map(([k, v]) => `${encode(k)}=${encode(resolve(v, values))}`);

interface Edit {
  readonly op: 'set' | 'drop' | 'add';
  readonly name: string;
  readonly value: string;
}

/** set: replace every occurrence by one (or append); drop: remove all; add: one more occurrence (a repetition when present). */
function applyEdits(base: readonly Pair[], edits: readonly Edit[]): Pair[] {
  let pairs = [...base];
  for (const e of edits) {
    if (e.op === 'drop') pairs = pairs.filter(([k]) => k !== e.name);
    else if (e.op === 'add') pairs.push([e.name, e.value]);
    else {
      const at = pairs.findIndex(([k]) => k === e.name);
      pairs = pairs.filter(([k], i) => k !== e.name || i === at);
      if (at === -1) pairs.push([e.name, e.value]);
      else pairs[at] = [e.name, e.value];
    }
  }
  return pairs;
}

const editsOf = (values: Record<string, fc.Arbitrary<string>>, weights: Record<string, number>, maxLength: number): fc.Arbitrary<Edit[]> =>
  fc.array(
    fc.constantFrom(...Object.entries(weights).flatMap(([name, n]) => Array.from({ length: n }, () => name))).chain((name) =>
      fc.record({ op: fc.constantFrom<Edit['op']>('set', 'set', 'set', 'drop', 'add'), name: fc.constant(name), value: values[name] ?? fc.string({ maxLength: 10 }) }),
    ),
    { maxLength },
  );

// ---------------------------------------------------------------------------
// Property 1: GET /oauth2/authorize
// ---------------------------------------------------------------------------

interface AuthorizeCase {
  readonly base: readonly Pair[];
  readonly edits: readonly Edit[];
  readonly junk: readonly string[];
  readonly cookie: readonly CookiePart[];
}

const CHALLENGE = createHash('sha256').update('fuzz-verifier-0123456789-0123456789-0123456789').digest('base64url');

function nearMisses(uri: string): string[] {
  const u = new URL(uri);
  const rest = uri.slice(u.protocol.length);
  const slash = uri.lastIndexOf('/');
  const out = [
    `${uri}/`,
    `${uri}?x=1`,
    `${uri}?`,
    `${uri}#`,
    `${uri}#frag`,
    `${uri}%00`,
    `${uri}\u0000`,
    ` ${uri}`,
    `${uri} `,
    `${uri}\t`,
    uri.toUpperCase(),
    `${u.protocol.toUpperCase()}${rest}`,
    encodeURIComponent(uri),
    `${uri.slice(0, slash + 1)}%${uri.charCodeAt(slash + 1).toString(16).toUpperCase()}${uri.slice(slash + 2)}`,
    `${uri.slice(0, slash)}/${uri.slice(slash + 1).toUpperCase()}`,
    `${uri.slice(0, slash)}//${uri.slice(slash + 1)}`,
    `${uri.slice(0, slash)}/./${uri.slice(slash + 1)}`,
    `${uri}/../${uri.slice(slash + 1)}`,
    `${uri}%2F`,
  ];
  if (u.host !== '') {
    out.push(
      uri.replace(u.host, u.host.toUpperCase()),
      uri.replace(u.host, 'evil.test'),
      uri.replace(u.host, `${u.host}.evil.test`),
      uri.replace(u.host, `${u.host}@evil.test`),
      uri.replace(u.host, `evil.test@${u.host}`),
      uri.replace(u.host, `${u.host}:443`),
      uri.replace(u.host, `${u.host}:8443`),
      uri.replace(`${u.protocol}//`, `${u.protocol}\\\\`),
      uri.replace(u.protocol, u.protocol === 'https:' ? 'http:' : 'https:'),
    );
  } else {
    out.push(uri.replace(':/', '://'), uri.replace(':/', ':'), uri.replace(u.protocol, 'com.evil.app:'));
  }
  return out;
}

const ALL_REDIRECTS = [...CONF_REDIRECTS, ...PUB_REDIRECTS];
const port = fc.integer({ min: 1, max: 65_535 });

const redirectValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ALL_REDIRECTS) },
  { weight: 6, arbitrary: fc.constantFrom(...ALL_REDIRECTS.flatMap(nearMisses)) },
  {
    weight: 4,
    arbitrary: fc.tuple(port, fc.constantFrom('http://127.0.0.1:%p/cb', 'http://127.0.0.1:%p/cb/', 'http://[::1]:%p/cb', 'http://localhost:%p/cb', 'http://127.0.0.1:%p/CB', 'https://127.0.0.1:%p/cb', 'http://127.0.0.1:%p/cb?x', 'http://127.0.0.1:%p', 'http://127.0.0.1:%p/cb#f', 'http://evil.test@127.0.0.1:%p/cb', 'http://127.1:%p/cb', 'http://2130706433:%p/cb')).map(([p, t]) => t.replace('%p', String(p))),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'https://app.example.test@evil.test/cb',
      'http://localhost/cb',
      'http://localhost:8080/cb',
      'http://[::1]/cb',
      'http://127.0.0.1:80/cb',
      'http://127.0.0.1:080/cb',
      'http://127.0.0.1:0/cb',
      'http://127.0.0.1:65536/cb',
      'http://127.0.0.1:/cb',
      'http://127.0.0.1/cb%00',
      'https://evil.test/cb',
      'https://app.example.test',
      'https://public.example.test/callback/../callback',
      '//evil.test/cb',
      '/cb',
      'cb',
      'javascript:alert(1)',
      'javascript://app.example.test/cb%0aalert(1)',
      'JavaScript:alert(document.domain)//https://app.example.test/cb',
      'data:text/html,<script>alert(1)</script>',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'about:blank',
      'https:app.example.test/cb',
      'https://app.example.test/cb\nLocation: https://evil.test/',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 40 }), unicode(20), withNul, repeated('https://app.example.test/cb/', 100, 150)) },
);

const authorizeValues: Record<string, fc.Arbitrary<string>> = {
  client_id: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(ph('conf'), ph('pub'), ph('m2m')) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'client_01ARZ3NDEKTSV4RRFFQ69G5FAV',
        'client_',
        '',
        `${ph('conf')}\u0000`,
        `\u0000${ph('conf')}`,
        '\u0000',
        `${ph('pub')} `,
        ` ${ph('pub')}`,
        `${ph('conf')}x`,
        `${ph('conf')}%00`,
        ph('conf').toUpperCase(),
        `${ph('conf')},${ph('pub')}`,
        '__proto__',
        'constructor',
      ),
    },
    { weight: 2, arbitrary: fc.oneof(repeated('c', 254, 256), repeated('c', 257, 3000), repeated('\u00e9', 200, 300)) },
    { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), unicode(20), withNul) },
  ),
  redirect_uri: redirectValue,
  response_type: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('code', 'token', 'id_token', 'none', 'code id_token', 'code token', 'id_token token', 'CODE', 'code ', ' code', 'code\u0000', '', 'code%20') },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  ),
  scope: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('openid', 'openid profile email', 'openid offline_access', 'read', 'read write', 'openid read', 'profile', 'email offline_access', 'write', 'openid  read ') },
    { weight: 4, arbitrary: fc.constantFrom('admin', 'openid admin', 'OPENID', 'openid\tprofile', 'openid\u0000', 'openid,profile', 'openid+profile', ' ', '   ', '', 'openid\nprofile', 'openid "', 'read\\write', '\u00e9') },
    { weight: 1, arbitrary: fc.oneof(repeated('openid ', 50, 400), repeated('x', 1000, 3000), unicode(20), withNul) },
  ),
  state: fc.oneof(
    { weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
    { weight: 2, arbitrary: fc.oneof(unicode(20), withNul) },
    { weight: 2, arbitrary: fc.oneof(repeated('s', 2040, 2048), repeated('s', 2049, 2600), repeated('\u{1F4A9}', 1020, 1030)) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '&', '=', '#', '%', '%00', '<script>', 'a&state=b') },
  ),
  nonce: fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
    { weight: 4, arbitrary: fc.oneof(unicode(20), withNul, withNul, fc.constant('\u0000')) },
    { weight: 2, arbitrary: fc.oneof(repeated('n', 500, 512), repeated('n', 513, 1200)) },
    { weight: 1, arbitrary: fc.constant('') },
  ),
  code_challenge: fc.oneof(
    { weight: 4, arbitrary: fc.oneof(fc.constant(CHALLENGE), b64url(43)) },
    { weight: 3, arbitrary: fc.oneof(b64url(42), b64url(44), b64url(128), fc.constantFrom(`${CHALLENGE.slice(0, 42)}=`, `${CHALLENGE.slice(0, 42)}+`, `${CHALLENGE.slice(0, 42)}/`, `${CHALLENGE.slice(0, 42)}\u0000`, `${CHALLENGE.slice(0, 42)}.`, '')) },
    { weight: 1, arbitrary: fc.oneof(repeated('A', 1000, 3000), unicode(43)) },
  ),
  code_challenge_method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('S256', 'plain', 's256', 'S256 ', 'SHA256', 'S512', 'none', '') }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }),
  resource: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SAME_RESOURCE) },
    { weight: 3, arbitrary: fc.constantFrom(`${RESOURCE}/`, `${RESOURCE}#f`, 'https://other.example.test', 'urn:example:api', 'api.example.test', '/relative', 'javascript:alert(1)', '') },
    { weight: 1, arbitrary: fc.constantFrom(`${RESOURCE}\u0000`, ` ${RESOURCE}`, `${RESOURCE}\t`, `\u0000${RESOURCE}`, `${RESOURCE}\n`) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), repeated('https://a.test/', 100, 200)) },
  ),
  prompt: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('none', 'login', 'consent', 'select_account', 'login consent', 'none login', 'none ', ' consent', 'NONE', 'create', '', 'none\u0000', 'consent,login') },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  ),
  request: fc.constantFrom('eyJhbGciOiJub25lIn0.eyJyZWRpcmVjdF91cmkiOiJodHRwczovL2V2aWwudGVzdC9jYiJ9.', 'x', ''),
  request_uri: fc.constantFrom('urn:ietf:params:oauth:request_uri:abc', 'https://evil.test/request.jwt', ''),
  response_mode: fc.constantFrom('query', 'fragment', 'form_post', 'query.jwt', 'QUERY', ''),
  login_hint: fc.oneof(fc.string({ maxLength: 30 }), withNul),
  max_age: fc.constantFrom('0', '-1', '1e99', 'x'),
  ['__proto__']: fc.constantFrom('x', '{"polluted":true}'),
};

const AUTHORIZE_WEIGHTS: Record<string, number> = {
  client_id: 3,
  redirect_uri: 5,
  response_type: 2,
  scope: 2,
  state: 2,
  nonce: 3,
  code_challenge: 2,
  code_challenge_method: 2,
  resource: 2,
  prompt: 3,
  request: 1,
  request_uri: 1,
  response_mode: 1,
  login_hint: 1,
  max_age: 1,
  ['__proto__']: 1,
};

/** A valid request for one of the two OAuth clients, before the edits. */
const authorizeBase: fc.Arbitrary<Pair[]> = fc.oneof(
  fc
    .record({
      redirect: fc.oneof(fc.constantFrom(...CONF_REDIRECTS), port.map((p) => `http://127.0.0.1:${p}/cb`)),
      scope: fc.constantFrom('openid', 'openid profile email offline_access', 'read', 'openid read write'),
      state: fc.string({ minLength: 1, maxLength: 16 }),
      nonce: fc.option(fc.string({ minLength: 1, maxLength: 16 }), { nil: null }),
      pkce: fc.boolean(),
    })
    .map(({ redirect, scope, state, nonce, pkce }): Pair[] => [
      ['client_id', ph('conf')],
      ['redirect_uri', redirect],
      ['response_type', 'code'],
      ['scope', scope],
      ['state', state],
      ...(nonce === null ? [] : [['nonce', nonce] as const]),
      ...(pkce ? [['code_challenge', CHALLENGE] as const, ['code_challenge_method', 'S256'] as const] : []),
    ]),
  fc
    .record({
      redirect: fc.constantFrom(...PUB_REDIRECTS),
      scope: fc.constantFrom('openid', 'openid profile email offline_access read', 'read', 'openid offline_access'),
      state: fc.string({ minLength: 1, maxLength: 16 }),
      nonce: fc.option(fc.string({ minLength: 1, maxLength: 16 }), { nil: null }),
    })
    .map(({ redirect, scope, state, nonce }): Pair[] => [
      ['client_id', ph('pub')],
      ['redirect_uri', redirect],
      ['response_type', 'code'],
      ['scope', scope],
      ['state', state],
      ...(nonce === null ? [] : [['nonce', nonce] as const]),
      ['code_challenge', CHALLENGE],
      ['code_challenge_method', 'S256'],
    ]),
);

const sessionCookie: fc.Arbitrary<readonly CookiePart[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant([]) },
  { weight: 5, arbitrary: fc.constant([cookie('portico_session', ph('session_a'))]) },
  { weight: 1, arbitrary: fc.constant([cookie('portico_session', ph('session_b'))]) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      [cookie('theme', 'dark'), cookie(' portico_session', `${ph('session_a')} `)],
      [cookie('portico_session', `${ph('session_a')}x`)],
      [cookie('portico_session', ph('session_a').toUpperCase())],
      [cookie('PORTICO_SESSION', ph('session_a'))],
      [cookie('portico_session', 'a.b')],
      [cookie('portico_session', '')],
      [cookie('portico_session', 'x'.repeat(101))],
      [cookie('portico_session', 'garbage'), cookie('portico_session', ph('session_a'))],
      [cookie('portico_session', ph('session_a')), cookie('portico_session', 'garbage')],
      [cookie('portico_interaction', ph('session_a'))],
      [cookie(ph('consent_cookie'), ph('consent_binding')), cookie('portico_session', ph('session_b'))],
    ),
  },
  { weight: 1, arbitrary: fc.array(fc.tuple(fc.constantFrom('portico_session', 'a', ''), headerSafe(60)).map(([n, v]) => cookie(n, v)), { maxLength: 3 }) },
);

const authorizeCase: fc.Arbitrary<AuthorizeCase> = fc.record({
  base: authorizeBase,
  edits: editsOf(authorizeValues, AUTHORIZE_WEIGHTS, 4),
  junk: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: junkSegments }),
  cookie: sessionCookie,
});

type Outcome = 'login' | 'page' | 'code' | 'error';

interface AuthorizeExpectation {
  /** Are client and redirect URI established (a redirect), or not (an error page)? */
  readonly redirects: Tri;
  readonly client: Client | null;
  readonly redirectUri: string | null;
  /** When it redirects: what it may redirect to. */
  readonly outcomes: ReadonlySet<Outcome>;
  /** Is the request itself invalid (an error redirect whatever the session)? */
  readonly invalid: boolean;
  /** The error codes acceptable when exactly one thing is wrong with the request (null: not judged). */
  readonly errors: ReadonlySet<string> | null;
  /** The `state` a client redirect must echo: a string, null (absent) or undefined (not determined). */
  readonly state: string | null | undefined;
  readonly why: string;
}

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);
/** The parameters /oauth2/authorize reads: the only ones an error_description may name. */
const AUTHORIZE_PARAMS = new Set(['client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'resource', 'prompt', 'request', 'request_uri', 'max_age', 'login_hint', 'id_token_hint']);
const PROMPT_NONE_ERRORS = new Set(['login_required', 'consent_required', 'interaction_required']);
/** RFC 6749 §4.1.2.1, RFC 8707 §2, RFC 9101 §6.3, OIDC Core §3.1.2.6 (server_error would be a 5xx in disguise). */
const AUTHORIZE_ERRORS = new Set([
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'temporarily_unavailable',
  'invalid_target',
  'request_not_supported',
  'request_uri_not_supported',
  ...PROMPT_NONE_ERRORS,
]);

/** The answer RFC 6749 §4.1.2.1, RFC 7636, RFC 8707, RFC 9101 and OIDC Core §3.1.2 call for, from the request alone. */
function expectAuthorize(w: World, pairs: readonly Pair[], cookies: readonly CookiePart[], values: Record<string, string>): AuthorizeExpectation {
  // RFC 6749 §3.1: a parameter sent without a value is omitted (`state=&state=xyz` is the single state xyz, `resource=` no resource).
  const q = grouped(pairs.filter(([, v]) => v !== ''));
  const none = (why: string): AuthorizeExpectation => ({ redirects: false, client: null, redirectUri: null, outcomes: new Set(), invalid: true, errors: null, state: undefined, why });
  const clientId = one(q, 'client_id');
  const client = [w.conf, w.pub].find((c) => c.clientId === clientId.value) ?? null;
  if (clientId.repeated) return none('client_id repeated');
  if (!client) return none(clientId.value === undefined ? 'client_id missing' : 'no such OAuth client');
  const redirect = one(q, 'redirect_uri');
  if (redirect.repeated) return none('redirect_uri repeated');
  if (redirect.value === undefined) return none('redirect_uri missing (two are registered)');
  const allowed = redirectAllowed(client, redirect.value);
  if (allowed === false) return none('redirect_uri not registered for this client');

  // Established: everything else is an error redirect when wrong, with the error code of what is wrong.
  const problems: { why: string; errors: readonly string[] }[] = [];
  const problem = (why: string, ...errors: string[]) => problems.push({ why, errors });
  for (const [name, all] of q) if (all.length > 1 && name !== 'resource') problem(`${name} repeated`, 'invalid_request');
  const state = one(q, 'state');
  if (state.value !== undefined && state.value.length > 2048) problem('state over 2048 characters', 'invalid_request');
  if (q.has('request')) problem('request is not supported', 'request_not_supported');
  if (q.has('request_uri')) problem('request_uri is not supported', 'request_uri_not_supported');
  const responseType = one(q, 'response_type');
  if (responseType.value !== 'code') problem('response_type is not code', responseType.value === undefined ? 'invalid_request' : 'unsupported_response_type');
  const mode = one(q, 'response_mode').value;
  if (mode !== undefined && mode !== 'query') problem('response_mode other than query', 'invalid_request');
  const scope = one(q, 'scope').value;
  const scopes = scope === undefined ? [] : scope.split(' ').filter((s) => s !== '');
  if (scopes.length === 0 || !scopes.every((s) => client.scopes.includes(s))) problem('scope missing or not allowed', 'invalid_scope');
  const challenge = one(q, 'code_challenge').value;
  const method = one(q, 'code_challenge_method').value;
  if (challenge === undefined && method !== undefined) problem('code_challenge_method without code_challenge', 'invalid_request');
  if (challenge === undefined && client.usesPkce) problem('PKCE required', 'invalid_request');
  if (challenge !== undefined && (method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))) problem('code_challenge not S256 of 43 base64url characters', 'invalid_request');
  // RFC 8707 §2: one known resource; surrounding whitespace or control characters make it another (unknown) one.
  const resources = q.get('resource') ?? [];
  if (resources.length > 1) problem('several resources', 'invalid_target');
  if (resources.length === 1 && !SAME_RESOURCE.includes(resources[0]!)) problem('unknown resource', 'invalid_target');
  const promptValue = one(q, 'prompt').value;
  const prompt = promptValue === undefined ? [] : promptValue.split(' ').filter((p) => p !== '');
  if (!prompt.every((p) => PROMPTS.has(p)) || (prompt.includes('none') && prompt.length > 1)) problem('unsupported prompt', 'invalid_request');
  const nonce = one(q, 'nonce').value;
  if (nonce !== undefined && nonce.length > 512) problem('nonce over 512 characters', 'invalid_request');
  if (nonce !== undefined && /[\u0000-\u001f\u007f]/.test(nonce)) problem('nonce with control characters', 'invalid_request');
  // Issue #7: max_age (OIDC Core §3.1.2.1) is a whole number of seconds; 0 asks for a new sign-in.
  const maxAge = one(q, 'max_age').value;
  if (maxAge !== undefined && !/^\d{1,9}$/.test(maxAge)) problem('max_age not a whole number of seconds', 'invalid_request');
  const loginHint = one(q, 'login_hint').value;
  if (loginHint !== undefined && (loginHint.length > 256 || /[\u0000-\u001f\u007f]/.test(loginHint))) problem('login_hint with control characters', 'invalid_request');
  const invalid = problems.length > 0;

  // Without a live session (or with prompt=login) the user must log in first; a code needs a session.
  const session = cookieValue(cookies, 'portico_session', values);
  const live: Tri = session === 'ambiguous' ? 'either' : session === w.sessionA || session === w.sessionB;
  const outcomes = new Set<Outcome>();
  if (invalid) outcomes.add('error');
  else {
    for (const signedIn of prompt.includes('login') || maxAge === '0' ? [false] : live === 'either' ? [false, true] : [live]) {
      if (prompt.includes('none')) outcomes.add(signedIn ? 'code' : 'error').add('error');
      else if (signedIn) outcomes.add('page').add('code');
      else outcomes.add('login');
    }
  }
  // RFC 6749 §4.1.2.1: a single, sane state comes back exactly; none sent, none back; anything else is not judged.
  const expectedState = state.repeated ? undefined : state.value === undefined ? null : state.value.length <= 2048 ? state.value : undefined;
  return {
    redirects: allowed,
    client,
    redirectUri: redirect.value,
    outcomes,
    invalid,
    errors: problems.length === 1 ? new Set(problems[0]!.errors) : null,
    state: expectedState,
    why: [...problems.map((p) => p.why), ...(allowed === 'either' ? ['zero-padded loopback port (either)'] : [])].join('; ') || 'valid',
  };
}

/**
 * The cookies of an /oauth2/authorize answer: never a login session (only a
 * resume link signs a browser in); a binding cookie (checked) exactly when an
 * authorization started, named after its interaction when that is visible.
 */
function assertAuthorizeCookies(r: Reply, outcome: Outcome | 'error page', invalid: boolean, context: string): void {
  const lines = r.headers.getSetCookie();
  assert.ok(!lines.some((l) => /^\s*portico_session=/i.test(l)), `/oauth2/authorize set a login session: ${context}`);
  const bindings = bindingLines(r.headers).map((line) => assertBindingLine(line, context));
  assert.ok(bindings.length <= 1, `several binding cookies for one authorization: ${context}`);
  if (outcome === 'error page' || invalid) {
    assert.equal(bindings.length, 0, `a binding cookie although no authorization started: ${context}`);
    return;
  }
  // prompt=none: refused before (no session) or after (interaction_required) an interaction starts.
  if (outcome === 'error') return;
  assert.equal(bindings.length, 1, `an authorization started without binding the browser: ${context}`);
  const url = new URL(r.location ?? '');
  const id = outcome === 'login' ? url.searchParams.get('external_auth_id') : outcome === 'page' ? url.searchParams.get('interaction') : null;
  if (id !== null) assert.equal(bindings[0]!.name, bindingName(id), `the binding cookie is not named after the interaction: ${context}`);
}

async function checkAuthorize(w: World, c: AuthorizeCase): Promise<void> {
  const values = placeholders(w);
  const pairs = applyEdits(c.base, c.edits).map(([k, v]): Pair => [k, resolve(v, values)]);
  const query = [...encodePairs(pairs, values), ...c.junk].join('&');
  const headers: Record<string, string> = {};
  if (c.cookie.length > 0) headers.cookie = renderCookie(c.cookie, values);
  const url = `${w.issuer}/oauth2/authorize?${query}`;
  // Node answers 431 itself beyond 16 KiB of request head: not Portico's answer to judge.
  fc.pre(url.length + (headers.cookie?.length ?? 0) < MAX_REQUEST_HEAD);
  const r = await send(w, 'GET', url, headers, null);
  const e = expectAuthorize(w, pairs, c.cookie, values);
  const context = `expected: ${e.redirects === false ? 'an error page' : `a redirect (${[...e.outcomes].join('/')})`} because ${e.why}\n${tag(r)}`;

  if (r.status !== 302) {
    assert.notEqual(e.redirects, true, `client and redirect URI are established, so it must redirect: ${context}`);
    assertPage(r, 'error');
    assertAuthorizeCookies(r, 'error page', e.invalid, context);
    count(w, 'error page');
    return;
  }
  assert.notEqual(e.redirects, false, `an unknown client or unregistered redirect URI must never redirect (RFC 6749 §4.1.2.1): ${context}`);
  assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/, `redirect without Cache-Control: no-store: ${context}`);
  const step = serverStep(w, r);
  let outcome: Outcome;
  if (step !== null) {
    const url = new URL(r.location ?? '');
    if (step === '/dev/login') {
      outcome = 'login';
      assert.ok(url.searchParams.get('external_auth_id'), `login redirect without external_auth_id: ${context}`);
    } else {
      assert.ok(step === '/oauth2/authorize/consent' || step === '/oauth2/authorize/organization', `redirect to an unexpected path of the server: ${context}`);
      assert.ok(url.searchParams.get('interaction'), `page-step redirect without interaction: ${context}`);
      outcome = 'page';
    }
  } else {
    assert.ok(e.client && e.redirectUri !== null, `redirect away although no client redirect URI is established: ${context}`);
    const params = assertClientRedirect(w, r, e.client, e.redirectUri);
    const err = params.get('error');
    outcome = err === null ? 'code' : 'error';
    if (err !== null) {
      assert.ok(AUTHORIZE_ERRORS.has(err), `unexpected error code ${JSON.stringify(err)}: ${context}`);
      if (!e.invalid) assert.ok(PROMPT_NONE_ERRORS.has(err), `a valid request answered ${err}: ${context}`);
      if (e.errors !== null) assert.ok(e.errors.has(err), `${err} is not the error for this request (${[...e.errors].join(' or ')}): ${context}`);
      assertErrorDescription(params.get('error_description'), context);
      // Only the parameters the endpoint reads are named back; a parameter it does not know is never echoed.
      for (const [name] of pairs) {
        if (!AUTHORIZE_PARAMS.has(name) && name.length >= 3) assert.ok(!(params.get('error_description') ?? '').includes(name), `error_description echoes the unknown parameter ${show(name)}: ${context}`);
      }
    }
    if (e.state !== undefined) assert.deepEqual(params.getAll('state'), e.state === null ? [] : [e.state], `state not echoed exactly: ${context}`);
  }
  assert.ok(e.outcomes.has(outcome), `${outcome} is not an acceptable answer: ${context}`);
  assertAuthorizeCookies(r, outcome, e.invalid, context);
  count(w, outcome);
}

// ---------------------------------------------------------------------------
// Property 2: the page steps
// ---------------------------------------------------------------------------

type PageEndpoint = 'GET consent' | 'POST consent' | 'GET organization' | 'POST organization' | 'GET continue' | 'GET complete' | 'GET login' | 'POST login';

const PAGE_PATHS: Record<PageEndpoint, string> = {
  'GET consent': '/oauth2/authorize/consent',
  'POST consent': '/oauth2/authorize/consent',
  'GET organization': '/oauth2/authorize/organization',
  'POST organization': '/oauth2/authorize/organization',
  'GET continue': '/oauth2/authorize/continue',
  'GET complete': '/oauth2/authorize/complete',
  'GET login': '/dev/login',
  'POST login': '/dev/login',
};

interface PageCase {
  readonly endpoint: PageEndpoint;
  readonly pairs: readonly Pair[];
  readonly junk: readonly string[];
  readonly cookie: readonly CookiePart[];
  readonly contentType: string | null;
  /** A raw body instead of the form (POST). */
  readonly raw: string | Uint8Array | null;
}

const VALID_EMAILS = ['fuzz-dev@example.test', ' Fuzz-Dev@Example.TEST ', 'dev+tag@example.test', 'd@sub.example.test'];
const INVALID_EMAILS = ['nope', 'a@b', '@example.test', 'a@', 'a b@example.test', 'a\u0000@example.test', `${'x'.repeat(65)}@example.test`, 'a@-example.test', '"a"@example.test'];
const VALID_NAMES = ['Ada', 'Grace Hopper', 'Zo\u00eb', "O'Brien"];
const INVALID_NAMES = ['a\nb', 'a\u0000b', 'tab\there', 'x'.repeat(256), '\u007f'];

const interactionValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(ph('consent'), ph('org'), ph('finished'), ph('pending')) },
  { weight: 3, arbitrary: fc.constantFrom('', 'ext_auth_01ARZ3NDEKTSV4RRFFQ69G5FAV', `${ph('consent')}\u0000`, `${ph('consent')}x`, ph('consent').toUpperCase(), ` ${ph('org')}`, '__proto__', 'x'.repeat(100), 'x'.repeat(101)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), unicode(20), withNul, repeated('i', 1000, 3000)) },
);

const pageValues: Record<string, fc.Arbitrary<string>> = {
  interaction: interactionValue,
  csrf: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(ph('consent_csrf'), ph('org_csrf'), ph('finished_csrf')) },
    { weight: 3, arbitrary: fc.oneof(b64url(43), fc.constantFrom('', `${ph('consent_csrf')}x`, ph('consent_csrf').toUpperCase(), `${ph('org_csrf')}=`, '\u0000')) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), repeated('c', 1000, 3000)) },
  ),
  decision: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('allow', 'deny', 'ALLOW', 'allow ', '', 'yes', 'allow\u0000') }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }),
  organization_id: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(ph('member1'), ph('member2'), ph('nonmember')) },
    { weight: 2, arbitrary: fc.constantFrom('', 'org_01ARZ3NDEKTSV4RRFFQ69G5FAV', `${ph('member1')}\u0000`, ph('member1').toLowerCase(), `${ph('member1')} `) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), repeated('o', 1000, 3000)) },
  ),
  state: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(ph('resume'), ph('spent')) },
    { weight: 3, arbitrary: fc.oneof(b64url(43), b64url(19), b64url(20), b64url(100), b64url(101), fc.constantFrom('', `${ph('resume')}x`, `${ph('resume')}.`, `${ph('resume')}\u0000`, ph('resume').slice(0, -1))) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), unicode(20)) },
  ),
  external_auth_id: interactionValue,
  email: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...VALID_EMAILS) }, { weight: 3, arbitrary: fc.constantFrom(...INVALID_EMAILS, '') }, { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), unicode(20)) }),
  first_name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...VALID_NAMES, '') }, { weight: 2, arbitrary: fc.constantFrom(...INVALID_NAMES) }, { weight: 1, arbitrary: unicode(20) }),
  last_name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...VALID_NAMES, '') }, { weight: 2, arbitrary: fc.constantFrom(...INVALID_NAMES) }, { weight: 1, arbitrary: unicode(20) }),
  'claim:tier': fc.constantFrom('gold', '', 'x'),
};

/** The binding cookies of the pool's live objects, as the browser that started each holds it. */
const bound = (slot: 'consent' | 'org' | 'finished' | 'resume' | 'spent' | 'pending') => cookie(ph(`${slot}_cookie`), ph(`${slot}_binding`));

const PAGE_BASE: Record<PageEndpoint, { pairs: Pair[]; cookie: CookiePart[] }> = {
  'GET consent': { pairs: [['interaction', ph('consent')]], cookie: [bound('consent'), cookie('portico_session', ph('session_a'))] },
  'POST consent': {
    pairs: [['interaction', ph('consent')], ['csrf', ph('consent_csrf')], ['decision', 'allow']],
    cookie: [bound('consent'), cookie('portico_session', ph('session_a'))],
  },
  'GET organization': { pairs: [['interaction', ph('org')]], cookie: [bound('org')] },
  'POST organization': { pairs: [['interaction', ph('org')], ['csrf', ph('org_csrf')], ['organization_id', ph('member1')]], cookie: [bound('org')] },
  'GET continue': { pairs: [['interaction', ph('consent')]], cookie: [bound('consent')] },
  'GET complete': { pairs: [['state', ph('resume')]], cookie: [bound('resume')] },
  'GET login': { pairs: [['external_auth_id', ph('pending')]], cookie: [bound('pending')] },
  'POST login': { pairs: [['external_auth_id', ph('pending')], ['csrf', ph('pending_csrf')], ['email', VALID_EMAILS[0]!], ['first_name', 'Ada']], cookie: [bound('pending')] },
};

const PAGE_WEIGHTS: Record<PageEndpoint, Record<string, number>> = {
  'GET consent': { interaction: 3 },
  'POST consent': { interaction: 3, csrf: 3, decision: 2, 'claim:tier': 1 },
  'GET organization': { interaction: 3 },
  'POST organization': { interaction: 3, csrf: 3, organization_id: 3 },
  'GET continue': { interaction: 3 },
  'GET complete': { state: 3 },
  'GET login': { external_auth_id: 3 },
  'POST login': { external_auth_id: 3, csrf: 3, email: 3, first_name: 1, last_name: 1 },
};

const bindingParts = fc.constantFrom(
  bound('consent'),
  bound('org'),
  bound('finished'),
  bound('resume'),
  bound('spent'),
  bound('pending'),
  cookie(ph('pending_cookie'), ph('consent_binding')),
  // Another interaction's binding under this one's name, and the other way round.
  cookie(ph('consent_cookie'), ph('org_binding')),
  cookie(ph('org_cookie'), ph('consent_binding')),
  cookie(ph('resume_cookie'), ph('consent_binding')),
  cookie(ph('consent_cookie'), ph('resume_binding')),
  cookie(ph('resume_cookie'), ph('spent_binding')),
  // The old fixed name, and near misses of the name.
  cookie('portico_interaction', ph('consent_binding')),
  cookie('portico_interaction', ph('resume_binding')),
  cookie(ph('consent_cookie_upper'), ph('consent_binding')),
  cookie(ph('consent_cookie_short'), ph('consent_binding')),
  cookie(ph('consent_cookie_long'), ph('consent_binding')),
  cookie(ph('resume_cookie_upper'), ph('resume_binding')),
  cookie('portico_ia_', ph('consent_binding')),
  // Near misses of the value.
  cookie(ph('consent_cookie'), 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
  cookie(ph('consent_cookie'), `${ph('consent_binding')}x`),
  cookie(ph('resume_cookie'), `${ph('resume_binding')}x`),
  cookie(ph('consent_cookie'), ''),
  cookie(ph('org_cookie'), 'a.b'),
  cookie(ph('resume_cookie'), ''),
  // Whitespace around name and value (a cookie header allows it): the same cookie.
  cookie(` ${ph('org_cookie')} `, ` ${ph('org_binding')} `),
  cookie(` ${ph('resume_cookie')}`, `${ph('resume_binding')} `),
  cookie('portico_session', ph('session_a')),
  cookie('portico_session', ph('consent_binding')),
  cookie('theme', 'dark'),
);

const pageCookie = (endpoint: PageEndpoint): fc.Arbitrary<readonly CookiePart[]> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constant(PAGE_BASE[endpoint].cookie) },
    { weight: 1, arbitrary: fc.constant([]) },
    { weight: 4, arbitrary: fc.array(bindingParts, { minLength: 1, maxLength: 3 }) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(fc.constantFrom(ph('consent_cookie'), ph('org_cookie'), ph('resume_cookie'), 'portico_interaction', 'x'), headerSafe(60)).map(([n, v]) => cookie(n, v)), { maxLength: 2 }),
    },
  );

const PAGE_CONTENT_TYPES = [`${FORM}; charset=utf-8`, 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream'];

const rawPageBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constantFrom('', '&', '=', '%', '%ZZ', 'interaction=%E0%A4&csrf=%', '{"interaction":"x"}', '\u0000', 'interaction', `interaction=${ph('consent')}&csrf=${ph('consent_csrf')}&decision=allow&decision=allow`),
  fc.integer({ min: FORM_LIMIT - 64, max: FORM_LIMIT + 4096 }).map((n) => `interaction=${ph('consent')}&pad=${'a'.repeat(n)}`),
  fc.uint8Array({ maxLength: 200 }),
);

const contentType: fc.Arbitrary<string | null> = fc.oneof({ weight: 8, arbitrary: fc.constant(FORM) }, { weight: 2, arbitrary: fc.constantFrom<string | null>(...PAGE_CONTENT_TYPES, null) });

const pageCase: fc.Arbitrary<PageCase> = fc.constantFrom<PageEndpoint>(...(Object.keys(PAGE_PATHS) as PageEndpoint[])).chain((endpoint) => {
  const post = endpoint.startsWith('POST');
  return fc.record({
    endpoint: fc.constant(endpoint),
    pairs: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: editsOf(pageValues, PAGE_WEIGHTS[endpoint], 3) }).map((edits) => applyEdits(PAGE_BASE[endpoint].pairs, edits)),
    junk: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: junkSegments }),
    cookie: pageCookie(endpoint),
    contentType: post ? contentType : fc.constant(null),
    raw: post ? fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: rawPageBody }) : fc.constant(null),
  });
});

type PageOutcome = 'page' | 'refused' | 'server-redirect' | 'client-redirect';

interface PageExpectation {
  readonly outcomes: ReadonlySet<PageOutcome>;
  /** For a client redirect: where to, and with what. */
  readonly target: { client: Client; redirectUri: string; state: string; result: 'code' | 'access_denied' } | null;
  /** The slot an answer other than an error page may have used up. */
  readonly uses: Slot | null;
  readonly why: string;
}

/** A form value as Portico's form reader sees it: empty values omitted (RFC 6749 §3.1), repeats refused. */
function formValue(form: Map<string, string[]>, name: string): string | undefined | 'repeated' {
  const values = (form.get(name) ?? []).filter((v) => v !== '');
  return values.length > 1 ? 'repeated' : values[0];
}

function expectPage(w: World, c: PageCase, query: Map<string, string[]>, form: Map<string, string[]> | null, values: Record<string, string>): PageExpectation {
  const pool = w.pool;
  const live = new Map<string, { slot: 'consent' | 'org'; bound: Bound }>([
    [pool.consent.id, { slot: 'consent', bound: pool.consent }],
    [pool.org.id, { slot: 'org', bound: pool.org }],
  ]);
  const refused = (why: string): PageExpectation => ({ outcomes: new Set(['refused']), target: null, uses: null, why });
  /** Does this browser hold the binding cookie of interaction `b` (its own name, its value)? */
  const holds = (b: Binding): Tri => {
    const value = cookieValue(c.cookie, b.cookieName, values);
    return value === 'ambiguous' ? 'either' : value === b.binding;
  };
  /** The interaction is live, past the login, and bound to this browser's cookie (RFC 9700 §4.7: CSRF). */
  const boundTo = (id: string | undefined): { tri: Tri; slot: 'consent' | 'org' | null; bound: Bound | null } => {
    const hit = id === undefined ? undefined : live.get(id);
    if (!hit) return { tri: false, slot: null, bound: null };
    return { tri: holds(hit.bound), slot: hit.slot, bound: hit.bound };
  };
  const queryOne = (name: string) => {
    const all = query.get(name) ?? [];
    return all.length === 1 ? all[0] : undefined;
  };
  const widen = (e: PageExpectation, tri: Tri): PageExpectation => (tri === 'either' ? { ...e, outcomes: new Set([...e.outcomes, 'refused']), why: `${e.why} (cookie sent twice: either)` } : e);

  switch (c.endpoint) {
    case 'GET consent':
    case 'GET organization': {
      const b = boundTo(queryOne('interaction'));
      if (b.tri === false) return refused('not a live interaction bound to this browser');
      return widen({ outcomes: new Set(['page']), target: null, uses: null, why: 'bound interaction' }, b.tri);
    }
    case 'GET continue': {
      const b = boundTo(queryOne('interaction'));
      if (b.tri === false || !b.bound) return refused('not a live interaction bound to this browser');
      const target = { client: b.bound.client, redirectUri: b.bound.redirectUri, state: b.bound.state, result: 'code' as const };
      return widen({ outcomes: new Set(['server-redirect', 'client-redirect']), target, uses: b.slot, why: 'bound interaction' }, b.tri);
    }
    case 'GET complete': {
      if (queryOne('state') !== pool.resume.token) return refused('not a live resume link');
      // Login CSRF: the link works only in the browser that started the authorization.
      const r = pool.resume;
      const tri = holds(r);
      if (tri === false) return refused('a live resume link, but not in the browser that started the authorization (no binding cookie)');
      const target = { client: r.client, redirectUri: r.redirectUri, state: r.state, result: 'code' as const };
      return widen({ outcomes: new Set(['server-redirect', 'client-redirect']), target, uses: 'resume', why: 'live resume link in its own browser' }, tri);
    }
    case 'GET login': {
      if (queryOne('external_auth_id') !== pool.pending.id) return refused('not a pending login');
      // Issue #7: the development login page is served only to the browser that started the authorization.
      const tri = holds(pool.pending);
      if (tri === false) return refused('a pending login, but not in the browser that started it');
      return widen({ outcomes: new Set(['page']), target: null, uses: null, why: 'pending login in its own browser' }, tri);
    }
    default:
      break;
  }
  if (form === null) return refused('the body is not a form');
  const get = (name: string) => formValue(form, name);
  if (c.endpoint === 'POST login') {
    const fields = ['external_auth_id', 'email', 'first_name', 'last_name', 'csrf'].map(get);
    if (fields.includes('repeated')) return refused('a form field is repeated');
    const [id, email, first, last, csrf] = fields;
    if (id !== pool.pending.id) return refused('not a pending login');
    const tri = holds(pool.pending);
    if (tri === false) return refused('a pending login, but not in the browser that started it');
    if (csrf !== pool.pending.csrf) return refused('wrong CSRF token (issue #7: the development login is CSRF-protected)');
    const verdicts: Tri[] = [
      email === undefined || INVALID_EMAILS.includes(email) ? false : VALID_EMAILS.includes(email) ? true : 'either',
      ...[first, last].map((n): Tri => (n === undefined || VALID_NAMES.includes(n) ? true : INVALID_NAMES.includes(n) ? false : 'either')),
    ];
    if (verdicts.includes(false)) return refused('invalid email or name');
    const outcomes = new Set<PageOutcome>(['server-redirect']);
    if (verdicts.includes('either')) outcomes.add('refused');
    return widen({ outcomes, target: null, uses: 'pending', why: 'pending login, valid email' }, tri);
  }
  const interaction = get('interaction');
  if (interaction === 'repeated') return refused('interaction repeated');
  const b = boundTo(interaction);
  if (b.tri === false || !b.bound) return refused('not a live interaction bound to this browser');
  const csrf = get('csrf');
  if (csrf !== b.bound.csrf) return refused('wrong CSRF token');
  if (c.endpoint === 'POST organization') {
    const chosen = get('organization_id');
    if (chosen === 'repeated' || chosen === undefined || !b.bound.orgs.includes(chosen)) return refused('not one of the user\'s organizations');
    return widen({ outcomes: new Set(['server-redirect']), target: null, uses: b.slot, why: 'bound, CSRF, member organization' }, b.tri);
  }
  const decision = get('decision');
  if (decision === 'repeated') return refused('decision repeated');
  const target = { client: b.bound.client, redirectUri: b.bound.redirectUri, state: b.bound.state, result: decision === 'allow' ? ('code' as const) : ('access_denied' as const) };
  return widen({ outcomes: new Set(['client-redirect']), target, uses: b.slot, why: `bound, CSRF, decision ${JSON.stringify(decision)}` }, b.tri);
}

async function checkPage(w: World, c: PageCase): Promise<void> {
  for (const slot of [...w.pool.stale]) await reseed(w, slot);
  const values = placeholders(w);
  const pairs = c.pairs.map(([k, v]): Pair => [k, resolve(v, values)]);
  const post = c.endpoint.startsWith('POST');
  const headers: Record<string, string> = {};
  if (c.cookie.length > 0) headers.cookie = renderCookie(c.cookie, values);
  let url = `${w.issuer}${PAGE_PATHS[c.endpoint]}`;
  let body: Uint8Array | null = null;
  if (post) {
    body = c.raw === null ? new Uint8Array(Buffer.from([...encodePairs(pairs, values), ...c.junk].join('&'))) : typeof c.raw === 'string' ? new Uint8Array(Buffer.from(resolve(c.raw, values))) : c.raw;
    if (c.contentType !== null) headers['content-type'] = c.contentType;
  } else {
    url += `?${[...encodePairs(pairs, values), ...c.junk].join('&')}`;
  }
  const r = await send(w, post ? 'POST' : 'GET', url, headers, body);

  const query = grouped([...new URL(url).searchParams]);
  const isForm = c.contentType === FORM || c.contentType === `${FORM}; charset=utf-8`;
  const form = post && isForm && body !== null && body.length <= FORM_LIMIT ? grouped([...new URLSearchParams(new TextDecoder().decode(body))]) : null;
  const e = expectPage(w, c, query, form, values);
  const context = `expected: ${[...e.outcomes].join('/')} because ${e.why}\n${tag(r)}`;

  let outcome: PageOutcome;
  if (r.status === 200) {
    assertPage(r, 'ok');
    outcome = 'page';
  } else if (r.status === 302 || r.status === 303) {
    assert.equal(r.status, post ? 303 : 302, `POST steps answer 303, GET steps 302 (RFC 9700 §4.12): ${context}`);
    assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/, `redirect without Cache-Control: no-store: ${context}`);
    const step = serverStep(w, r);
    if (step !== null) {
      assert.ok(SERVER_STEPS.has(step), `redirect to an unexpected path of the server: ${context}`);
      outcome = 'server-redirect';
    } else {
      assert.ok(e.target, `redirect away from the server without a bound interaction, CSRF token or resume link: ${context}`);
      const params = assertClientRedirect(w, r, e.target.client, e.target.redirectUri);
      assert.deepEqual(params.getAll('state'), [e.target.state], `state not echoed: ${context}`);
      if (e.target.result === 'code') assert.ok(params.get('code'), `expected a code: ${context}`);
      if (e.target.result === 'access_denied') assert.equal(params.get('error'), 'access_denied', `a declined consent must answer access_denied: ${context}`);
      outcome = 'client-redirect';
    }
  } else {
    assertPage(r, 'error');
    outcome = 'refused';
  }
  assert.ok(e.outcomes.has(outcome), `${outcome} is not an acceptable answer: ${context}`);
  // Only GET /oauth2/authorize binds a browser (the resume link no longer does); only a followed resume link signs it in.
  assert.equal(bindingLines(r.headers).length, 0, `a page step set a binding cookie: ${context}`);
  const sessions = r.headers.getSetCookie().filter((line) => /^\s*portico_session=/i.test(line));
  const resumed = c.endpoint === 'GET complete' && (outcome === 'server-redirect' || outcome === 'client-redirect');
  assert.equal(sessions.length, resumed ? 1 : 0, resumed ? `a followed resume link did not start a login session: ${context}` : `a login session set by a step other than a followed resume link: ${context}`);
  for (const line of sessions) assert.match(line, /^portico_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax/, `login session cookie: ${show(line)}: ${context}`);
  count(w, `${c.endpoint} ${outcome}`);
  // A step that changed the interaction (or spent a link) is replaced before the next run; /continue to a page changes nothing.
  if (e.uses !== null && (outcome === 'client-redirect' || (outcome === 'server-redirect' && c.endpoint !== 'GET continue'))) w.pool.stale.add(e.uses);
  // Issue #7: a followed resume link ends the browser's previous session; if that was session A, sign A in anew.
  const session = cookieValue(c.cookie, 'portico_session', values);
  if (resumed && (session === w.sessionA || session === 'ambiguous')) await reseed(w, 'session_a');
}

// ---------------------------------------------------------------------------
// Property 3: POST /oauth2/token with authorization_code and refresh_token
// ---------------------------------------------------------------------------

type Who = 'owner' | 'other' | 'm2m' | 'unknown';
type How = 'natural' | 'basic' | 'post' | 'none' | 'nothing' | 'basic-wrong' | 'post-wrong' | 'basic+post' | 'basic+same-id' | 'basic+other-id' | 'garbage';

interface Auth {
  readonly who: Who;
  readonly how: How;
}

/** A code minted for the case just before it is sent (codes are single-use and live a minute). */
interface Mint {
  readonly client: 'conf' | 'pub';
  readonly pkce: boolean;
  readonly redirect: string;
  readonly scope: string;
  readonly resource: boolean;
}

type CodeMutation = { readonly op: 'flip' | 'append' | 'truncate' | 'case' | 'prefix'; readonly at: number; readonly char: string };

interface CodeCase {
  readonly grant: 'code';
  readonly mint: Mint;
  readonly code: 'fresh' | 'used' | 'missing' | 'repeated' | { readonly mutate: CodeMutation } | { readonly literal: string };
  readonly verifier: 'right' | 'missing' | 'wrong' | 'short' | 'long' | 'max-wrong' | 'suffix' | 'repeated' | { readonly badChar: string; readonly at: number };
  readonly redirectUri: 'same' | 'missing' | 'repeated' | { readonly literal: string };
  readonly auth: Auth;
  readonly grantType: string;
  /** Parameters the code grant does not read (scope, resource, ...): never a reason for a 200 to be wrong. */
  readonly extra: readonly Pair[];
}

interface RefreshCase {
  readonly grant: 'refresh';
  readonly family: number;
  readonly token: 'live' | 'rotated' | 'other-family' | 'missing' | 'repeated' | { readonly mutate: CodeMutation } | { readonly literal: string };
  /** null: no scope parameter; placeholders @@all@@, @@first@@ stand for the family's scopes. */
  readonly scope: string | null;
  readonly resource: readonly string[];
  readonly auth: Auth;
  readonly grantType: string;
  readonly extra: readonly Pair[];
}

type TokenCase = CodeCase | RefreshCase;

const FAMILY_KINDS: readonly { client: 'conf' | 'pub'; scope: string; resource: boolean }[] = [
  { client: 'conf', scope: 'openid offline_access read', resource: false },
  { client: 'conf', scope: 'offline_access read write', resource: true },
  { client: 'pub', scope: 'openid profile offline_access', resource: false },
  { client: 'pub', scope: 'offline_access read', resource: true },
];

const clientOf = (w: World, name: 'conf' | 'pub' | 'm2m') => (name === 'conf' ? w.conf : name === 'pub' ? w.pub : w.m2m);

/** A fresh code for user A through /oauth2/authorize with the session (no page step: first-party, or already consented). */
async function mintCode(w: World, m: Mint): Promise<{ code: string; verifier: string | null }> {
  const client = clientOf(w, m.client);
  const pkce = m.pkce || m.client === 'pub' ? pkcePair() : null;
  const params: Record<string, string> = { client_id: client.clientId, redirect_uri: m.redirect, response_type: 'code', scope: m.scope, state: 'mint' };
  if (pkce) Object.assign(params, { code_challenge: pkce.challenge, code_challenge_method: 'S256' });
  if (m.resource) params.resource = RESOURCE;
  const res = await plainGet(authorizeUrl(w.issuer, params), `portico_session=${w.sessionA}`);
  const location = new URL(res.headers.get('location') ?? `${w.issuer}/none`);
  const code = location.searchParams.get('code');
  assert.ok(res.status === 302 && code, `minting a code (${JSON.stringify(m)}) went to ${res.status} ${location}`);
  return { code, verifier: pkce?.verifier ?? null };
}

const basicHeader = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A clean exchange by the code's own client (harness, not fuzzed). */
async function cleanExchange(w: World, m: Mint, code: string, verifier: string | null): Promise<Record<string, unknown>> {
  const client = clientOf(w, m.client);
  const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: m.redirect };
  if (verifier !== null) form.code_verifier = verifier;
  if (client.secret === null) form.client_id = client.clientId;
  const res = await tokenPost(w.server, form, client.secret === null ? null : { id: client.clientId, secret: client.secret });
  const text = await res.text();
  assert.equal(res.status, 200, `clean code exchange: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function newFamily(w: World, kind: number): Promise<Family> {
  const k = FAMILY_KINDS[kind]!;
  const m: Mint = { client: k.client, pkce: k.client === 'pub', redirect: clientOf(w, k.client).redirects[0]!, scope: k.scope, resource: k.resource };
  const { code, verifier } = await mintCode(w, m);
  const body = await cleanExchange(w, m, code, verifier);
  assert.equal(typeof body.refresh_token, 'string');
  return { client: clientOf(w, k.client), scopes: k.scope.split(' '), resource: k.resource ? RESOURCE : null, live: body.refresh_token as string, rotated: [], revoked: false };
}

/** What became of a family's live token, read from storage (the public client's tokens cannot be introspected). */
async function familyState(w: World, f: Family): Promise<'live' | 'rotated' | 'revoked' | 'unknown'> {
  const row = await w.server.storage.refreshTokens.find(w.server.keyring.digest('token', f.live).toString('hex'));
  return !row ? 'unknown' : row.revokedAt !== null ? 'revoked' : row.rotatedAt !== null ? 'rotated' : 'live';
}

/** A clean refresh by the family's client: gives the family a rotated token. */
async function cleanRefresh(w: World, f: Family): Promise<void> {
  const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: f.live };
  if (f.client.secret === null) form.client_id = f.client.clientId;
  const res = await tokenPost(w.server, form, f.client.secret === null ? null : { id: f.client.clientId, secret: f.client.secret });
  const text = await res.text();
  assert.equal(res.status, 200, `clean refresh: ${text}`);
  f.rotated.push(f.live);
  f.live = (JSON.parse(text) as { refresh_token: string }).refresh_token;
}

function mutate(value: string, m: CodeMutation): string {
  const i = Math.min(value.length - 1, Math.floor((m.at / 1000) * value.length));
  switch (m.op) {
    case 'flip':
      return value.slice(0, i) + (value[i] === m.char ? (m.char === 'A' ? 'B' : 'A') : m.char) + value.slice(i + 1);
    case 'append':
      return value + m.char;
    case 'prefix':
      return m.char + value;
    case 'truncate':
      return value.slice(0, i);
    case 'case':
      return value.slice(0, i) + (value[i] === value[i]?.toUpperCase() ? value[i]?.toLowerCase() : value[i]?.toUpperCase()) + value.slice(i + 1);
  }
}

interface RenderedAuth {
  readonly header: string | null;
  readonly pairs: Pair[];
  /** The client this authenticates as, or null when authentication must fail. */
  readonly as: Client | null;
  /** The request is malformed before authentication (two methods, mismatched client_id). */
  readonly malformed: boolean;
}

function renderAuth(w: World, owner: Client, a: Auth): RenderedAuth {
  const other = owner === w.conf ? w.pub : w.conf;
  const unknown: Client = { name: 'm2m', appId: '', clientId: 'client_01ARZ3NDEKTSV4RRFFQ69G5FAV', secret: 'unknown-secret', redirects: [], scopes: [], usesPkce: false };
  const c = a.who === 'owner' ? owner : a.who === 'other' ? other : a.who === 'm2m' ? w.m2m : unknown;
  const real = c !== unknown;
  const secret = c.secret ?? 'not-a-secret';
  const hasSecret = real && c.secret !== null;
  const how = a.how === 'natural' ? (c.secret === null && real ? 'none' : 'basic') : a.how;
  switch (how) {
    case 'basic':
      return { header: basicHeader(c.clientId, secret), pairs: [], as: hasSecret ? c : null, malformed: false };
    case 'post':
      return { header: null, pairs: [['client_id', c.clientId], ['client_secret', secret]], as: hasSecret ? c : null, malformed: false };
    case 'none':
      return { header: null, pairs: [['client_id', c.clientId]], as: real && c.secret === null ? c : null, malformed: false };
    case 'nothing':
      return { header: null, pairs: [], as: null, malformed: false };
    case 'basic-wrong':
      return { header: basicHeader(c.clientId, `${secret}x`), pairs: [], as: null, malformed: false };
    case 'post-wrong':
      return { header: null, pairs: [['client_id', c.clientId], ['client_secret', secret.slice(0, -1)]], as: null, malformed: false };
    case 'basic+post':
      return { header: basicHeader(c.clientId, secret), pairs: [['client_secret', secret]], as: null, malformed: true };
    case 'basic+same-id':
      return { header: basicHeader(c.clientId, secret), pairs: [['client_id', c.clientId]], as: hasSecret ? c : null, malformed: false };
    case 'basic+other-id':
      return { header: basicHeader(c.clientId, secret), pairs: [['client_id', `${c.clientId}x`]], as: null, malformed: true };
    case 'garbage':
      return { header: `Bearer ${secret}`, pairs: [['client_id', c.clientId]], as: null, malformed: true };
  }
}

const codeMutation: fc.Arbitrary<CodeMutation> = fc.record({
  op: fc.constantFrom('flip' as const, 'flip' as const, 'append' as const, 'truncate' as const, 'case' as const, 'prefix' as const),
  at: fc.integer({ min: 0, max: 999 }),
  char: fc.constantFrom('A', 'z', '0', '-', '_', '.', '=', ' ', '+', '/', '%', '\u0000', '\u00e9', '\n'),
});

const hostileToken = fc.oneof(
  fc.constantFrom('', ' ', 'null', 'undefined', '__proto__', '\u0000', 'a'.repeat(43), 'A'.repeat(200), 'A'.repeat(201), `${'x'.repeat(43)}\u0000`),
  repeated('a', 1000, 20_000),
  repeated('\u0000', 1, 300),
  fc.string({ maxLength: 60 }),
  unicode(40),
);

const auth: fc.Arbitrary<Auth> = fc.record({
  who: fc.oneof({ weight: 12, arbitrary: fc.constant<Who>('owner') }, { weight: 3, arbitrary: fc.constantFrom<Who>('other', 'm2m', 'unknown') }),
  how: fc.oneof(
    { weight: 12, arbitrary: fc.constant<How>('natural') },
    { weight: 4, arbitrary: fc.constantFrom<How>('basic', 'post', 'none', 'basic+same-id') },
    { weight: 3, arbitrary: fc.constantFrom<How>('nothing', 'basic-wrong', 'post-wrong', 'basic+post', 'basic+other-id', 'garbage') },
  ),
});

const grantTypeFor = (grant: string) =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(grant) }, { weight: 1, arbitrary: fc.constantFrom('', grant.toUpperCase(), `${grant} `, `${grant}\u0000`, grant === 'authorization_code' ? 'refresh_token' : 'authorization_code', 'password', 'implicit') });

const SCOPE_SPELLINGS = ['openid', 'read', 'write', 'admin', 'openid read write admin', ' ', '\u0000', 'OPENID', 'read\twrite', 'offline_access', ''];

const extraPairs: fc.Arbitrary<Pair[]> = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('scope'), fc.constantFrom(...SCOPE_SPELLINGS, 'openid profile email offline_access read write admin')),
    fc.tuple(fc.constant('resource'), fc.constantFrom(...SAME_RESOURCE, 'https://other.example.test', 'garbage', '')),
    fc.tuple(fc.constantFrom('state', 'nonce', 'client_assertion', 'client_assertion_type', 'audience', 'x'), fc.oneof(fc.string({ maxLength: 20 }), withNul)),
  ),
  { maxLength: 3 },
);

const mint: fc.Arbitrary<Mint> = fc.oneof(
  fc.record({
    client: fc.constant('conf' as const),
    pkce: fc.boolean(),
    redirect: fc.oneof(fc.constant(CONF_REDIRECTS[0] as string), port.map((p) => `http://127.0.0.1:${p}/cb`)),
    scope: fc.constantFrom('openid', 'openid offline_access', 'read write', 'openid profile email offline_access read'),
    resource: fc.boolean(),
  }),
  fc.record({
    client: fc.constant('pub' as const),
    pkce: fc.constant(true),
    redirect: fc.constantFrom<string>(...PUB_REDIRECTS),
    scope: fc.constantFrom('openid', 'openid offline_access', 'read', 'openid profile email offline_access read'),
    resource: fc.boolean(),
  }),
);

const codeCase: fc.Arbitrary<CodeCase> = fc.record({
  grant: fc.constant('code' as const),
  mint,
  code: fc.oneof(
    { weight: 14, arbitrary: fc.constant<CodeCase['code']>('fresh') },
    { weight: 2, arbitrary: fc.constantFrom<CodeCase['code']>('used', 'missing', 'repeated') },
    { weight: 4, arbitrary: codeMutation.map((m) => ({ mutate: m })) },
    { weight: 2, arbitrary: hostileToken.map((t) => ({ literal: t })) },
  ),
  verifier: fc.oneof(
    { weight: 14, arbitrary: fc.constant<CodeCase['verifier']>('right') },
    { weight: 4, arbitrary: fc.constantFrom<CodeCase['verifier']>('missing', 'wrong', 'short', 'long', 'max-wrong', 'suffix', 'repeated') },
    { weight: 2, arbitrary: fc.record({ badChar: fc.constantFrom('+', '/', '=', ' ', '%', '\u0000', '\u00e9', '!', '*'), at: fc.integer({ min: 0, max: 42 }) }) },
  ),
  redirectUri: fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom<CodeCase['redirectUri']>('same', 'missing') },
    { weight: 1, arbitrary: fc.constant<CodeCase['redirectUri']>('repeated') },
    { weight: 3, arbitrary: fc.oneof(fc.constantFrom(...ALL_REDIRECTS, ...CONF_REDIRECTS.flatMap(nearMisses)), port.map((p) => `http://127.0.0.1:${p}/cb`)).map((literal) => ({ literal })) },
  ),
  auth,
  grantType: grantTypeFor('authorization_code'),
  extra: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extraPairs }),
});

const refreshCase: fc.Arbitrary<RefreshCase> = fc.record({
  grant: fc.constant('refresh' as const),
  family: fc.integer({ min: 0, max: FAMILY_KINDS.length - 1 }),
  token: fc.oneof(
    { weight: 14, arbitrary: fc.constant<RefreshCase['token']>('live') },
    { weight: 3, arbitrary: fc.constantFrom<RefreshCase['token']>('rotated', 'other-family', 'missing', 'repeated') },
    { weight: 4, arbitrary: codeMutation.map((m) => ({ mutate: m })) },
    { weight: 2, arbitrary: hostileToken.map((t) => ({ literal: t })) },
  ),
  scope: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: fc.constantFrom(ph('all'), ph('first'), `${ph('first')} ${ph('first')}`, ` ${ph('first')} `) }, { weight: 3, arbitrary: fc.oneof(fc.constantFrom(...SCOPE_SPELLINGS, `${ph('all')} admin`), repeated('read ', 100, 1000)) }),
  resource: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(fc.constantFrom(...SAME_RESOURCE, `${RESOURCE}/`, 'https://other.example.test', 'garbage', 'urn:x', `${RESOURCE}#f`, ''), { minLength: 1, maxLength: 2 }) }),
  auth,
  grantType: grantTypeFor('refresh_token'),
  extra: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extraPairs.map((pairs) => pairs.filter(([k]) => k !== 'scope' && k !== 'resource')) }),
});

const tokenCase: fc.Arbitrary<TokenCase> = fc.oneof(codeCase, refreshCase);

interface TokenExpectation {
  /** The request is valid: exactly then a 200. */
  readonly ok: boolean;
  readonly scopes: readonly string[];
  /** Only for the refresh grant: the family the request rotates (ok) or revokes as reuse (not ok). */
  readonly family: Family | null;
  readonly revokes: boolean;
  readonly why: string;
}

/** Renders a token case into a form + Authorization header and says whether it is valid (RFC 6749 §4.1.3, §6, RFC 7636 §4.6, RFC 8707). */
async function prepareToken(w: World, c: TokenCase): Promise<{ header: string | null; pairs: Pair[]; expect: TokenExpectation }> {
  const reasons: string[] = [];
  const expected = c.grant === 'code' ? 'authorization_code' : 'refresh_token';
  if (c.grantType !== expected) reasons.push(`grant_type ${JSON.stringify(c.grantType)}`);

  if (c.grant === 'code') {
    const owner = clientOf(w, c.mint.client);
    const a = renderAuth(w, owner, c.auth);
    const minted = await mintCode(w, c.mint);
    if (c.code === 'used') await cleanExchange(w, c.mint, minted.code, minted.verifier);
    const code = c.code === 'fresh' || c.code === 'used' || c.code === 'repeated' ? minted.code : c.code === 'missing' ? null : 'mutate' in c.code ? mutate(minted.code, c.code.mutate) : c.code.literal;
    const right = minted.verifier ?? pkcePair().verifier;
    const v = c.verifier;
    const verifier =
      v === 'missing' ? null : v === 'right' || v === 'repeated' ? right : v === 'wrong' ? pkcePair().verifier : v === 'short' ? right.slice(0, 42) : v === 'long' ? right + 'a'.repeat(86) : v === 'max-wrong' ? right + 'a'.repeat(85) : v === 'suffix' ? `${right}~` : right.slice(0, v.at) + v.badChar + right.slice(v.at + 1);
    const redirect = c.redirectUri === 'missing' ? null : c.redirectUri === 'same' || c.redirectUri === 'repeated' ? c.mint.redirect : c.redirectUri.literal;
    const pairs: Pair[] = [['grant_type', c.grantType], ...a.pairs];
    if (code !== null) pairs.push(['code', code]);
    if (c.code === 'repeated') pairs.push(['code', code ?? '']);
    if (verifier !== null) pairs.push(['code_verifier', verifier]);
    if (v === 'repeated') pairs.push(['code_verifier', right]);
    if (redirect !== null) pairs.push(['redirect_uri', redirect]);
    if (c.redirectUri === 'repeated') pairs.push(['redirect_uri', c.mint.redirect]);
    pairs.push(...c.extra);

    if (a.malformed || a.as === null) reasons.push('client authentication fails');
    else if (a.as !== owner) reasons.push(`authenticated as ${a.as.name}, the code is ${owner.name}'s`);
    if (c.code === 'used') reasons.push('the code was already exchanged');
    if (c.code === 'repeated') reasons.push('code repeated');
    if (code !== minted.code) reasons.push('not the code that was issued');
    if (redirect !== null && redirect !== c.mint.redirect) reasons.push('redirect_uri differs from the authorization request');
    // RFC 6749 §4.1.3: required at the token endpoint because every minted code's authorization request sent one.
    if (redirect === null) reasons.push('redirect_uri missing although the authorization request sent one');
    if (c.redirectUri === 'repeated') reasons.push('redirect_uri repeated');
    if (minted.verifier === null ? verifier !== null : verifier !== minted.verifier) reasons.push(minted.verifier === null ? 'a code_verifier for a code without challenge' : 'wrong code_verifier');
    if (v === 'repeated') reasons.push('code_verifier repeated');
    return { header: a.header, pairs, expect: { ok: reasons.length === 0, scopes: [...new Set(c.mint.scope.split(' '))], family: null, revokes: false, why: reasons.join('; ') || 'valid' } };
  }

  const f = w.families[c.family]!;
  if (c.token === 'rotated' && f.rotated.length === 0) await cleanRefresh(w, f);
  const a = renderAuth(w, f.client, c.auth);
  const other = w.families[(c.family + 1) % w.families.length]!;
  const token = c.token === 'live' || c.token === 'repeated' ? f.live : c.token === 'rotated' ? f.rotated.at(-1)! : c.token === 'other-family' ? other.live : c.token === 'missing' ? null : 'mutate' in c.token ? mutate(f.live, c.token.mutate) : c.token.literal;
  const scope = c.scope === null ? null : c.scope.replaceAll(ph('all'), f.scopes.join(' ')).replaceAll(ph('first'), f.scopes[1] ?? f.scopes[0]!);
  const pairs: Pair[] = [['grant_type', c.grantType], ...a.pairs];
  if (token !== null) pairs.push(['refresh_token', token]);
  if (c.token === 'repeated') pairs.push(['refresh_token', token ?? '']);
  if (scope !== null) pairs.push(['scope', scope]);
  for (const r of c.resource) pairs.push(['resource', r]);
  pairs.push(...c.extra);

  const family = token === null ? null : (w.families.find((x) => x.live === token || x.rotated.includes(token)) ?? null);
  const requested = scope === null || scope === '' ? null : [...new Set(scope.split(' ').filter((s) => s !== ''))];
  const scopesOk = requested === null || (requested.length > 0 && family !== null && requested.every((s) => family.scopes.includes(s)));
  const resources = c.resource.filter((r) => r !== '');
  // RFC 8707 §2: a refresh request may name the resource of the grant, nothing else (and nothing when the grant had none).
  const resourceOk = resources.length === 0 || (resources.length === 1 && family?.resource === RESOURCE && SAME_RESOURCE.includes(resources[0]!));
  if (a.malformed || a.as === null) reasons.push('client authentication fails');
  if (c.token === 'repeated') reasons.push('refresh_token repeated');
  if (family === null) reasons.push('not a refresh token that was issued');
  else if (a.as !== null && a.as !== family.client) reasons.push(`authenticated as ${a.as.name}, the token is ${family.client.name}'s`);
  if (!scopesOk) reasons.push('scope not a non-empty subset of the grant');
  if (!resourceOk) reasons.push('resource other than the grant\'s');
  // Everything but the token itself is right: the server acts on the token (rotates it, or treats a reuse as theft).
  const acts = reasons.length === 0;
  const reused = family !== null && (family.revoked || family.live !== token);
  if (acts && reused) reasons.push(family.revoked ? 'the family was revoked' : 'a rotated token (reuse)');
  const expect: TokenExpectation = {
    ok: reasons.length === 0,
    scopes: requested ?? family?.scopes ?? [],
    family: acts ? family : null,
    revokes: acts && reused,
    why: reasons.join('; ') || 'valid',
  };
  return { header: a.header, pairs, expect };
}

async function checkToken(w: World, c: TokenCase): Promise<void> {
  // A family revoked (as reuse) by an earlier run, or left in an unknown state by a failed one, is replaced.
  for (const [i, f] of w.families.entries()) {
    if (f.revoked || (await familyState(w, f)) !== 'live') {
      w.families[i] = await newFamily(w, i);
      w.replaced++;
    }
  }
  const { header, pairs, expect } = await prepareToken(w, c);
  const headers: Record<string, string> = { 'content-type': FORM };
  if (header !== null) headers.authorization = header;
  const body = new Uint8Array(Buffer.from(encodePairs(pairs, {}).join('&')));
  const r = await send(w, 'POST', `${w.issuer}/oauth2/token`, headers, body);
  const context = `expected: ${expect.ok ? '200' : 'an error'} because ${expect.why}\n${tag(r)}`;
  assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/, `token response without Cache-Control: no-store: ${context}`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(r.text) as Record<string, unknown>;
  } catch {
    assert.fail(`token response is not JSON: ${context}`);
  }
  if (expect.family && expect.revokes) expect.family.revoked = true;
  if (r.status === 200 && expect.family && expect.ok) {
    expect.family.rotated.push(expect.family.live);
    expect.family.live = String(json.refresh_token);
  }
  if (r.status === 200) {
    assert.ok(expect.ok, `a 200 for an invalid token request: ${context}`);
    assert.equal(typeof json.access_token, 'string', context);
    assert.equal(json.token_type, 'Bearer', context);
    assert.ok(typeof json.expires_in === 'number' && json.expires_in > 0, context);
    assert.deepEqual(String(json.scope).split(' ').sort(), [...expect.scopes].sort(), `scope of the tokens is not the granted one: ${context}`);
    const offline = c.grant === 'refresh' || expect.scopes.includes('offline_access');
    assert.equal(typeof json.refresh_token === 'string', offline, `refresh_token ${offline ? 'missing' : 'without offline_access'}: ${context}`);
    assert.equal(typeof json.id_token === 'string', expect.scopes.includes('openid'), `id_token presence does not follow the openid scope: ${context}`);
    count(w, `${c.grant} 200`);
  } else {
    assert.ok(!expect.ok, `a valid token request was refused: ${context}`);
    assert.ok(r.status === 400 || r.status === 401, `OAuth errors are 400 or 401 (RFC 6749 §5.2): ${context}`);
    assert.equal(typeof json.error, 'string', `OAuth error without "error": ${context}`);
    assert.equal(typeof json.error_description, 'string', `OAuth error without "error_description": ${context}`);
    assertErrorDescription(json.error_description as string, context);
    if (r.status === 401 && header?.startsWith('Basic ')) assert.match(r.headers.get('www-authenticate') ?? '', /\bBasic\b/, `401 to Basic credentials without WWW-Authenticate: Basic: ${context}`);
    count(w, `${c.grant} ${String(json.error)}`);
  }
  // Nothing but the request the oracle says acts on a family may have rotated or revoked it.
  for (const [i, f] of w.families.entries()) {
    if (f.revoked) continue;
    const state = await familyState(w, f);
    if (state !== 'live') {
      f.revoked = true;
      assert.fail(`refresh family ${i} (${f.client.name}, ${f.scopes.join(' ')}${f.resource === null ? '' : `, ${f.resource}`}) is now ${state} after a request the oracle says leaves it alone: ${context}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Fixed examples each property runs first
// ---------------------------------------------------------------------------

const confBase: Pair[] = [['client_id', ph('conf')], ['redirect_uri', CONF_REDIRECTS[0]], ['response_type', 'code'], ['scope', 'openid'], ['state', 'xyz']];
const pubBase: Pair[] = [['client_id', ph('pub')], ['redirect_uri', PUB_REDIRECTS[0]], ['response_type', 'code'], ['scope', 'openid'], ['state', 'xyz'], ['code_challenge', CHALLENGE], ['code_challenge_method', 'S256']];
const signedIn = [cookie('portico_session', ph('session_a'))];
const set = (name: string, value: string): Edit => ({ op: 'set', name, value });
const add = (name: string, value: string): Edit => ({ op: 'add', name, value });

const AUTHORIZE_EXAMPLES: AuthorizeCase[] = [
  { base: confBase, edits: [set('redirect_uri', 'https://app.example.test@evil.test/cb')], junk: [], cookie: [] },
  { base: confBase, edits: [set('redirect_uri', 'http://127.0.0.1:53123/cb')], junk: [], cookie: signedIn },
  { base: confBase, edits: [set('redirect_uri', 'http://localhost/cb')], junk: [], cookie: [] },
  { base: pubBase, edits: [set('redirect_uri', 'javascript:alert(1)')], junk: [], cookie: [] },
  { base: pubBase, edits: [set('client_id', ph('m2m'))], junk: [], cookie: [] },
  { base: confBase, edits: [set('client_id', `${ph('conf')}\u0000`)], junk: [], cookie: [] },
  { base: confBase, edits: [add('state', 'abc')], junk: [], cookie: [] },
  { base: confBase, edits: [set('response_type', 'token')], junk: [], cookie: signedIn },
  { base: pubBase, edits: [{ op: 'drop', name: 'code_challenge', value: '' }], junk: [], cookie: signedIn },
  { base: confBase, edits: [set('prompt', 'none')], junk: [], cookie: [] },
  { base: confBase, edits: [set('nonce', 'a\u0000b')], junk: [], cookie: signedIn },
  { base: pubBase, edits: [set('state', 's'.repeat(2049))], junk: [], cookie: [] },
  { base: confBase, edits: [set('resource', RESOURCE), add('resource', RESOURCE)], junk: [], cookie: signedIn },
  { base: confBase, edits: [set('resource', `${RESOURCE}\u0000`)], junk: [], cookie: [] },
  { base: confBase, edits: [set('resource', ` ${RESOURCE}`)], junk: [], cookie: signedIn },
  { base: confBase, edits: [set('resource', '')], junk: [], cookie: signedIn },
  { base: confBase, edits: [set('state', ''), add('state', 'xyz')], junk: [], cookie: signedIn },
  { base: pubBase, edits: [add('code_challenge', '')], junk: [], cookie: [] },
  { base: confBase, edits: [set('redirect_uri', 'http://127.0.0.1:80/cb')], junk: [], cookie: signedIn },
  { base: confBase, edits: [set('redirect_uri', 'http://127.0.0.1:0/cb')], junk: [], cookie: [] },
  { base: confBase, edits: [set('redirect_uri', 'http://127.0.0.1:65535/cb')], junk: [], cookie: [] },
  { base: confBase, edits: [set('redirect_uri', 'http://127.0.0.1:65536/cb')], junk: [], cookie: signedIn },
  { base: confBase, edits: [set('nonce', 'a\tb')], junk: [], cookie: [] },
  { base: confBase, edits: [set('max_age', '0'), add('max_age', '1')], junk: [], cookie: [] },
  { base: pubBase, edits: [set('prompt', 'consent')], junk: [], cookie: [cookie('portico_session', ph('session_a')), cookie(ph('consent_cookie'), ph('consent_binding'))] },
];

const page = (endpoint: PageEndpoint, pairs: readonly Pair[], cookies: readonly CookiePart[], contentType: string | null = endpoint.startsWith('POST') ? FORM : null): PageCase => ({ endpoint, pairs, junk: [], cookie: cookies, contentType, raw: null });

const PAGE_EXAMPLES: PageCase[] = [
  page('POST consent', PAGE_BASE['POST consent'].pairs, PAGE_BASE['POST consent'].cookie),
  // Another interaction's binding: under its own name, under this one's name; the old fixed cookie name.
  page('POST consent', PAGE_BASE['POST consent'].pairs, [bound('org')]),
  page('POST consent', PAGE_BASE['POST consent'].pairs, [cookie(ph('consent_cookie'), ph('org_binding'))]),
  page('POST consent', PAGE_BASE['POST consent'].pairs, [cookie('portico_interaction', ph('consent_binding'))]),
  page('POST consent', [...PAGE_BASE['POST consent'].pairs, ['interaction', ph('consent')]], PAGE_BASE['POST consent'].cookie),
  page('POST consent', [...PAGE_BASE['POST consent'].pairs, ['csrf', ph('consent_csrf')]], PAGE_BASE['POST consent'].cookie),
  page('POST organization', [['interaction', ph('org')], ['csrf', ph('consent_csrf')], ['organization_id', ph('member1')]], PAGE_BASE['POST organization'].cookie),
  page('POST organization', [['interaction', ph('org')], ['csrf', ph('org_csrf')], ['organization_id', ph('member1')], ['organization_id', ph('member2')]], PAGE_BASE['POST organization'].cookie),
  // Resume links: spent (even in its own browser); live, but in another browser (no cookie, another interaction's, the old name); live in its own browser.
  page('GET complete', [['state', ph('spent')]], [bound('spent')]),
  page('GET complete', [['state', ph('resume')]], []),
  page('GET complete', [['state', ph('resume')]], [bound('consent'), cookie('portico_session', ph('session_a'))]),
  page('GET complete', [['state', ph('resume')]], [cookie(ph('resume_cookie'), ph('spent_binding'))]),
  page('GET complete', [['state', ph('resume')]], [cookie('portico_interaction', ph('resume_binding'))]),
  page('GET complete', [['state', ph('resume')]], [bound('resume')]),
  page('GET continue', [['interaction', ph('org')]], [bound('consent')]),
  page('GET continue', [['interaction', ph('org')]], [cookie(ph('org_cookie'), ph('consent_binding'))]),
  page('GET organization', [['interaction', ph('org')]], [cookie(` ${ph('org_cookie')} `, ` ${ph('org_binding')} `)]),
  page('GET consent', [['interaction', ph('finished')]], [bound('finished')]),
  page('POST login', [['external_auth_id', ph('pending')], ['email', 'a@example.test'], ['email', 'b@example.test']], []),
  page('POST login', PAGE_BASE['POST login'].pairs, [], 'text/plain'),
  { endpoint: 'POST login', pairs: [], junk: [], cookie: [], contentType: FORM, raw: `external_auth_id=${ph('pending')}&pad=${'a'.repeat(FORM_LIMIT)}` },
];

const confMint: Mint = { client: 'conf', pkce: true, redirect: CONF_REDIRECTS[0], scope: 'openid offline_access', resource: false };
const pubMint: Mint = { client: 'pub', pkce: true, redirect: PUB_REDIRECTS[1], scope: 'openid', resource: false };
const natural: Auth = { who: 'owner', how: 'natural' };
const codeExample = (over: Partial<CodeCase>): CodeCase => ({ grant: 'code', mint: confMint, code: 'fresh', verifier: 'right', redirectUri: 'same', auth: natural, grantType: 'authorization_code', extra: [], ...over });
const refreshExample = (over: Partial<RefreshCase>): RefreshCase => ({ grant: 'refresh', family: 0, token: 'live', scope: null, resource: [], auth: natural, grantType: 'refresh_token', extra: [], ...over });

const TOKEN_EXAMPLES: TokenCase[] = [
  codeExample({}),
  codeExample({ mint: pubMint }),
  codeExample({ verifier: 'wrong' }),
  codeExample({ verifier: 'short' }),
  codeExample({ verifier: 'long' }),
  codeExample({ code: { mutate: { op: 'flip', at: 500, char: 'A' } } }),
  codeExample({ code: 'used' }),
  codeExample({ mint: pubMint, auth: { who: 'other', how: 'natural' } }),
  codeExample({ mint: { ...confMint, pkce: false }, verifier: 'right' }),
  codeExample({ mint: { ...confMint, redirect: 'http://127.0.0.1:5000/cb' }, redirectUri: { literal: 'http://127.0.0.1:5001/cb' } }),
  refreshExample({}),
  refreshExample({ family: 2 }),
  refreshExample({ token: 'rotated' }),
  refreshExample({ scope: `${ph('all')} admin` }),
  refreshExample({ resource: ['garbage'] }),
  refreshExample({ family: 1, resource: ['HTTPS://API.EXAMPLE.TEST'] }),
  refreshExample({ auth: { who: 'other', how: 'natural' } }),
  refreshExample({ token: { literal: `${'x'.repeat(43)}\u0000` } }),
];

// ---------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------

function tally(statuses: Map<number, number>): string {
  return [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
}

/** How long closing a server may take before the suite reports it (and does not wait for it any longer). */
const CLOSE_TIMEOUT_MS = 15_000;
/** Generous bounds, so that a run that stops making progress fails instead of hanging the process. */
const SETUP_TIMEOUT_MS = 120_000;
const PROPERTY_TIMEOUT_MS = 120_000 + RUNS * 1_000;

for (const dialect of DIALECTS) {
  describe(`Authorization endpoint and code/refresh grant fuzzing (${dialect})`, dialectSuite(dialect), () => {
    let w: World;
    /** The running server until it is closed: set before seeding, so that a failed seeding still closes it. */
    let server: TestServer | undefined;
    const close = async () => {
      const s = server;
      server = undefined;
      if (s) await withDeadline(s.close(), CLOSE_TIMEOUT_MS, `closing the ${dialect} server`);
    };

    before(
      async () => {
        server = await startServer(dialect, { env: ENV });
        try {
          w = await seedWorld(server);
          for (let i = 0; i < FAMILY_KINDS.length; i++) w.families.push(await newFamily(w, i));
        } catch (err) {
          // Close what was started (the listening server, its database, the key refresh timer), else the process never exits.
          await close().catch((closeErr: unknown) => process.stderr.write(`# ${String(closeErr)}\n`));
          throw err;
        }
      },
      { timeout: SETUP_TIMEOUT_MS },
    );
    after(close, { timeout: CLOSE_TIMEOUT_MS + 5_000 });

    const property = <T>(name: string, arb: fc.Arbitrary<T>, examples: readonly T[], run: (value: T) => Promise<void>, extra: () => string) =>
      it(name, { timeout: PROPERTY_TIMEOUT_MS }, async (t) => {
        w.statuses = new Map();
        w.outcomes = new Map();
        await fc.assert(fc.asyncProperty(arb, run), { numRuns: RUNS, examples: examples.map((e) => [e] as [T]) });
        t.diagnostic(`statuses: ${tally(w.statuses)}${extra()}`);
        t.diagnostic(`answers: ${[...w.outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}×${n}`).join(', ')}`);
      });

    property('GET /oauth2/authorize: no 5xx, error pages for unknown clients and redirect URIs, redirects only to the registered URI, every authorization bound to its browser', authorizeCase, AUTHORIZE_EXAMPLES, (c) => checkAuthorize(w, c), () => '');

    property('consent, organization, continue, complete and dev login steps: no 5xx, no redirect away without the binding cookie and CSRF token or a live resume link in its own browser', pageCase, PAGE_EXAMPLES, (c) => checkPage(w, c), () => `; page slots replaced: ${w.pool.reseeds}`);

    property('authorization_code and refresh_token grants: no 5xx, a 200 exactly for valid requests', tokenCase, TOKEN_EXAMPLES, (c) => checkToken(w, c), () => `; refresh families replaced after reuse: ${w.replaced}`);

    it('a resume link opened in another browser (without its binding cookie) is a 400 page, never a redirect; its own browser still completes', { timeout: SETUP_TIMEOUT_MS }, async () => {
      w.statuses = new Map();
      const link = await freshResume(w);
      const url = resumeUrl(w, link.token);
      const other = w.pool.consent;
      const browsers: [string, string][] = [
        ['a browser without cookies', ''],
        ['another signed-in browser with a binding of its own', `portico_session=${w.sessionB}; ${other.cookieName}=${other.binding}`],
        ['a browser with a forged cookie of the right name', `${link.cookieName}=${other.binding}`],
        ['a browser with the binding under the old fixed name', `portico_interaction=${link.binding}`],
      ];
      for (const [browser, cookieHeader] of browsers) {
        const r = await send(w, 'GET', url, cookieHeader === '' ? {} : { cookie: cookieHeader }, null);
        const context = `${browser}: ${tag(r)}`;
        assert.equal(r.status, 400, `a resume link in another browser: ${context}`);
        assertPage(r, 'error');
        assert.deepEqual(r.headers.getSetCookie(), [], `a refused resume link set a cookie (a session or a binding): ${context}`);
      }
      // The browser that started the authorization: the refusals did not spend the link; it signs in, and is not bound anew.
      const r = await send(w, 'GET', url, { cookie: `${link.cookieName}=${link.binding}` }, null);
      assert.equal(r.status, 302, `the resume link in its own browser: ${tag(r)}`);
      assert.equal(bindingLines(r.headers).length, 0, `the resume link set a binding cookie: ${tag(r)}`);
      assert.equal(r.headers.getSetCookie().filter((line) => line.startsWith('portico_session=')).length, 1, `the resume link did not sign the browser in: ${tag(r)}`);
      const step = serverStep(w, r);
      if (step !== null) assert.ok(SERVER_STEPS.has(step), `redirect to an unexpected path of the server: ${tag(r)}`);
      else {
        const params = assertClientRedirect(w, r, link.client, link.redirectUri);
        assert.ok(params.get('code'), `expected a code: ${tag(r)}`);
        assert.deepEqual(params.getAll('state'), [link.state], `state not echoed: ${tag(r)}`);
      }
      // Spent now, in every browser.
      const again = await send(w, 'GET', url, { cookie: `${link.cookieName}=${link.binding}` }, null);
      assert.equal(again.status, 400, `a spent resume link: ${tag(again)}`);
      assertPage(again, 'error');
    });

    // RFC 6749 §3.1 holds for every parameter name, `__proto__` too: it must not vanish in a plain-object copy of the query.
    // (The property generates this case as well; this runs it every time.)
    it('a repeated __proto__ parameter at /oauth2/authorize is an invalid_request like any repeated parameter', { timeout: SETUP_TIMEOUT_MS }, async () => {
      w.statuses = new Map();
      w.outcomes = new Map();
      for (const name of ['max_age', '__proto__']) await checkAuthorize(w, { base: confBase, edits: [set(name, 'x'), add(name, 'y')], junk: [], cookie: signedIn });
    });

    it('the server is still healthy and a clean authorization still works', { timeout: SETUP_TIMEOUT_MS }, async () => {
      for (const path of ['/health', '/health/ready']) {
        const res = await harness(`${w.issuer}${path}`);
        assert.equal(res.status, 200, path);
        assert.deepEqual(await res.json(), { status: 'ok' });
      }
      const m: Mint = { client: 'pub', pkce: true, redirect: PUB_REDIRECTS[0], scope: 'openid offline_access', resource: false };
      const { code, verifier } = await mintCode(w, m);
      const body = await cleanExchange(w, m, code, verifier);
      const family: Family = { client: w.pub, scopes: ['openid', 'offline_access'], resource: null, live: body.refresh_token as string, rotated: [], revoked: false };
      await cleanRefresh(w, family);
      const userinfo = await harness(`${w.issuer}/oauth2/userinfo`, { headers: { authorization: `Bearer ${String(body.access_token)}` } });
      assert.equal(userinfo.status, 200, await userinfo.text());
    });
  });
}
