// Issue #3: property-based fuzzing of the token, introspection and revocation endpoints: no 5xx, no hang.
//
// Every property sends real HTTP requests (plain fetch, a 5 s AbortSignal so a
// hang fails the run) to a real Portico on a real port, for every dialect.
// Generated requests are plain data: `@@name@@` placeholders stand for the
// seeded client IDs, secrets and tokens, and token mutations are recipes
// applied to the live token just before sending, so counterexamples shrink
// and print readably.
//
// Two live access tokens of the M2M client are kept: the sentinel, sent to the
// token and introspection endpoints, and the victim, the only one the
// revocation endpoint ever sees. Whenever a request may have revoked either
// (a 200 from /oauth2/revoke for that exact token), it is replaced by a freshly
// minted one, so "the current tokens still introspect active" at the end is a
// real check: nothing but their own revocation may have killed them.
//
// The main server runs with PORTICO_AUTH_FAILURE_LIMIT=999999 so that
// throttling does not turn everything into 429; one property per dialect runs
// on a second server with the default limit, where 429s must be well-formed.
import assert from 'node:assert/strict';
import { createHmac, createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

/** Runs per property; 8 properties per dialect. PORTICO_FUZZ_RUNS overrides it. */
const RUNS = Number(process.env.PORTICO_FUZZ_RUNS ?? 300);
const REQUEST_TIMEOUT_MS = 5_000;
/** Stays well under Node's 16 KiB header limit, which would answer 431 before Portico sees anything. */
const MAX_HEADER_PART = 6_000;
/** The form parser's bodyLimit (src/oauth/form.ts). */
const FORM_LIMIT = 64 * 1024;
/**
 * Throttling off in all but name. '1000000' would be the round number, but the
 * config accepts at most six digits (src/config.ts rejects it as "must be a
 * positive integer"), so this is the largest accepted value.
 */
const NO_THROTTLE = { PORTICO_AUTH_FAILURE_LIMIT: '999999' };

// ---------------------------------------------------------------------------
// Endpoints and requests as data
// ---------------------------------------------------------------------------

const TOKEN = '/oauth2/token';
const INTROSPECTION = '/oauth2/introspection';
const REVOKE = '/oauth2/revoke';
const POSTS = [TOKEN, INTROSPECTION, REVOKE] as const;
const GETS = ['/oauth2/jwks', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;
type PostPath = (typeof POSTS)[number];
type GetPath = (typeof GETS)[number];
type Endpoint = PostPath | GetPath;

const isPost = (e: Endpoint): e is PostPath => (POSTS as readonly string[]).includes(e);

type Part = 0 | 1 | 2;

/** A recipe that turns the live token into a forged, damaged or non-canonical one. */
type Mutation =
  /** Replace one character of a part (`at` per mille of its length; -1 = the last character). */
  | { readonly op: 'flip'; readonly part: Part; readonly at: number; readonly char: string }
  /** Rewrite the unused low bits of a part's last base64url character (same bytes, different text). */
  | { readonly op: 'trailing-bits'; readonly part: Part; readonly bits: number }
  /** A new header with another `alg` and the same, no or a random kid; signature kept, dropped or an HMAC keyed with the public key. */
  | { readonly op: 'alg'; readonly alg: string; readonly kid: 'same' | 'none' | 'random'; readonly sig: 'keep' | 'empty' | 'omit' | 'hmac-pem' | 'hmac-jwk' | 'hmac-n' }
  /** The same header with another kid (any JSON value). */
  | { readonly op: 'kid'; readonly kid: unknown }
  /** The same header values, re-serialised (whitespace, key order). */
  | { readonly op: 'reheader'; readonly indent: number; readonly reverse: boolean }
  /** Claims changed or dropped, signature kept. */
  | { readonly op: 'claims'; readonly patch: Readonly<Record<string, unknown>>; readonly drop: readonly string[] }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'dots'; readonly where: 'start' | 'end' | 'inside' | 'double'; readonly n: number; readonly at: number }
  | { readonly op: 'huge'; readonly part: Part | 'suffix'; readonly unit: string; readonly n: number }
  /** One part taken from the other live token (the header is the same in both). */
  | { readonly op: 'splice'; readonly part: 1 | 2 }
  | { readonly op: 'wrap'; readonly before: string; readonly after: string };

/** A form value: encoded text (placeholders allowed), or the endpoint's live token after mutations. */
type Value = { readonly text: string } | { readonly token: readonly Mutation[]; readonly enc: 'component' | 'every' | 'raw' };

interface Pair {
  /** Encoded name. */
  readonly key: string;
  readonly eq: '=' | '' | '==';
  readonly value: Value;
}

type Body = { readonly form: readonly Pair[]; readonly sep: string } | { readonly raw: string | Uint8Array };

/** The Authorization header: none, Basic built from (placeholder) parts, Basic over arbitrary text, or a verbatim value. */
type Auth =
  | null
  | { readonly basic: { readonly user: string; readonly pass: string; readonly encode: boolean; readonly scheme: string } }
  | { readonly b64: string; readonly scheme: string }
  | { readonly header: string };

interface Case {
  readonly endpoint: Endpoint;
  readonly method: string;
  /** The endpoint's path, or a near miss of it. */
  readonly path: string;
  /** '' or '?...', encoded. */
  readonly query: string;
  readonly auth: Auth;
  readonly contentType: string | null;
  readonly body: Body | null;
  readonly extra: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------
// The seeded world
// ---------------------------------------------------------------------------

interface Client {
  readonly appId: string;
  readonly clientId: string;
  readonly secret: string;
}

interface World {
  readonly m2m: Client;
  readonly oauth: Client;
  /** Never sent to /oauth2/revoke by construction; replaced only if a revocation of it succeeded anyway. */
  sentinel: string;
  /** The token /oauth2/revoke sees; replaced after every 200 that may have revoked it. */
  victim: string;
  rotations: number;
  readonly kid: string;
  readonly publicPem: string;
  readonly publicJwk: string;
  readonly modulus: Buffer;
}

const PLACEHOLDERS = ['m2m', 'm2m_secret', 'oauth', 'oauth_secret', 'key', 'token', 'kid'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const ph = (name: Placeholder) => `@@${name}@@`;

interface Ctx {
  server: TestServer;
  world: World;
  statuses: Map<number, number>;
  /** False on the throttled server, where minting may itself be throttled. */
  canMint: boolean;
}

function resolve(text: string, ctx: Ctx, token: string): string {
  const values: Record<Placeholder, string> = {
    m2m: ctx.world.m2m.clientId,
    m2m_secret: ctx.world.m2m.secret,
    oauth: ctx.world.oauth.clientId,
    oauth_secret: ctx.world.oauth.secret,
    key: ctx.server.apiKey,
    token,
    kid: ctx.world.kid,
  };
  let out = text;
  for (const name of PLACEHOLDERS) out = out.replaceAll(ph(name), values[name]);
  return out;
}

async function created<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, 201, `seeding ${what}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function seedClient(server: TestServer, body: Record<string, unknown>, what: string): Promise<Client> {
  const app = await created<{ id: string; client_id: string }>(await api(server, '/connect/applications', { method: 'POST', body }), what);
  const secret = await created<{ secret: string }>(await api(server, `/connect/applications/${app.id}/client_secrets`, { method: 'POST', body: {} }), `${what} secret`);
  return { appId: app.id, clientId: app.client_id, secret: secret.secret };
}

const basicOf = (c: Client) => `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;

/** A clean POST with a form body, for seeding and the harness's own checks (not fuzzed). */
async function cleanPost(server: TestServer, path: string, client: Client, form: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: basicOf(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, text: await res.text() };
}

async function mint(server: TestServer, m2m: Client): Promise<string> {
  const { status, text } = await cleanPost(server, TOKEN, m2m, { grant_type: 'client_credentials' });
  assert.equal(status, 200, `minting a token: ${status} ${text}`);
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  assert.equal(typeof token, 'string');
  return token as string;
}

async function introspect(server: TestServer, client: Client, token: string): Promise<Record<string, unknown>> {
  const { status, text } = await cleanPost(server, INTROSPECTION, client, { token });
  assert.equal(status, 200, `introspection: ${status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** An organization, an M2M app with a secret, a first-party OAuth app with a secret, two live tokens. */
async function seedWorld(server: TestServer): Promise<World> {
  const org = await created<{ id: string }>(await api(server, '/organizations', { method: 'POST', body: { name: 'OAuth Fuzz' } }), 'organization');
  const m2m = await seedClient(server, { name: 'Fuzz M2M', application_type: 'm2m', organization_id: org.id, scopes: ['read', 'write'] }, 'm2m application');
  const oauth = await seedClient(
    server,
    { name: 'Fuzz OAuth', application_type: 'oauth', is_first_party: true, redirect_uris: [{ uri: 'https://app.test/callback', default: true }] },
    'oauth application',
  );
  const sentinel = await mint(server, m2m);
  const victim = await mint(server, m2m);
  const header = decodeSegment(sentinel.split('.')[0] ?? '');
  const kid = header?.kid;
  assert.equal(typeof kid, 'string', 'the minted token has a kid');
  const jwks = (await (await fetch(`${server.baseUrl}/oauth2/jwks`)).json()) as { keys: Record<string, unknown>[] };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  assert.ok(jwk, 'the signing key is published');
  const publicPem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return {
    m2m,
    oauth,
    sentinel,
    victim,
    rotations: 0,
    kid: kid as string,
    publicPem,
    publicJwk: JSON.stringify(jwk),
    modulus: Buffer.from(typeof jwk.n === 'string' ? jwk.n : '', 'base64url'),
  };
}

/** The live token an endpoint's requests carry: only the revocation endpoint sees the victim. */
const liveToken = (ctx: Ctx, endpoint: Endpoint) => (endpoint === REVOKE ? ctx.world.victim : ctx.world.sentinel);
const otherToken = (ctx: Ctx, endpoint: Endpoint) => (endpoint === REVOKE ? ctx.world.sentinel : ctx.world.victim);

// ---------------------------------------------------------------------------
// Token mutations
// ---------------------------------------------------------------------------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

function decodeSegment(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const HMAC_HASH: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

function applyMutation(token: string, m: Mutation, ctx: Ctx, other: string): string {
  const parts = token.split('.');
  const part = (i: number) => parts[i] ?? '';
  const withPart = (i: number, value: string) => (i < parts.length ? parts.map((p, j) => (j === i ? value : p)).join('.') : token);
  const header = () => decodeSegment(part(0)) ?? {};
  switch (m.op) {
    case 'flip': {
      const p = part(m.part);
      if (p.length === 0) return token;
      const i = m.at < 0 ? p.length - 1 : Math.min(p.length - 1, Math.floor((m.at / 1000) * p.length));
      return withPart(m.part, p.slice(0, i) + m.char + p.slice(i + 1));
    }
    case 'trailing-bits': {
      const p = part(m.part);
      const last = B64URL.indexOf(p.at(-1) ?? '');
      const unused = (p.length * 6) % 8;
      if (last < 0 || unused === 0) return token;
      const mask = (1 << unused) - 1;
      return withPart(m.part, p.slice(0, -1) + B64URL[(last & ~mask) | (m.bits & mask)]!);
    }
    case 'alg': {
      const h: Record<string, unknown> = { alg: m.alg };
      if (m.kid === 'same') h.kid = ctx.world.kid;
      if (m.kid === 'random') h.kid = `sk_${b64url(Buffer.from(part(2).slice(0, 12)))}`;
      h.typ = 'at+jwt';
      const input = `${b64url(JSON.stringify(h))}.${part(1)}`;
      const hash = HMAC_HASH[m.alg] ?? 'sha256';
      switch (m.sig) {
        case 'keep':
          return `${input}.${part(2)}`;
        case 'empty':
          return `${input}.`;
        case 'omit':
          return input;
        case 'hmac-pem':
          return `${input}.${createHmac(hash, ctx.world.publicPem).update(input).digest('base64url')}`;
        case 'hmac-jwk':
          return `${input}.${createHmac(hash, ctx.world.publicJwk).update(input).digest('base64url')}`;
        case 'hmac-n':
          return `${input}.${createHmac(hash, ctx.world.modulus).update(input).digest('base64url')}`;
      }
      return token;
    }
    case 'kid':
      return withPart(0, b64url(JSON.stringify({ ...header(), kid: m.kid })));
    case 'reheader': {
      const entries = Object.entries(header());
      if (m.reverse) entries.reverse();
      return withPart(0, b64url(JSON.stringify(Object.fromEntries(entries), null, m.indent)));
    }
    case 'claims': {
      const claims: Record<string, unknown> = { ...decodeSegment(part(1)), ...(JSON.parse(resolve(JSON.stringify(m.patch), ctx, token)) as Record<string, unknown>) };
      for (const k of m.drop) delete claims[k];
      return withPart(1, b64url(JSON.stringify(claims)));
    }
    case 'truncate':
      return token.slice(0, Math.floor((m.at / 1000) * token.length));
    case 'dots': {
      if (m.where === 'start') return '.'.repeat(m.n) + token;
      if (m.where === 'end') return token + '.'.repeat(m.n);
      if (m.where === 'double') return token.replace('.', '..');
      const i = Math.floor((m.at / 1000) * token.length);
      return token.slice(0, i) + '.'.repeat(m.n) + token.slice(i);
    }
    case 'huge':
      return m.part === 'suffix' ? token + m.unit.repeat(m.n) : withPart(m.part, part(m.part) + m.unit.repeat(m.n));
    case 'splice':
      return withPart(m.part, other.split('.')[m.part] ?? '');
    case 'wrap':
      return m.before + token + m.after;
  }
}

function mutated(ctx: Ctx, endpoint: Endpoint, mutations: readonly Mutation[]): string {
  const other = otherToken(ctx, endpoint);
  return mutations.reduce((t, m) => applyMutation(t, m, ctx, other), liveToken(ctx, endpoint));
}

// ---------------------------------------------------------------------------
// Rendering, sending and the checks every response must pass
// ---------------------------------------------------------------------------

const percentEvery = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

function renderValue(v: Value, ctx: Ctx, endpoint: Endpoint): string {
  const live = liveToken(ctx, endpoint);
  if ('text' in v) return resolve(v.text, ctx, live);
  const t = mutated(ctx, endpoint, v.token);
  return v.enc === 'every' ? percentEvery(t) : v.enc === 'raw' ? t : encodeURIComponent(t.toWellFormed());
}

function renderAuth(a: Auth, ctx: Ctx, live: string): string | null {
  if (a === null) return null;
  if ('basic' in a) {
    const part = (s: string) => (a.basic.encode ? encodeURIComponent(resolve(s, ctx, live).toWellFormed()) : resolve(s, ctx, live));
    return `${a.basic.scheme}${Buffer.from(`${part(a.basic.user)}:${part(a.basic.pass)}`, 'utf8').toString('base64')}`;
  }
  if ('b64' in a) return `${a.scheme}${Buffer.from(resolve(a.b64, ctx, live), 'utf8').toString('base64')}`;
  return resolve(a.header, ctx, live);
}

interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | null;
}

function render(c: Case, ctx: Ctx): Sent {
  const live = liveToken(ctx, c.endpoint);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.extra)) headers[k] = resolve(v, ctx, live);
  const auth = renderAuth(c.auth, ctx, live);
  if (auth !== null) headers.authorization = auth;
  let body: Uint8Array | null = null;
  if (c.body !== null) {
    if ('form' in c.body) {
      const text = c.body.form.map((p) => `${p.key}${p.eq}${p.eq === '' ? '' : renderValue(p.value, ctx, c.endpoint)}`).join(c.body.sep);
      body = new Uint8Array(Buffer.from(text, 'utf8'));
    } else {
      body = typeof c.body.raw === 'string' ? new Uint8Array(Buffer.from(resolve(c.body.raw, ctx, live), 'utf8')) : c.body.raw;
    }
    if (c.contentType !== null) headers['content-type'] = c.contentType;
  }
  return { method: c.method, url: `${ctx.server.baseUrl}${c.path}${resolve(c.query, ctx, live)}`, headers, body };
}

function show(value: string, max = 300): string {
  const s = JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max)}... (${value.length} chars)` : s;
}

function describeSent(s: Sent): string {
  const lines = [`${s.method} ${s.url.length > 400 ? `${s.url.slice(0, 400)}... (${s.url.length} chars)` : s.url}`];
  for (const [k, v] of Object.entries(s.headers)) lines.push(`  ${k}: ${show(v, 400)}`);
  if (s.body !== null) {
    const text = Buffer.from(s.body).toString('utf8');
    lines.push(`  body (${s.body.length} bytes): ${show(text, 1200)}`);
    if (!Buffer.from(text, 'utf8').equals(Buffer.from(s.body))) lines.push(`  body hex (first 120 bytes): ${Buffer.from(s.body).subarray(0, 120).toString('hex')}`);
  }
  return lines.join('\n');
}

/** Whether a raw form value's percent-escapes decode to UTF-8 (issue #8: otherwise the parameter is refused, not replaced). */
function strictUtf8Value(raw: string): boolean {
  const bytes = Buffer.concat(raw.split(/(%[0-9A-Fa-f]{2})/).map((part) => (/^%[0-9A-Fa-f]{2}$/.test(part) ? Buffer.from(part.slice(1), 'hex') : Buffer.from(part.replace(/\+/g, ' ')))));
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * What the server's form parser makes of the body: the single non-empty `token`, if there is one. A
 * token whose escapes are not UTF-8 is refused like a missing one (400 invalid_request), where
 * URLSearchParams would have put U+FFFD in its place.
 */
function formToken(body: Uint8Array | null): string | undefined {
  if (body === null) return undefined;
  const text = Buffer.from(body).toString('utf8');
  const raw = text.split('&').filter((pair) => pair.startsWith('token=')).map((pair) => pair.slice('token='.length));
  if (raw.some((v) => !strictUtf8Value(v))) return undefined;
  const values = new URLSearchParams(text).getAll('token').filter((v) => v !== '');
  return values.length === 1 ? values[0] : undefined;
}

interface Outcome {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
  readonly what: string;
  /** The `token` parameter as the server parsed it. */
  readonly token: string | undefined;
  readonly bodyBytes: number;
}

const asObject = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** Sends a rendered request and checks everything that must hold for any response. */
async function exchange(ctx: Ctx, c: Case): Promise<Outcome> {
  const sent = render(c, ctx);
  const what = describeSent(sent);
  let res: Response;
  let bytes: Uint8Array;
  try {
    res = await fetch(sent.url, {
      method: sent.method,
      headers: sent.headers,
      ...(sent.body !== null && { body: sent.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    const name = (err as { name?: string }).name;
    assert.fail(`${name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)` : `request failed: ${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`}\n${what}`);
  }
  const status = res.status;
  ctx.statuses.set(status, (ctx.statuses.get(status) ?? 0) + 1);
  const text = Buffer.from(bytes).toString('utf8');
  const tag = `${status} ${show(text)}\n${what}`;

  // No 5xx at all: 503 would mean the database is down, and it is not.
  assert.ok(status < 500, `server error ${tag}`);
  let json: unknown;
  if (bytes.length > 0) {
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      assert.fail(`body is not JSON: ${tag}`);
    }
  }
  if (status === 429) assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, `429 without a delta-seconds Retry-After: ${tag}`);
  const usedBasic = /^basic(\s|$)/i.test(sent.headers.authorization ?? '');
  if (status === 401 && usedBasic) assert.match(res.headers.get('www-authenticate') ?? '', /\bBasic\b/i, `401 to Basic credentials without WWW-Authenticate: Basic: ${tag}`);

  const exact = c.path === c.endpoint;
  const served = exact && (isPost(c.endpoint) ? c.method === 'POST' : c.method === 'GET' || c.method === 'HEAD');
  const token = formToken(sent.body);
  if (served && isPost(c.endpoint)) {
    // RFC 6749 §5.1: token endpoint responses are never cached; Portico answers every OAuth POST so.
    assert.match(res.headers.get('cache-control') ?? '', /\bno-store\b/, `no Cache-Control: no-store: ${tag}`);
  }
  if (served && status >= 400) {
    const body = asObject(json);
    assert.equal(typeof body?.error, 'string', `OAuth error without a string "error": ${tag}`);
    assert.equal(typeof body?.error_description, 'string', `OAuth error without a string "error_description": ${tag}`);
    assert.match(res.headers.get('cache-control') ?? '', /\bno-store\b/, `error without Cache-Control: no-store: ${tag}`);
  }
  if (exact && !served) {
    // OPTIONS may be a CORS preflight (an empty 2xx); any other wrong method is refused.
    if (c.method === 'OPTIONS' && status < 400) assert.equal(bytes.length, 0, `OPTIONS answered with a body: ${tag}`);
    else assert.ok(status >= 400, `wrong method answered ${tag}`);
    if (json !== undefined) {
      const body = asObject(json);
      assert.ok(typeof body?.message === 'string' || typeof body?.error === 'string', `wrong-method error without "message" or "error": ${tag}`);
    }
  }
  if (served && status < 400) {
    if (c.endpoint === TOKEN) {
      assert.equal(status, 200, tag);
      const body = asObject(json);
      assert.equal(typeof body?.access_token, 'string', `token response without access_token: ${tag}`);
      assert.equal(body?.token_type, 'Bearer', tag);
      assert.ok(typeof body?.expires_in === 'number' && body.expires_in > 0, tag);
      assert.equal(typeof body?.scope, 'string', tag);
    } else if (c.endpoint === INTROSPECTION) {
      assert.equal(status, 200, tag);
      const body = asObject(json);
      if (body?.active === true) {
        // Only an exact live token of the M2M client, asked by that client, may be active.
        assert.ok(token === ctx.world.sentinel || token === ctx.world.victim, `a token that is not a live token introspects active: ${tag}\n  token: ${show(token ?? '<none>', 2000)}`);
        assert.equal(body.client_id, ctx.world.m2m.clientId, `active token answered to the wrong client: ${tag}`);
      } else {
        assert.deepEqual(json, { active: false }, `inactive introspection must be exactly {"active":false}: ${tag}`);
      }
    } else if (c.endpoint === REVOKE) {
      assert.equal(status, 200, tag);
    }
  }
  // A 200 from /oauth2/revoke may have revoked the token it names: a live token sent there is replaced by
  // a fresh one; any other token must have left the live ones alone.
  if (c.endpoint === REVOKE && status === 200 && ctx.canMint) {
    const { world } = ctx;
    if (token === world.sentinel) {
      world.sentinel = await mint(ctx.server, world.m2m);
      world.rotations++;
    }
    if (token === world.victim) {
      world.victim = await mint(ctx.server, world.m2m);
      world.rotations++;
    } else {
      const live = world.victim;
      const state = await introspect(ctx.server, world.m2m, live);
      if (state.active !== true) {
        // Replace it first, so that the runs fast-check makes while shrinking start from a live token again.
        world.victim = await mint(ctx.server, world.m2m);
        world.rotations++;
        assert.fail(
          `revoking a token that is not the live one killed the live one (it now introspects ${JSON.stringify(state)}): ${tag}\n  token sent: ${show(token ?? '<none>', 2000)}\n  live token: ${show(live, 2000)}`,
        );
      }
    }
  }
  return { status, headers: res.headers, text, json, what, token, bodyBytes: sent.body?.length ?? 0 };
}

// ---------------------------------------------------------------------------
// Arbitraries: strings
// ---------------------------------------------------------------------------

const encode = (s: string) => encodeURIComponent(s.toWellFormed());
/** Full Unicode (fast-check 4's replacement for fc.fullUnicodeString). */
const unicode = (maxLength = 40) => fc.string({ unit: 'binary', maxLength });
const withNul = fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}\u0000${b}`);

/** Header values fetch will send: Latin-1 without NUL, CR or LF. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength });

/** Encoded text that is not a valid (or not a sensible) percent-encoding. */
const badPercent = fc.constantFrom('%', '%Z', '%ZZ', '%G1', '%%', '%2', '%E0%A4', '%E0%A4%A', '%FF', '%FF%FE', '%C0%AF', '%C0%80', '%ED%A0%80', '%F4%90%80%80', '%25', '%2525', '%0', '%u0041');

/** Huge encoded values, on both sides of the 64 KiB form limit. */
const hugeText = fc
  .tuple(fc.constantFrom('a', '%00', '%C3%A9', '%F0%9F%92%A9', '+', '%2B', '.', '%ZZ', '='), fc.integer({ min: 1_000, max: 72_000 }))
  .map(([unit, n]) => unit.repeat(Math.max(1, Math.floor(n / unit.length))));

/** Hostile encoded values for any parameter. */
const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }).map(encode) },
  { weight: 3, arbitrary: unicode().map(encode) },
  { weight: 2, arbitrary: withNul.map(encode) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: badPercent },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }).map(encode), badPercent, fc.string({ maxLength: 10 }).map(encode)).map(([a, b, d]) => a + b + d) },
  { weight: 1, arbitrary: hugeText },
  { weight: 1, arbitrary: fc.constantFrom('', '%00', '%20', '+', '%0A', '%0D%0A', 'null', 'undefined', '__proto__', 'constructor', 'toString', '%27%20OR%201%3D1--', '%22', '%5C', '%E2%80%AE', '%EF%BB%BF') },
);

/** A real value with a NUL, a space, a suffix or a case change. */
const tweaked = (value: string) =>
  fc.constantFrom(`${value}%00`, `%00${value}`, `${value}%20`, `%20${value}`, `${value}x`, `${value}+`, value.toUpperCase(), value.slice(0, -1), `${value}${value}`, `${value}%`);

// ---------------------------------------------------------------------------
// Arbitraries: token mutations
// ---------------------------------------------------------------------------

const part = fc.constantFrom<Part>(0, 1, 2);
const perMille = fc.integer({ min: 0, max: 1000 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('flip' as const),
      part,
      at: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 999 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1) }),
      char: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...B64URL) }, { weight: 1, arbitrary: fc.constantFrom('.', '=', '+', '/', ' ', '%', '\u0000', 'é', '💩', '\n') }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('trailing-bits' as const), part, bits: fc.integer({ min: 0, max: 63 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('alg' as const),
      alg: fc.constantFrom('none', 'None', 'NONE', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'PS256', 'ES256', 'EdDSA', ''),
      kid: fc.constantFrom('same' as const, 'none' as const, 'random' as const),
      sig: fc.constantFrom('keep' as const, 'empty' as const, 'omit' as const, 'hmac-pem' as const, 'hmac-jwk' as const, 'hmac-n' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('kid' as const),
      kid: fc.oneof(
        fc.constantFrom<unknown>(`${ph('kid')}x`, ` ${ph('kid')}`, ph('kid').toUpperCase(), '', '__proto__', 'constructor', 'toString', 'k'.repeat(101), null, 0, true, [ph('kid')], { kid: ph('kid') }),
        fc.string({ maxLength: 30 }),
        unicode(20),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reheader' as const), indent: fc.integer({ min: 0, max: 3 }), reverse: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('claims' as const),
      patch: fc.record(
        {
          exp: fc.constantFrom<unknown>(4_102_444_800, 0, -1, '4102444800', 1e308, null),
          iat: fc.constantFrom<unknown>(0, '0', null),
          client_id: fc.constantFrom<unknown>(ph('oauth'), `${ph('m2m')}x`, null, 1),
          sub: fc.constantFrom<unknown>(ph('oauth'), ''),
          iss: fc.constantFrom<unknown>('https://evil.example', 'http://localhost:8080/', null),
          aud: fc.constantFrom<unknown>('https://api.example.com', [], null),
          jti: fc.constantFrom<unknown>('', 'x', '__proto__', 'a\u0000b', 1, null),
          scope: fc.constantFrom<unknown>('read write admin', '', 'openid'),
          org_id: fc.constantFrom<unknown>('org_01ARZ3NDEKTSV4RRFFQ69G5FAV', null),
        },
        { requiredKeys: [] },
      ),
      drop: fc.subarray(['exp', 'iat', 'iss', 'jti', 'client_id', 'sub', 'scope']),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: perMille }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('dots' as const),
      where: fc.constantFrom('start' as const, 'end' as const, 'inside' as const, 'double' as const),
      n: fc.integer({ min: 1, max: 4 }),
      at: perMille,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('huge' as const),
      part: fc.constantFrom<Part | 'suffix'>(0, 1, 2, 'suffix'),
      unit: fc.constantFrom('A', 'a.', '-_', '.', '=', ' ', '\u0000', 'é'),
      n: fc.integer({ min: 100, max: 20_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('splice' as const), part: fc.constantFrom<1 | 2>(1, 2) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('wrap' as const),
      before: fc.constantFrom('', ' ', '\t', '\n', 'Bearer ', '"', '\u0000', '\ufeff'),
      after: fc.constantFrom('', ' ', '\n', '"', '\u0000', '.', '=', '=='),
    }),
  },
);

/** Mostly mutated, sometimes exactly the live token (which must then be treated as such). */
const mutations: fc.Arbitrary<readonly Mutation[]> = fc.oneof({ weight: 9, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([]) });
const tokenEnc = fc.constantFrom('component' as const, 'component' as const, 'component' as const, 'every' as const, 'raw' as const);
const tokenValue: fc.Arbitrary<Value> = fc.record({ token: mutations, enc: tokenEnc });

// ---------------------------------------------------------------------------
// Arbitraries: form bodies built from the real parameter names
// ---------------------------------------------------------------------------

const text = (a: fc.Arbitrary<string>): fc.Arbitrary<Value> => a.map((t) => ({ text: t }));
const hostile = text(hostileText);

const GRANT_TYPES = [
  'client_credentials',
  'password',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:saml2-bearer',
  'implicit',
  'CLIENT_CREDENTIALS',
  'client%5Fcredentials',
  '%63lient_credentials',
  'client_credentials%00',
  '__proto__',
  'constructor',
  'hasOwnProperty',
];

const RESOURCES = [
  'https://api.example.com',
  'https://api.example.com/',
  'HTTPS://API.EXAMPLE.COM',
  '/relative',
  'relative',
  '//api.example.com',
  'https://api.example.com/#frag',
  'https://api.example.com%23frag',
  'https://api.example.com/%23',
  'https://api.example.com/?q=1#',
  'urn:example:resource',
  'javascript:alert(1)',
  'http://[::1',
  'https://user:pass@api.example.com',
  'https://api.example.com:99999/',
  'file:///etc/passwd',
  `https://a.test/${'a'.repeat(2_100)}`,
  `https://a.test/${'%C3%A9'.repeat(3_000)}`,
];

const paramValues: Record<string, fc.Arbitrary<Value>> = {
  grant_type: fc.oneof({ weight: 6, arbitrary: text(fc.constantFrom(...GRANT_TYPES)) }, { weight: 1, arbitrary: hostile }),
  client_id: fc.oneof(
    { weight: 4, arbitrary: text(fc.constantFrom(ph('m2m'), ph('oauth'))) },
    { weight: 2, arbitrary: text(fc.oneof(tweaked(ph('m2m')), tweaked(ph('oauth')))) },
    { weight: 1, arbitrary: text(fc.constantFrom('client_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'client_', 'c'.repeat(255), 'c'.repeat(256), ph('key'))) },
    { weight: 2, arbitrary: hostile },
  ),
  client_secret: fc.oneof(
    { weight: 4, arbitrary: text(fc.constantFrom(ph('m2m_secret'), ph('oauth_secret'))) },
    { weight: 2, arbitrary: text(tweaked(ph('m2m_secret'))) },
    { weight: 1, arbitrary: text(fc.constantFrom('s'.repeat(512), 's'.repeat(513), '%00'.repeat(512), ph('key'))) },
    { weight: 2, arbitrary: hostile },
  ),
  scope: fc.oneof(
    { weight: 4, arbitrary: text(fc.constantFrom('read', 'write', 'read%20write', 'read+write', 'write read read', '%20read%20', 'admin', 'read%20admin', 'openid', 'read%00', '%22', '%5C', 'read%09write', 'READ')) },
    { weight: 2, arbitrary: hostile },
  ),
  resource: fc.oneof({ weight: 4, arbitrary: text(fc.constantFrom(...RESOURCES.map((r) => encodeURIComponent(r)))) }, { weight: 1, arbitrary: text(fc.constantFrom(...RESOURCES)) }, { weight: 2, arbitrary: hostile }),
  token: fc.oneof({ weight: 6, arbitrary: tokenValue }, { weight: 1, arbitrary: text(fc.constantFrom(ph('token'), ph('m2m_secret'), ph('key'))) }, { weight: 2, arbitrary: hostile }),
  token_type_hint: fc.oneof(
    { weight: 3, arbitrary: text(fc.constantFrom('access_token', 'refresh_token', 'id_token', 'urn:ietf:params:oauth:token-type:jwt', 'ACCESS_TOKEN', '')) },
    { weight: 1, arbitrary: hostile },
  ),
  code: fc.oneof({ weight: 1, arbitrary: text(fc.constantFrom(ph('token'), 'code_01ARZ3NDEKTSV4RRFFQ69G5FAV')) }, { weight: 2, arbitrary: hostile }),
  redirect_uri: fc.oneof({ weight: 2, arbitrary: text(fc.constantFrom(encodeURIComponent('https://app.test/callback'), 'https://app.test/callback', 'https://evil.example/cb', 'javascript%3Aalert(1)')) }, { weight: 1, arbitrary: hostile }),
  code_verifier: fc.oneof({ weight: 1, arbitrary: text(fc.constantFrom('a'.repeat(43), 'a'.repeat(128), 'a'.repeat(129), 'short')) }, { weight: 2, arbitrary: hostile }),
  refresh_token: fc.oneof({ weight: 1, arbitrary: tokenValue }, { weight: 1, arbitrary: hostile }),
  device_code: hostile,
  username: hostile,
  password: hostile,
  assertion: fc.oneof(tokenValue, hostile),
  client_assertion: fc.oneof(tokenValue, hostile),
  client_assertion_type: text(fc.constantFrom(encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'), 'x')),
  subject_token: tokenValue,
  audience: hostile,
};
const PARAMS = Object.keys(paramValues);

/** Names: the real ones, spellings that decode to them, and names no server knows. */
const paramName: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...PARAMS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('GRANT_TYPE', 'grant_type[]', 'grant_type%00', '%67rant_type', 'client%5Fid', 'token%20', '%74oken', 'resource[0]', '', '%00', '__proto__', 'constructor', 'hasOwnProperty', 'client_id%ZZ', '%'),
  },
  { weight: 1, arbitrary: hostileText.map((t) => t.slice(0, 200)) },
);

/** The value generator for a (possibly encoded) name: the real one's when it decodes to a real name. */
const valueFor = (key: string): fc.Arbitrary<Value> => {
  let name = key;
  try {
    name = decodeURIComponent(key);
  } catch {
    /* not a real name */
  }
  return Object.hasOwn(paramValues, name) ? paramValues[name]! : hostile;
};

const pair: fc.Arbitrary<Pair> = paramName.chain((key) =>
  fc.record({ key: fc.constant(key), eq: fc.constantFrom<Pair['eq']>('=', '=', '=', '=', '=', '=', '', '=='), value: valueFor(key) }),
);

const p = (key: string, value: Value): Pair => ({ key, eq: '=', value });
const m2mPost = [p('client_id', { text: ph('m2m') }), p('client_secret', { text: ph('m2m_secret') })];

/** The parameters a plausible request to each endpoint carries; fuzzed bodies keep a random subset of them. */
const BASE: Record<PostPath, readonly Pair[]> = {
  [TOKEN]: [p('grant_type', { text: 'client_credentials' }), ...m2mPost, p('scope', { text: 'read' })],
  [INTROSPECTION]: [p('token', { token: [], enc: 'component' }), ...m2mPost],
  [REVOKE]: [p('token', { token: [], enc: 'component' }), ...m2mPost, p('token_type_hint', { text: 'access_token' })],
};

const formBody = (endpoint: PostPath): fc.Arbitrary<Body> =>
  fc
    .tuple(
      fc.shuffledSubarray([...BASE[endpoint]]),
      fc.array(pair, { maxLength: 8 }),
      fc.nat(),
      fc.option(fc.integer({ min: 1, max: 4 }), { freq: 4, nil: null }),
      fc.constantFrom('&', '&', '&', '&', '&&', ';', '&amp;'),
      fc.boolean(),
    )
    .map(([base, extra, at, repeat, sep, trailing]) => {
      const form = [...base];
      // Extras go in at a random point; sometimes one parameter is repeated, which must be a 400 (RFC 6749 §3.1).
      form.splice(form.length === 0 ? 0 : at % (form.length + 1), 0, ...extra);
      const dup = form[at % Math.max(1, form.length)];
      if (repeat !== null && dup !== undefined) for (let i = 0; i < repeat; i++) form.push(dup);
      if (trailing) form.push({ key: '', eq: '', value: { text: '' } });
      return { form, sep };
    });

/** Bodies that are not well-formed forms at all, or are too big. */
const rawBody: fc.Arbitrary<Body> = fc
  .oneof(
    // Invalid percent-encoding around real parameters.
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom('grant_type=client_credentials&', `token=${ph('token')}&`, `client_id=${ph('m2m')}&client_secret=${ph('m2m_secret')}&`, ''), fc.constantFrom('scope', 'token', 'client_id', 'client_secret', 'resource', 'grant_type', ''), badPercent)
        .map(([head, name, bad]) => `${head}${name}=${bad}`),
    },
    // Invalid UTF-8 bytes inside values.
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom('grant_type=client_credentials&client_id=', `client_id=${ph('m2m')}&client_secret=`, 'token=', `grant_type=client_credentials&client_id=${ph('m2m')}&client_secret=${ph('m2m_secret')}&scope=`, ''),
          fc.uint8Array({ maxLength: 40 }),
          fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe0, 0xa4], [0x80], [0xf4, 0x90, 0x80, 0x80], [0x00]),
        )
        .map(([head, random, bad]) => new Uint8Array(Buffer.concat([Buffer.from(head), Buffer.from(random), Buffer.from(bad)]))),
    },
    // Structure that is barely a form.
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '', '&', '&&&', '=', '==', '=&=', '%', '%%%', '&=&=&', '+', '+=+', 'grant_type', 'grant_type=', 'grant_type==client_credentials', 'token', 'token=',
        '\u0000', 'grant_type=client_credentials\u0000', 'grant_type=client_credentials\r\n\r\nscope=read', '\ufeffgrant_type=client_credentials',
        '{"grant_type":"client_credentials"}', `{"token":"${ph('token')}"}`, '[]', 'null', 'grant_type=client_credentials;scope=read',
        `--xyz\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--xyz--\r\n`,
        `token=${ph('token')}&token=${ph('token')}`, `grant_type=client_credentials&grant_type=client_credentials`,
        `resource=https%3A%2F%2Fa.test&resource=https%3A%2F%2Fb.test&grant_type=client_credentials&client_id=${ph('m2m')}&client_secret=${ph('m2m_secret')}`,
      ),
    },
    // Around and beyond the 64 KiB form limit.
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('grant_type=client_credentials&scope=', `token=${ph('token')}&x=`, 'a=', ''), fc.integer({ min: FORM_LIMIT - 64, max: FORM_LIMIT + 64 }), fc.constantFrom('a', '%00', '&'))
        .map(([head, n, unit]) => head + unit.repeat(Math.floor(Math.max(0, n - head.length) / unit.length))),
    },
    { weight: 1, arbitrary: fc.integer({ min: 70 * 1024, max: 80 * 1024 }).map((n) => `grant_type=client_credentials&scope=${'a'.repeat(n)}`) },
    // Many parameters, many repeats.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('a=1&', 'resource=https%3A%2F%2Fa.test&', 'scope=read&', `token=${ph('token')}&`, '&', '=&'), fc.integer({ min: 100, max: 15_000 }))
        .map(([unit, n]) => unit.repeat(Math.min(n, Math.floor((FORM_LIMIT - 16) / unit.length)))),
    },
    // Random bytes.
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  )
  .map((raw) => ({ raw }));

const FORM = 'application/x-www-form-urlencoded';
const contentType: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(FORM) },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      `${FORM}; charset=utf-8`,
      `${FORM}; charset=UTF-8`,
      `${FORM};charset=ISO-8859-1`,
      `${FORM}; charset=utf-16`,
      `${FORM}; charset="utf-8"`,
      `${FORM};`,
      `${FORM} ; x=y`,
      'APPLICATION/X-WWW-FORM-URLENCODED',
      `${FORM}x`,
      `${FORM}, application/json`,
      'application/x-www-form-urlencode',
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'text/plain; charset=utf-8',
      'multipart/form-data',
      'multipart/form-data; boundary=xyz',
      'application/octet-stream',
      'application/jwt',
      '*/*',
      ';',
      '',
      'application/',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }) },
);

// ---------------------------------------------------------------------------
// Arbitraries: Authorization headers
// ---------------------------------------------------------------------------

const basic = (user: string, pass: string, encode = true, scheme = 'Basic '): Auth => ({ basic: { user, pass, encode, scheme } });

const basicScheme = fc.constantFrom('Basic ', 'Basic ', 'Basic ', 'basic ', 'BASIC ', 'Basic  ', 'Basic\t', 'Basic', 'Bearer ', ' Basic ');

const authorization: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(basic(ph('m2m'), ph('m2m_secret')), basic(ph('m2m'), ph('m2m_secret'), false), basic(ph('oauth'), ph('oauth_secret'))) },
  { weight: 4, arbitrary: fc.constant(null) },
  // Basic with real parts, hostile parts, or both; percent-encoded or not.
  {
    weight: 5,
    arbitrary: fc
      .record({
        user: fc.oneof(fc.constantFrom(ph('m2m'), ph('oauth'), ''), tweaked(ph('m2m')), hostileText.map((t) => t.slice(0, 400)), unicode(20), withNul),
        pass: fc.oneof(fc.constantFrom(ph('m2m_secret'), ph('oauth_secret'), '', ph('key')), tweaked(ph('m2m_secret')), hostileText.map((t) => t.slice(0, 1_000)), unicode(20), withNul),
        encode: fc.boolean(),
        scheme: basicScheme,
      })
      .map((b) => ({ basic: b })),
  },
  // Percent-encoding inside Basic, valid and invalid.
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(ph('m2m'), '%63lient', 'a%3Ab', 'a+b', '%00', `${ph('m2m')}%00`, '%', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%FF'), fc.constantFrom(ph('m2m_secret'), '%ZZ', '%', 'a%3A', '+', '%2B', '%00', `${ph('m2m_secret')}%`, '%C0%AF'))
      .map(([user, pass]) => basic(user, pass, false)),
  },
  // Base64 of strings without a colon, or of random text.
  {
    weight: 2,
    arbitrary: fc
      .record({ b64: fc.oneof(fc.string({ maxLength: 40 }).map((s) => s.replaceAll(':', '')), fc.constantFrom(ph('m2m'), ph('m2m_secret'), '', ':', '::', `:${ph('m2m_secret')}`), unicode(30)), scheme: basicScheme })
      .map((a) => a as Auth),
  },
  // Verbatim values: Basic over random base64 characters, other schemes, garbage.
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.tuple(fc.constantFrom('Basic ', 'basic '), fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='), maxLength: 80 })).map(([s, b]) => s + b),
        fc.constantFrom(
          'Basic',
          'Basic ',
          'Basic ====',
          'Basic =',
          'Basic Og==',
          'Basic Og',
          'Basic YTo=',
          'Basic OmI=',
          'Basic AA==',
          'Basic YQ==:Yg==',
          `Basic ${'A'.repeat(5_000)}`,
          `Bearer ${ph('token')}`,
          `Bearer ${ph('key')}`,
          'Bearer',
          `Digest username="${ph('m2m')}"`,
          `DPoP ${ph('token')}`,
          'Negotiate YII=',
          `${ph('m2m')}:${ph('m2m_secret')}`,
        ),
        headerText(120),
        fc.tuple(fc.constantFrom('Basic ', 'Bearer '), headerText(200)).map(([s, t]) => s + t),
      )
      .map((header) => ({ header: header.slice(0, MAX_HEADER_PART) })),
  },
);

// ---------------------------------------------------------------------------
// Arbitraries: query strings and other headers
// ---------------------------------------------------------------------------

const queryString: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(
      fc
        .tuple(
          fc.oneof(fc.constantFrom('client_id', 'token', 'grant_type', 'format', 'callback', 'kid', '__proto__', '', '%00', 'a[b]', 'a[]'), unicode(10).map(encode)),
          fc.oneof(fc.constantFrom(ph('m2m'), ph('token'), 'jsonp', '%00', '%', '%ZZ', '%E0%A4', '', '1', 'x'.repeat(2_000)), hostileText.map((t) => t.slice(0, 1_000))),
          fc.constantFrom('=', '=', '', '=='),
        )
        .map(([k, v, eq]) => (eq === '' ? k : `${k}${eq}${v}`)),
      { maxLength: 6 },
    ),
    fc.constantFrom('?', '?', '?', '??', '?&', '?='),
  )
  .map(([pairs, q]) => `${q}${pairs.join('&')}`.slice(0, MAX_HEADER_PART));

const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    accept: fc.constantFrom('application/json', 'text/html', '*/*', '', 'application/jwk-set+json', 'application/xml;q=0.9, */*;q=0.1'),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity', 'x, y;q=2', '*;q=0'),
    'accept-language': fc.constantFrom('en', '*', 'zz-ZZ;q=abc'),
    'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'deflate', 'x'),
    'if-none-match': fc.constantFrom('*', '"abc"', 'W/"x"', 'garbage'),
    'if-modified-since': fc.constantFrom('Thu, 01 Jan 1970 00:00:00 GMT', 'garbage', ''),
    range: fc.constantFrom('bytes=0-10', 'bytes=-1', 'bytes=garbage'),
    cookie: fc.constantFrom('a=b', `session=${ph('token')}`, '=;=;'),
    origin: fc.constantFrom('https://evil.example', 'null'),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1', '%00'),
    'x-forwarded-proto': fc.constantFrom('https', 'gopher', ''),
    'x-forwarded-host': fc.constantFrom('evil.example', ''),
    'x-http-method-override': fc.constantFrom('GET', 'DELETE', 'PUT'),
    'x-request-id': headerText(60),
    dpop: headerText(80),
  },
  { requiredKeys: [] },
);

// ---------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------

function summarizeValue(v: Value): string {
  if ('text' in v) return show(v.text, 120);
  return `<${v.token.length === 0 ? 'live token' : `token ${v.token.map((m) => JSON.stringify(m)).join(' then ')}`}, ${v.enc}>`;
}

function summarize(c: Case): string {
  let body = '';
  if (c.body !== null) {
    if ('form' in c.body) body = ` form(sep ${JSON.stringify(c.body.sep)})=[${c.body.form.map((x) => `${show(x.key, 60)}${x.eq}${x.eq === '' ? '' : summarizeValue(x.value)}`).join(', ')}]`;
    else body = typeof c.body.raw === 'string' ? ` body=${show(c.body.raw, 200)}` : ` body=bytes:${Buffer.from(c.body.raw).subarray(0, 100).toString('hex')} (${c.body.raw.length} bytes)`;
  }
  const headers = Object.entries(c.extra).map(([k, v]) => `${k}=${show(v, 60)}`).join(' ');
  return `${c.method} ${c.path}${c.query.slice(0, 200)} auth=${JSON.stringify(c.auth)?.slice(0, 300)} ct=${JSON.stringify(c.contentType)} [${headers}]${body}`;
}

interface CaseParts {
  readonly endpoint: Endpoint;
  readonly method?: string;
  readonly path?: string;
  readonly query?: string;
  readonly auth?: Auth;
  readonly contentType?: string | null;
  readonly body?: Body | null;
  readonly extra?: Record<string, string>;
}

function build(p: CaseParts): Case {
  const method = p.method ?? (isPost(p.endpoint) ? 'POST' : 'GET');
  const bodyless = method === 'GET' || method === 'HEAD';
  const c: Case = {
    endpoint: p.endpoint,
    method,
    path: p.path ?? p.endpoint,
    query: p.query ?? '',
    auth: p.auth === undefined ? basic(ph('m2m'), ph('m2m_secret')) : p.auth,
    contentType: p.contentType === undefined ? FORM : p.contentType,
    body: bodyless ? null : (p.body ?? null),
    extra: p.extra ?? {},
  };
  // Counterexamples can carry 70 KiB bodies: fast-check prints this summary instead.
  Object.defineProperty(c, fc.toStringMethod, { value: () => summarize(c), enumerable: false, configurable: true });
  return c;
}

const postEndpoint = fc.constantFrom<PostPath>(...POSTS);

/** 1. Form bodies from the real parameter names, on the three POST endpoints. */
const formCase: fc.Arbitrary<Case> = postEndpoint.chain((endpoint) =>
  fc
    .record({ body: formBody(endpoint), auth: fc.oneof({ weight: 3, arbitrary: fc.constant<Auth>(null) }, { weight: 3, arbitrary: authorization }), contentType: fc.oneof({ weight: 6, arbitrary: fc.constant(FORM) }, { weight: 1, arbitrary: contentType }) })
    .map((r) => build({ endpoint, ...r })),
);

/** 2. Malformed raw bodies under random content types. */
const rawCase: fc.Arbitrary<Case> = postEndpoint.chain((endpoint) =>
  fc
    .record({ body: fc.oneof({ weight: 3, arbitrary: rawBody }, { weight: 1, arbitrary: formBody(endpoint) }), auth: fc.oneof(fc.constant<Auth>(null), authorization), contentType })
    .map((r) => build({ endpoint, ...r })),
);

/** 3. Authorization headers (and other headers), with plausible bodies. */
const authCase: fc.Arbitrary<Case> = postEndpoint.chain((endpoint) =>
  fc
    .record({
      auth: authorization,
      body: fc.oneof({ weight: 3, arbitrary: fc.constant<Body>({ form: BASE[endpoint].filter((x) => x.key !== 'client_secret' && x.key !== 'client_id'), sep: '&' }) }, { weight: 2, arbitrary: formBody(endpoint) }),
      extra: fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraHeaders }),
      query: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryString }),
    })
    .map((r) => build({ endpoint, ...r })),
);

/** 6. The public GET endpoints with random query strings and headers. */
const getCase: fc.Arbitrary<Case> = fc
  .record({
    endpoint: fc.constantFrom<GetPath>(...GETS),
    method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD'),
    query: queryString,
    extra: extraHeaders,
    auth: fc.oneof({ weight: 3, arbitrary: fc.constant<Auth>(null) }, { weight: 1, arbitrary: authorization }),
  })
  .map((r) => build(r));

const NEAR: Record<Endpoint, readonly string[]> = {
  [TOKEN]: ['/oauth2/token/', '/oauth2/Token', '/OAUTH2/TOKEN', '//oauth2/token', '/oauth2//token', '/oauth2/token%00', '/oauth2/token;x', '/oauth2/%74oken', '/oauth2/token/..', '/oauth2/./token', '/oauth2/token.json', '/oauth2/tokens'],
  [INTROSPECTION]: ['/oauth2/introspection/', '/oauth2/introspect', '/oauth2/Introspection', '/oauth2/introspection%2F', '/oauth2/introspection%00'],
  [REVOKE]: ['/oauth2/revoke/', '/oauth2/revocation', '/oauth2/%72evoke', '/oauth2/revoke%00', '/oauth2/revoke/..%2F'],
  '/oauth2/jwks': ['/oauth2/jwks/', '/oauth2/jwks.json', '/oauth2/JWKS', '/oauth2/jwks%00', '/.well-known/jwks.json'],
  '/.well-known/openid-configuration': ['/.well-known/openid-configuration/', '/.well-known/openid_configuration', '/.well-known/%6Fpenid-configuration', '/.well-known/openid-configuration%00'],
  '/.well-known/oauth-authorization-server': ['/.well-known/oauth-authorization-server/', '/.well-known/oauth-authorization-server/extra', '/.well-known/oauth-authorization-server%00'],
};

/** 7. Every method on every endpoint (most of them wrong), and near misses of every path. */
const methodCase: fc.Arbitrary<Case> = fc.constantFrom<Endpoint>(...POSTS, ...GETS).chain((endpoint) =>
  fc
    .record({
      method: isPost(endpoint) ? fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'POST') : fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'GET'),
      path: fc.oneof({ weight: 3, arbitrary: fc.constant(endpoint) }, { weight: 1, arbitrary: fc.constantFrom(...NEAR[endpoint]) }),
      query: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryString }),
      body: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: formBody(isPost(endpoint) ? endpoint : TOKEN) }),
      auth: fc.oneof(fc.constant<Auth>(null), authorization),
      contentType,
    })
    .map((r) => build({ endpoint, ...r })),
);

// ---------------------------------------------------------------------------
// Exact properties of introspection and revocation by a clean client
// ---------------------------------------------------------------------------

type Caller = 'm2m-basic' | 'm2m-post' | 'oauth-basic' | 'oauth-post';

interface TokenProbe {
  readonly caller: Caller;
  readonly token: readonly Mutation[];
  readonly enc: 'component' | 'every' | 'raw';
  readonly hint: string | null;
}

/**
 * The refusals a clean request may still earn: a form over the 64 KiB limit is a 413, and a token
 * mutated down to nothing is an omitted parameter (RFC 6749 §3.1), hence invalid_request. True when
 * the request was one of those (and was refused so).
 */
function expectRefusal(out: Outcome): boolean {
  if (out.bodyBytes > FORM_LIMIT) {
    assert.equal(out.status, 413, `a ${out.bodyBytes}-byte form must be refused as too large: ${out.status} ${out.text}\n${out.what}`);
    return true;
  }
  if (out.token === undefined) {
    assert.equal(out.status, 400, `an empty token must be refused: ${out.status} ${out.text}\n${out.what}`);
    assert.equal(asObject(out.json)?.error, 'invalid_request', out.text);
    return true;
  }
  return false;
}

function probeCase(endpoint: PostPath, probe: TokenProbe): Case {
  const oauth = probe.caller.startsWith('oauth');
  const form: Pair[] = [p('token', { token: probe.token, enc: probe.enc })];
  if (probe.hint !== null) form.push(p('token_type_hint', { text: probe.hint }));
  if (probe.caller.endsWith('post')) form.push(p('client_id', { text: ph(oauth ? 'oauth' : 'm2m') }), p('client_secret', { text: ph(oauth ? 'oauth_secret' : 'm2m_secret') }));
  const c = build({
    endpoint,
    auth: probe.caller.endsWith('basic') ? basic(ph(oauth ? 'oauth' : 'm2m'), ph(oauth ? 'oauth_secret' : 'm2m_secret')) : null,
    body: { form, sep: '&' },
  });
  Object.defineProperty(c, fc.toStringMethod, { value: () => `${summarize(c)} caller=${probe.caller}`, enumerable: false });
  return c;
}

const tokenProbe: fc.Arbitrary<TokenProbe> = fc.record({
  caller: fc.constantFrom<Caller>('m2m-basic', 'm2m-basic', 'm2m-basic', 'm2m-post', 'oauth-basic', 'oauth-post'),
  token: mutations,
  enc: tokenEnc,
  hint: fc.option(fc.constantFrom('access_token', 'refresh_token', 'id_token', 'garbage', '%00'), { freq: 3, nil: null }),
});

// ---------------------------------------------------------------------------
// Fixed examples each property runs first
// ---------------------------------------------------------------------------

const nonCanonicalSignature: Mutation = { op: 'trailing-bits', part: 2, bits: 0b1111 };

function examples() {
  const form = (endpoint: PostPath, raw: string, auth: Auth = null, ct: string | null = FORM) => build({ endpoint, auth, contentType: ct, body: { raw } });
  const creds = `client_id=${ph('m2m')}&client_secret=${ph('m2m_secret')}`;
  return {
    form: POSTS.flatMap((endpoint) => [
      form(endpoint, `grant_type=client_credentials&client_id=${ph('m2m')}%00&client_secret=${ph('m2m_secret')}&token=${ph('token')}`),
      form(endpoint, `grant_type=client_credentials&client_id=%00&client_secret=x&token=x`),
      form(endpoint, `grant_type=client_credentials&${creds}&token=${ph('token')}&resource=https%3A%2F%2Fa.test%2F%23f&resource=%2Frelative`),
      form(endpoint, `grant_type=client_credentials&${creds}&scope=read%00&token=${ph('token')}%00`),
      form(endpoint, `grant_type=password&grant_type=client_credentials&${creds}&token=${ph('token')}&token=${ph('token')}`),
      form(endpoint, `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=x&${creds}&token=${ph('token')}`),
      form(endpoint, `grant_type=client_credentials&${creds}&resource=https%3A%2F%2Fa.test%2F${'a'.repeat(3_000)}&token=${ph('token')}`),
    ]),
    raw: POSTS.flatMap((endpoint) => [
      form(endpoint, `grant_type=client_credentials&${creds}&scope=%ZZ&token=%`, null),
      form(endpoint, `grant_type=client_credentials&scope=${'a'.repeat(70 * 1024)}`, basic(ph('m2m'), ph('m2m_secret'))),
      build({ endpoint, auth: basic(ph('m2m'), ph('m2m_secret')), body: { raw: new Uint8Array([...Buffer.from('grant_type=client_credentials&scope=read&token='), 0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]) } }),
      form(endpoint, `{"grant_type":"client_credentials","token":"${ph('token')}"}`, basic(ph('m2m'), ph('m2m_secret')), 'application/json'),
      form(endpoint, 'grant_type=client_credentials', basic(ph('m2m'), ph('m2m_secret')), null),
      form(endpoint, 'grant_type=client_credentials', basic(ph('m2m'), ph('m2m_secret')), 'text/plain'),
      form(endpoint, '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n', basic(ph('m2m'), ph('m2m_secret')), 'multipart/form-data; boundary=x'),
      form(endpoint, `grant_type=client_credentials&token=${ph('token')}`, basic(ph('m2m'), ph('m2m_secret')), `${FORM}; charset=ISO-8859-1`),
    ]),
    auth: POSTS.flatMap((endpoint) => {
      const body: Body = { form: BASE[endpoint].filter((x) => x.key !== 'client_secret' && x.key !== 'client_id'), sep: '&' };
      return [
        build({ endpoint, body, auth: basic(`${ph('m2m')}%00`, ph('m2m_secret'), false) }),
        build({ endpoint, body, auth: basic('%ZZ', ph('m2m_secret'), false) }),
        build({ endpoint, body, auth: basic(ph('m2m'), '%', false) }),
        build({ endpoint, body, auth: { b64: ph('m2m'), scheme: 'Basic ' } }),
        build({ endpoint, body, auth: { header: 'Basic ====' } }),
        build({ endpoint, body, auth: { header: `Bearer ${ph('token')}` } }),
        build({ endpoint, body, auth: basic('\u0000', '\u0000') }),
        build({ endpoint, body, auth: basic(ph('m2m'), 's'.repeat(513)) }),
      ];
    }),
    introspect: [
      { caller: 'm2m-basic', token: [], enc: 'component', hint: null },
      { caller: 'oauth-basic', token: [], enc: 'component', hint: null },
      { caller: 'm2m-basic', token: [nonCanonicalSignature], enc: 'component', hint: null },
      { caller: 'm2m-basic', token: [{ op: 'alg', alg: 'none', kid: 'same', sig: 'empty' }], enc: 'component', hint: null },
      { caller: 'm2m-basic', token: [{ op: 'alg', alg: 'HS256', kid: 'same', sig: 'hmac-pem' }], enc: 'component', hint: null },
      { caller: 'm2m-post', token: [{ op: 'claims', patch: { exp: 4_102_444_800 }, drop: [] }], enc: 'every', hint: 'access_token' },
    ] satisfies TokenProbe[],
    revoke: [
      { caller: 'm2m-basic', token: [nonCanonicalSignature], enc: 'component', hint: null },
      { caller: 'oauth-basic', token: [], enc: 'component', hint: null },
      { caller: 'm2m-basic', token: [], enc: 'component', hint: 'refresh_token' },
      { caller: 'm2m-basic', token: [{ op: 'alg', alg: 'none', kid: 'same', sig: 'keep' }], enc: 'component', hint: null },
      // A raw %DF (a UTF-8 lead byte without its continuation): refused as not UTF-8, 400 (issue #8), not 200.
      { caller: 'm2m-basic', token: [{ op: 'wrap', before: '%DF', after: '' }], enc: 'raw', hint: null },
    ] satisfies TokenProbe[],
    get: GETS.flatMap((endpoint) => [build({ endpoint, query: '?%00=%00&%ZZ&a=%E0%A4%A' }), build({ endpoint, method: 'HEAD', extra: { 'if-none-match': '*', range: 'bytes=0-1' } })]),
    method: [...POSTS, ...GETS].flatMap((endpoint) => [
      build({ endpoint, method: isPost(endpoint) ? 'GET' : 'POST', body: { raw: 'grant_type=client_credentials' } }),
      build({ endpoint, method: 'OPTIONS', body: null }),
      build({ endpoint, method: 'DELETE', body: null }),
      build({ endpoint, path: `${endpoint}/`, method: isPost(endpoint) ? 'POST' : 'GET', body: { raw: 'grant_type=client_credentials' } }),
    ]),
  };
}

// ---------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------

function tally(statuses: Map<number, number>): string {
  return [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
}

for (const dialect of DIALECTS) {
  describe(`OAuth endpoint fuzzing (${dialect})`, dialectSuite(dialect), () => {
    const ctx = {} as Ctx;
    const fixed = examples();

    before(async () => {
      ctx.server = await startServer(dialect, { env: NO_THROTTLE });
      ctx.world = await seedWorld(ctx.server);
      ctx.statuses = new Map();
      ctx.canMint = true;
    });
    after(async () => {
      await ctx.server?.close();
    });

    const property = <T>(name: string, arb: fc.Arbitrary<T>, cases: readonly T[], run: (value: T) => Promise<void>) =>
      it(name, async (t) => {
        ctx.statuses = new Map();
        await fc.assert(fc.asyncProperty(arb, run), { numRuns: RUNS, examples: cases.map((c) => [c] as [T]) });
        t.diagnostic(`statuses: ${tally(ctx.statuses)}; live tokens replaced so far: ${ctx.world.rotations}`);
      });
    const generic = async (c: Case) => {
      await exchange(ctx, c);
    };

    property('form bodies from real parameter names on token, introspection and revocation', formCase, fixed.form, generic);
    property('malformed raw bodies, oversized bodies and random content types', rawCase, fixed.raw, generic);
    property('random Authorization headers', authCase, fixed.auth, generic);

    property('introspection of a mutated token by the rightful client is exactly {"active":false}', tokenProbe, fixed.introspect, async (probe) => {
      const c = probeCase(INTROSPECTION, probe);
      const out = await exchange(ctx, c);
      if (expectRefusal(out)) return;
      assert.equal(out.status, 200, `clean introspection request refused: ${out.status} ${out.text}\n${out.what}`);
      // Two tokens are live (a mutation may splice the sentinel into the victim); byte-identical to either counts.
      const identical = out.token === ctx.world.sentinel || out.token === ctx.world.victim;
      if (identical && probe.caller.startsWith('m2m')) {
        const body = asObject(out.json);
        assert.equal(body?.active, true, `a live token does not introspect active: ${out.text}\n${out.what}`);
        assert.equal(body?.client_id, ctx.world.m2m.clientId, out.text);
      } else {
        assert.deepEqual(
          out.json,
          { active: false },
          `${identical ? "another client's token" : 'a token that differs from the live one'} must introspect exactly {"active":false}: ${out.text}\n${out.what}\n  token sent:  ${show(out.token ?? '<none>', 2000)}\n  live token:  ${show(ctx.world.sentinel, 2000)}`,
        );
      }
    });

    property('revoking a mutated token never revokes the real one; revoking the real one does', tokenProbe, fixed.revoke, async (probe) => {
      const live = ctx.world.victim;
      const c = probeCase(REVOKE, probe);
      const out = await exchange(ctx, c); // replaces the victim when it was the token sent
      if (expectRefusal(out)) return;
      assert.equal(out.status, 200, `RFC 7009 §2.2: revocation answers 200 for any token: ${out.status} ${out.text}\n${out.what}`);
      // exchange() has already checked that any other token left the live one alone.
      if (out.token === live && probe.caller.startsWith('m2m')) {
        assert.deepEqual(await introspect(ctx.server, ctx.world.m2m, live), { active: false }, `the revoked token still introspects active\n${out.what}`);
      }
    });

    property('discovery and JWKS with random query strings and headers', getCase, fixed.get, async (c) => {
      const out = await exchange(ctx, c);
      assert.equal(out.status, 200, `${out.status} ${out.text}\n${out.what}`);
      assert.equal(out.headers.get('access-control-allow-origin'), '*', out.what);
      if (c.method === 'GET') {
        const body = asObject(out.json);
        if (c.endpoint === '/oauth2/jwks') {
          assert.ok(Array.isArray(body?.keys) && body.keys.some((k) => asObject(k)?.kid === ctx.world.kid), `JWKS without the signing key: ${out.text}`);
        } else {
          assert.equal(typeof body?.issuer, 'string', out.text);
          assert.equal(body?.token_endpoint, `${body?.issuer}/oauth2/token`, out.text);
        }
      }
    });

    property('wrong methods and near-miss paths on every endpoint', methodCase, fixed.method, generic);

    it('well-formed 429s with the default throttle (separate server)', async (t) => {
      const throttled: Ctx = { server: await startServer(dialect), world: ctx.world, statuses: new Map(), canMint: false };
      try {
        throttled.world = await seedWorld(throttled.server);
        const failing = fc.constantFrom(basic(ph('m2m'), 'wrong-secret'), basic(ph('m2m'), `${ph('m2m_secret')}x`), basic('client_unknown', 'x'), basic(ph('oauth'), 'wrong'));
        const arb = postEndpoint.chain((endpoint) =>
          fc
            .record({
              auth: fc.oneof({ weight: 3, arbitrary: failing }, { weight: 2, arbitrary: authorization }, { weight: 1, arbitrary: fc.constant<Auth>(null) }),
              body: fc.oneof({ weight: 2, arbitrary: fc.constant<Body>({ form: BASE[endpoint].filter((x) => x.key !== 'client_secret' && x.key !== 'client_id'), sep: '&' }) }, { weight: 1, arbitrary: formBody(endpoint) }),
            })
            .map((r) => build({ endpoint, ...r })),
        );
        await fc.assert(
          fc.asyncProperty(arb, async (c) => {
            const out = await exchange(throttled, c);
            if (out.status === 429) {
              const retryAfter = Number(out.headers.get('retry-after'));
              assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After outside the one-minute window: ${out.headers.get('retry-after')}\n${out.what}`);
            }
          }),
          { numRuns: RUNS },
        );
        t.diagnostic(`statuses: ${tally(throttled.statuses)}`);
        assert.ok((throttled.statuses.get(429) ?? 0) > 0, `the default throttle never answered 429 (statuses: ${tally(throttled.statuses)}): this property checked nothing`);
      } finally {
        await throttled.server.close();
      }
    });

    it('the server is still healthy and the current live tokens still introspect active', async (t) => {
      for (const path of ['/health', '/health/ready']) {
        const res = await fetch(`${ctx.server.baseUrl}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        assert.equal(res.status, 200, path);
        assert.deepEqual(await res.json(), { status: 'ok' });
      }
      for (const [name, token] of [['sentinel', ctx.world.sentinel], ['victim', ctx.world.victim]] as const) {
        const state = await introspect(ctx.server, ctx.world.m2m, token);
        assert.equal(state.active, true, `the ${name} token no longer introspects active: ${JSON.stringify(state)}`);
        assert.equal(state.client_id, ctx.world.m2m.clientId);
        assert.deepEqual(await introspect(ctx.server, ctx.world.oauth, token), { active: false }, `the ${name} token is visible to another client`);
      }
      assert.ok((await mint(ctx.server, ctx.world.m2m)).length > 0);
      t.diagnostic(`live tokens replaced after their own revocation: ${ctx.world.rotations}`);
    });
  });
}
