// Issue #2: property-based fuzzing of every management route: no 5xx, no hang, no crash.
//
// Every property sends real HTTP requests (plain fetch, a 5 s AbortSignal so a
// hang fails the run) to a real Portico on a real port, for every dialect.
// Generated requests are plain data in which `@@name@@` placeholders stand for
// the IDs of objects seeded through the API; they are substituted just before
// sending, so path IDs, bodies and query strings sometimes hit real objects.
// The world is re-seeded after a successful DELETE and every few runs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

/** Runs per property; 5 properties per dialect. PORTICO_FUZZ_RUNS overrides it. */
const RUNS = Number(process.env.PORTICO_FUZZ_RUNS ?? 400);
const REQUEST_TIMEOUT_MS = 5_000;
/** Stays well under Node's 16 KiB header limit, which would answer 431 before Portico sees anything. */
const MAX_URL_PART = 6_000;
/** Portico's bodyLimit (src/app.ts). */
const BODY_LIMIT = 256 * 1024;
const RESEED_EVERY = 60;

// ---------------------------------------------------------------------------
// Requests as data
// ---------------------------------------------------------------------------

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';
type IdKind = 'org' | 'ext' | 'app' | 'secret';

interface Endpoint {
  readonly method: Method;
  /** `:id` is replaced by an encoded path ID. */
  readonly template: string;
  readonly idKind: IdKind | null;
  readonly management: boolean;
}

interface FuzzRequest {
  readonly method: string;
  /** Encoded path and query; may hold placeholders. */
  readonly path: string;
  /** Header values may hold placeholders; a missing key is a missing header. */
  readonly headers: Readonly<Record<string, string>>;
  /** A string body may hold placeholders; bytes are sent as they are. */
  readonly body: string | Uint8Array | null;
}

const ep = (method: Method, template: string, idKind: IdKind | null, management = true): Endpoint => ({ method, template, idKind, management });

/** Every management route, plus the health probes. */
const ENDPOINTS: readonly Endpoint[] = [
  ep('GET', '/organizations', null),
  ep('POST', '/organizations', null),
  ep('GET', '/organizations/external_id/:id', 'ext'),
  ep('GET', '/organizations/:id', 'org'),
  ep('PUT', '/organizations/:id', 'org'),
  ep('DELETE', '/organizations/:id', 'org'),
  ep('GET', '/connect/applications', null),
  ep('POST', '/connect/applications', null),
  ep('GET', '/connect/applications/:id', 'app'),
  ep('PUT', '/connect/applications/:id', 'app'),
  ep('DELETE', '/connect/applications/:id', 'app'),
  ep('GET', '/connect/applications/:id/client_secrets', 'app'),
  ep('POST', '/connect/applications/:id/client_secrets', 'app'),
  ep('DELETE', '/connect/client_secrets/:id', 'secret'),
  // Issue #3 and #4 routes (path IDs are fuzzed; the org kind only decides which real ID sometimes appears).
  ep('GET', '/events', null),
  ep('POST', '/authkit/oauth2/complete', null),
  ep('GET', '/user_management/users/:id', 'org'),
  ep('GET', '/user_management/users/:id/authorized_applications', 'org'),
  ep('DELETE', '/user_management/users/:id/authorized_applications/:id', 'app'),
  ep('GET', '/user_management/organization_memberships', null),
  ep('POST', '/user_management/organization_memberships', null),
  ep('GET', '/user_management/organization_memberships/:id', 'org'),
  ep('DELETE', '/user_management/organization_memberships/:id', 'org'),
  ep('GET', '/health', null, false),
  ep('GET', '/health/ready', null, false),
];

const WITH_BODY = ENDPOINTS.filter((e) => e.method === 'POST' || e.method === 'PUT' || e.method === 'DELETE');
const WITH_ID = ENDPOINTS.filter((e) => e.idKind !== null);
const GETS = ENDPOINTS.filter((e) => e.method === 'GET');

// ---------------------------------------------------------------------------
// The seeded world and placeholders
// ---------------------------------------------------------------------------

interface World {
  readonly org: string;
  readonly ext: string;
  readonly m2m: string;
  readonly m2m_client: string;
  readonly oauth: string;
  readonly oauth_client: string;
  readonly secret: string;
}

const PLACEHOLDERS = ['org', 'ext', 'm2m', 'm2m_client', 'oauth', 'oauth_client', 'secret'] as const;
const ph = (name: (typeof PLACEHOLDERS)[number] | 'key') => `@@${name}@@`;

function resolve(text: string, world: World, apiKey: string): string {
  let out = text.replaceAll(ph('key'), apiKey);
  for (const name of PLACEHOLDERS) out = out.replaceAll(ph(name), world[name]);
  return out;
}

async function created<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, 201, `seeding ${what}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** One organization, one M2M app, one OAuth app and one secret, through the real API. */
async function seedWorld(server: TestServer): Promise<World> {
  const tag = randomBytes(6).toString('hex');
  const ext = `ext_${tag}`;
  const org = await created<{ id: string }>(
    await api(server, '/organizations', {
      method: 'POST',
      body: { name: `Fuzz ${tag}`, external_id: ext, domain_data: [{ domain: `fuzz-${tag}.test`, state: 'verified' }], metadata: { tier: 'fuzz' } },
    }),
    'organization',
  );
  const m2m = await created<{ id: string; client_id: string }>(
    await api(server, '/connect/applications', {
      method: 'POST',
      body: { name: 'Fuzz M2M', application_type: 'm2m', organization_id: org.id, scopes: ['read:things'] },
    }),
    'm2m application',
  );
  const oauth = await created<{ id: string; client_id: string }>(
    await api(server, '/connect/applications', {
      method: 'POST',
      body: {
        name: 'Fuzz OAuth',
        application_type: 'oauth',
        is_first_party: false,
        organization_id: org.id,
        uses_pkce: true,
        redirect_uris: [{ uri: 'https://fuzz.example.com/callback', default: true }],
      },
    }),
    'oauth application',
  );
  const secret = await created<{ id: string }>(
    await api(server, `/connect/applications/${oauth.id}/client_secrets`, { method: 'POST' }),
    'client secret',
  );
  return { org: org.id, ext, m2m: m2m.id, m2m_client: m2m.client_id, oauth: oauth.id, oauth_client: oauth.client_id, secret: secret.id };
}

// ---------------------------------------------------------------------------
// Sending and checking
// ---------------------------------------------------------------------------

interface Context {
  server: TestServer;
  world: World;
  stale: boolean;
  runsSinceSeed: number;
  statuses: Map<number, number>;
}

function show(value: string, max = 300): string {
  const s = JSON.stringify(value);
  return s.length > max ? `${s.slice(0, max)}... (${value.length} chars)` : s;
}

function describeRequest(method: string, url: string, headers: Record<string, string>, body: Uint8Array | null): string {
  const lines = [`${method} ${url.length > 400 ? `${url.slice(0, 400)}... (${url.length} chars)` : url}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`  ${k}: ${show(v, 200)}`);
  if (body !== null) {
    const text = Buffer.from(body).toString('utf8');
    lines.push(`  body (${body.length} bytes): ${show(text)}`);
    if (!Buffer.from(text, 'utf8').equals(Buffer.from(body))) lines.push(`  body hex (first 120 bytes): ${Buffer.from(body).subarray(0, 120).toString('hex')}`);
  }
  return lines.join('\n');
}

async function exchange(ctx: Context, req: FuzzRequest, endpointIsManagement: boolean): Promise<void> {
  if (ctx.stale || ctx.runsSinceSeed >= RESEED_EVERY) {
    ctx.world = await seedWorld(ctx.server);
    ctx.stale = false;
    ctx.runsSinceSeed = 0;
  }
  ctx.runsSinceSeed++;
  const { world, server } = ctx;
  const url = `${server.baseUrl}${resolve(req.path, world, server.apiKey)}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = resolve(v, world, server.apiKey);
  // Bytes, so that fetch adds no Content-Type of its own: a missing one stays missing.
  const body = req.body === null ? null : typeof req.body === 'string' ? new Uint8Array(Buffer.from(resolve(req.body, world, server.apiKey), 'utf8')) : req.body;
  const what = describeRequest(req.method, url, headers, body);

  let status: number;
  let bytes: Uint8Array;
  try {
    const res = await fetch(url, {
      method: req.method,
      headers,
      ...(body !== null && { body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    status = res.status;
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    const name = (err as { name?: string }).name;
    assert.fail(`${name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)` : `request failed: ${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`}\n${what}`);
  }
  ctx.statuses.set(status, (ctx.statuses.get(status) ?? 0) + 1);
  if (req.method === 'DELETE' && status >= 200 && status < 300) ctx.stale = true;

  const text = Buffer.from(bytes).toString('utf8');
  assert.ok(status < 500, `server error ${status}: ${show(text)}\n${what}`);
  let parsed: unknown;
  if (bytes.length > 0) {
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      assert.fail(`${status} body is not JSON: ${show(text)}\n${what}`);
    }
  }
  if (endpointIsManagement && status >= 400 && req.method !== 'HEAD') {
    const message = (parsed as { message?: unknown } | undefined)?.message;
    assert.equal(typeof message, 'string', `${status} without a string "message": ${show(text)}\n${what}`);
  }
}

// ---------------------------------------------------------------------------
// Arbitraries: strings
// ---------------------------------------------------------------------------

/** Full Unicode (fast-check 4's replacement for fc.fullUnicodeString). */
const unicode = (maxLength = 40) => fc.string({ unit: 'binary', maxLength });
/** Lone UTF-16 surrogates, which JSON.stringify escapes and no UTF-8 encoder can carry. */
const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 4 });
const withNul = fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}\u0000${b}`);
const controlChars = fc.string({ unit: 'binary-ascii', maxLength: 20 });
const huge = fc
  .tuple(fc.constantFrom('a', 'é', '\u0000', '💩', 'ab\n', ' '), fc.integer({ min: 250, max: 70_000 }))
  .map(([unit, n]) => unit.repeat(n));

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: unicode() },
  { weight: 2, arbitrary: withNul },
  { weight: 1, arbitrary: loneSurrogates },
  { weight: 1, arbitrary: controlChars },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u202e', '\ufeff', 'null', 'true', '0', '__proto__', 'constructor', "' OR 1=1 --", '%', '\\', '%00') },
);

const nestedArrays = fc.integer({ min: 1, max: 200 }).map((depth) => {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
});

/** Values of the wrong type (or of the right type but hostile) for any field. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: nestedArrays },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1e308, -0, 2 ** 53 + 1, [], {}, [null], [[]], { uri: 1 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }) },
);

// ---------------------------------------------------------------------------
// Arbitraries: bodies built from the real field names
// ---------------------------------------------------------------------------

const REAL_IDS = PLACEHOLDERS.map((p) => ph(p));
const anyReal = fc.constantFrom(...REAL_IDS);
const domain = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,12}\.test$/),
  fc.constantFrom('example.com', 'EXAMPLE.COM', ' a.test ', 'xn--bcher-kva.example', 'bad domain', '-x.com', 'localhost', 'a..b', 'a.com.', 'ｅｘａｍｐｌｅ.com', 'K.test'),
);
const redirectUri = fc.constantFrom(
  'https://example.com/cb',
  'http://127.0.0.1:3000/cb',
  'http://localhost/cb',
  'http://evil.example/cb',
  'javascript:alert(1)',
  'data:text/html,x',
  'com.example.app:/cb',
  'https://a.test/cb#frag',
  '/relative',
  'https://',
  'https://[::1/',
  'https://exa mple.com/',
  'https://example.com/\ud800',
);

const validish: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.oneof(fc.constant('Acme'), fc.string({ maxLength: 40 })),
  application_type: fc.constantFrom('oauth', 'm2m', 'OAUTH', '', 'saml'),
  is_first_party: fc.boolean(),
  organization_id: fc.oneof({ weight: 3, arbitrary: fc.constant(ph('org')) }, { weight: 1, arbitrary: anyReal }, { weight: 1, arbitrary: fc.constantFrom('org_01ARZ3NDEKTSV4RRFFQ69G5FAV', '') }),
  scopes: fc.array(fc.constantFrom('openid', 'profile', 'read:things', 'bad scope', '"q"', '\\', 'x'.repeat(201)), { maxLength: 5 }),
  redirect_uris: fc.array(fc.record({ uri: redirectUri, default: fc.oneof(fc.boolean(), fc.constant(null), fc.constant('yes')) }, { requiredKeys: ['uri'] }), { maxLength: 4 }),
  uses_pkce: fc.boolean(),
  description: fc.string({ maxLength: 60 }),
  domain_data: fc.array(fc.record({ domain, state: fc.constantFrom<unknown>('pending', 'verified', 'failed', 1, null) }, { requiredKeys: [] }), { maxLength: 4 }),
  domains: fc.array(domain, { maxLength: 4 }),
  metadata: fc.dictionary(fc.string({ maxLength: 45 }), fc.oneof(fc.string({ maxLength: 20 }), fc.constant<unknown>(1), fc.constant<unknown>(null)), { maxKeys: 6 }),
  external_id: fc.oneof(fc.constant(ph('ext')), fc.string({ maxLength: 20 })),
  stripe_customer_id: fc.oneof(fc.constant('cus_fuzz'), fc.string({ maxLength: 20 })),
  allow_profiles_outside_organization: fc.boolean(),
};

const fieldValue = (field: string) => fc.oneof({ weight: 3, arbitrary: validish[field]! }, { weight: 2, arbitrary: hostileValue });

const fieldObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(Object.fromEntries(Object.keys(validish).map((f) => [f, fieldValue(f)])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] }),
    fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), { freq: 4 }),
  )
  .map(([known, extra]) => ({ ...(extra ?? {}), ...known }));

const jsonBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fieldObject.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }).map((v) => JSON.stringify(v)) },
);

/** Bodies that are not (valid, UTF-8, safe) JSON at all. */
const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  // Truncated JSON.
  { weight: 3, arbitrary: fc.tuple(jsonBody, fc.double({ min: 0, max: 1, noNaN: true })).map(([s, f]) => s.slice(0, Math.floor(s.length * f))) },
  // Invalid UTF-8 inside and around JSON.
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('{"name":"', '{"', '["', ''), fc.uint8Array({ maxLength: 40 }), fc.constantFrom(['\xff', '\xc0\xaf', '\xed\xa0\x80', '\xe0\xa4'], ['\x80']), fc.constantFrom('"}', '"]', '', '":1}'))
      .map(([head, random, bad, tail]) => new Uint8Array(Buffer.concat([Buffer.from(head), Buffer.from(random), ...bad.map((b) => Buffer.from(b, 'latin1')), Buffer.from(tail)]))),
  },
  // Prototype poisoning, escaped or not, at the top level or nested.
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"isAdmin":true},"name":"a"}',
      '{"name":"a","__proto__":null}',
      '{"constructor":{"prototype":{"x":1}},"name":"a"}',
      '{"\\u005f_proto__":{"x":1}}',
      '{"metadata":{"__proto__":"x"}}',
      '{"domain_data":[{"__proto__":{"domain":"a.test"},"state":"verified"}]}',
      '[{"__proto__":1}]',
      '{"name":"a","name":1}',
    ),
  },
  // Near-JSON and edge values.
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '\n\t', 'null', 'true', '0', '"s"', '[]', '{}', '1e999', '-', 'NaN', 'undefined', '\ufeff{}', '{"a":1,}', '{/*c*/}', "{'a':1}",
      '{"name":"\\ud800"}', '{"name":"\\u0000"}', '"\\u0000"', '{"name":"a"}garbage', '{"name":"a"}{"name":"b"}', '\u0000', 'name=a&application_type=m2m',
      '--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nAcme\r\n--xyz--\r\n',
    ),
  },
  // Deep nesting, up to the body limit.
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('[', '{"a":', '{"name":[', '{"metadata":{"k":'), fc.integer({ min: 1_000, max: 50_000 })).map(([open, depth]) => {
      const close = open === '[' ? ']' : open === '{"a":' ? '}' : open === '{"name":[' ? ']}' : '}}';
      const s = `${open.repeat(depth)}1${close.repeat(depth)}`;
      return s.length > BODY_LIMIT ? s.slice(0, BODY_LIMIT) : s;
    }),
  },
  // Around the body limit.
  { weight: 1, arbitrary: fc.integer({ min: BODY_LIMIT - 16, max: BODY_LIMIT + 4096 }).map((n) => `{"name":"${'a'.repeat(Math.max(0, n - 11))}"}`) },
  // Random bytes.
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
);

const contentType: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constant(null) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'application/json;',
      'application/json ; charset="utf-8"',
      'application/jsonx',
      'application/vnd.api+json',
      'application/merge-patch+json',
      'text/plain',
      'text/plain; charset=utf-8',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'multipart/form-data; boundary=xyz',
      'application/octet-stream',
      '*/*',
      ';',
      'application/',
      '/json',
      'application/json, text/plain',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 }) },
);

// ---------------------------------------------------------------------------
// Arbitraries: path IDs, query strings, headers
// ---------------------------------------------------------------------------

const encode = (s: string) => encodeURIComponent(s.toWellFormed());
const capped = (s: string) => s.slice(0, MAX_URL_PART);

const realIdFor: Record<IdKind, fc.Arbitrary<string>> = {
  org: fc.constant(ph('org')),
  ext: fc.constant(ph('ext')),
  app: fc.constantFrom(ph('m2m'), ph('m2m_client'), ph('oauth'), ph('oauth_client')),
  secret: fc.constant(ph('secret')),
};

const pathLiteral = fc.constantFrom(
  '%00', '%2F', 'a%2Fb', '%2F%2F', '%2E%2E', '%252F', '%', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%FF', '%C0%AF', '%20', '+', '%0A', '%0D%0A',
  '%7B%7D', 'null', 'undefined', '0', '-1', '%3F', '%23', '%3B', '%40', 'org_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'conn_app_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  'client_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'client_', 'client_%00', 'secret_01ARZ3NDEKTSV4RRFFQ69G5FAV', '%27%20OR%201%3D1--', '%22', '%5C', '%25',
  'external_id', '__proto__', 'constructor', '%F0%9F%92%A9', 'A'.repeat(500), 'A'.repeat(501),
);

const pathId = (kind: IdKind): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: realIdFor[kind] },
    { weight: 1, arbitrary: anyReal },
    { weight: 2, arbitrary: fc.tuple(anyReal, fc.constantFrom('%00', 'x', '%2F', '%20', '%2Fclient_secrets', 'A'.repeat(480)), fc.boolean()).map(([id, m, pre]) => (pre ? m + id : id + m)) },
    { weight: 3, arbitrary: fc.string({ maxLength: 60 }).map(encode) },
    { weight: 3, arbitrary: unicode(60).map(encode) },
    { weight: 1, arbitrary: withNul.map(encode) },
    { weight: 2, arbitrary: pathLiteral },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('A', '%00', '%2F', '%F0%9F%92%A9', '%C3%A9', '%'), fc.integer({ min: 100, max: 2_000 }))
        .map(([u, n]) => capped(u.repeat(n))),
    },
  );

const QUERY_KEYS = ['limit', 'order', 'before', 'after', 'organization_id', 'domains', 'search'] as const;

const queryValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 200 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('asc', 'desc', 'normal', 'ASC', '', '1e2', '0x10', '%205', '5.0', '99999999999999999999', 'true', '[]', '{}') },
  { weight: 3, arbitrary: anyReal },
  { weight: 2, arbitrary: fc.array(domain, { minLength: 1, maxLength: 5 }).map((ds) => ds.map(encode).join(',')) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }).map(encode) },
  { weight: 3, arbitrary: unicode().map(encode) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 10 }).map(encode), fc.constantFrom('%00', '%00%00', 'x%00')).map(([a, b]) => a + b) },
  { weight: 2, arbitrary: fc.tuple(anyReal, fc.constantFrom('%00', '%00x', 'Z', '%')).map(([id, m]) => id + m) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%G1', '%E0%A4', '%FF%FE', '%C0%80', '%ED%A0%80', '+', '%2B', '%26', '%3D', '%25%30%30', '%') },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('a', '%00', 'a.test%2C', ',', '%F0%9F%92%A9'), fc.integer({ min: 50, max: 1_500 })).map(([u, n]) => capped(u.repeat(n))),
  },
);

const queryKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...QUERY_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'limit[]', 'order[0]', 'domains[]', '', '%00', 'LIMIT', 'search%00') },
  { weight: 1, arbitrary: unicode(10).map(encode) },
);

const queryString: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(
      fc.tuple(queryKey, queryValue, fc.constantFrom('=', '=', '=', '', '==')).map(([k, v, eq]) => (eq === '' ? k : `${k}${eq}${v}`)),
      { maxLength: 8 },
    ),
    fc.constantFrom('&', '&', '&', '&&', ';'),
    fc.boolean(),
  )
  .map(([pairs, sep, trailing]) => capped(`?${pairs.join(sep)}${trailing ? sep : ''}`));

/** Header values fetch will send: Latin-1 without NUL, CR or LF. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength });

const authorization: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(`Bearer ${ph('key')}`) },
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'Bearer',
      'Bearer ',
      `bearer ${ph('key')}`,
      `BEARER    ${ph('key')}  `,
      `Bearer\t${ph('key')}`,
      `Bearer ${ph('key')}x`,
      `Bearer ${ph('key')} extra`,
      `Bearer  Bearer ${ph('key')}`,
      `Token ${ph('key')}`,
      `Basic ${Buffer.from('sk_test:').toString('base64')}`,
      `Basic ${ph('key')}`,
      ph('key'),
      'Bearer sk_',
      `Bearer sk_${'a'.repeat(29)}`,
      `Bearer sk_${'a'.repeat(200)}`,
      `Bearer sk_${'a'.repeat(201)}`,
      `Bearer sk_${'a'.repeat(6000)}`,
      'Bearer ' + 'é'.repeat(40),
    ),
  },
  { weight: 2, arbitrary: headerText(80) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Bearer ', 'Bearer sk_', 'Basic '), headerText(80)).map(([a, b]) => a + b) },
);

const idempotencyKey: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3') },
  { weight: 2, arbitrary: headerText(40) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(5000), 'ÿ'.repeat(255)) },
);

const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    accept: fc.constantFrom('application/json', 'text/html', '*/*', '', 'application/xml;q=0.9, */*;q=0.1'),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity', 'x, y;q=2'),
    'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'deflate', 'x'),
    'x-request-id': headerText(60),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1'),
    origin: fc.constantFrom('https://evil.example', 'null'),
    'x-http-method-override': fc.constantFrom('DELETE', 'PUT', 'PATCH'),
  },
  { requiredKeys: [] },
);

// ---------------------------------------------------------------------------
// Request builders
// ---------------------------------------------------------------------------

interface Parts {
  readonly endpoint: Endpoint;
  readonly method?: string;
  readonly id?: string;
  readonly query?: string;
  readonly auth?: string | null;
  readonly idempotencyKey?: string | null;
  readonly contentType?: string | null;
  readonly body?: string | Uint8Array | null;
  readonly extra?: Record<string, string>;
}

interface Case {
  readonly endpoint: Endpoint;
  readonly request: FuzzRequest;
}

function build(p: Parts): Case {
  const path = p.endpoint.template.replace(':id', p.id ?? ph(p.endpoint.idKind === 'app' ? 'oauth' : p.endpoint.idKind ?? 'org'));
  const headers: Record<string, string> = { ...p.extra };
  const auth = p.auth === undefined ? `Bearer ${ph('key')}` : p.auth;
  if (auth !== null) headers.authorization = auth;
  if (p.idempotencyKey != null) headers['idempotency-key'] = p.idempotencyKey;
  const body = p.body ?? null;
  if (body !== null && p.contentType != null) headers['content-type'] = p.contentType;
  const c: Case = { endpoint: p.endpoint, request: { method: p.method ?? p.endpoint.method, path: path + (p.query ?? ''), headers, body } };
  // Counterexamples can carry 256 KiB bodies: fast-check prints this summary instead.
  Object.defineProperty(c, fc.toStringMethod, { value: () => summarize(c.request), enumerable: false });
  return c;
}

function summarize(r: FuzzRequest): string {
  const body = r.body === null ? '' : typeof r.body === 'string' ? ` body=${show(r.body, 200)}` : ` body=bytes:${Buffer.from(r.body).subarray(0, 100).toString('hex')} (${r.body.length} bytes)`;
  const headers = Object.entries(r.headers).map(([k, v]) => `${k}=${show(v, 80)}`).join(' ');
  return `${r.method} ${r.path.length > 300 ? `${r.path.slice(0, 300)}...(${r.path.length} chars)` : r.path} [${headers}]${body}`;
}

const endpointOf = (list: readonly Endpoint[]) => fc.constantFrom(...list);
const idFor = (e: Endpoint) => (e.idKind === null ? fc.constant(undefined) : pathId(e.idKind));
const maybeJsonBody = fc.option(jsonBody, { freq: 2, nil: null });

/** 1. JSON values and field-shaped objects on every route that takes a body. */
const jsonBodyCase: fc.Arbitrary<Case> = endpointOf(WITH_BODY).chain((endpoint) =>
  fc
    .record({
      id: endpoint.idKind === null ? fc.constant(undefined) : fc.oneof({ weight: 4, arbitrary: realIdFor[endpoint.idKind] }, { weight: 1, arbitrary: pathId(endpoint.idKind) }),
      body: jsonBody,
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8'),
      idempotencyKey,
    })
    .map((r) => build({ endpoint, ...(r.id !== undefined && { id: r.id }), body: r.body, contentType: r.contentType, idempotencyKey: r.idempotencyKey })),
);

/** 2. Malformed raw bodies under random content types. */
const rawBodyCase: fc.Arbitrary<Case> = endpointOf(WITH_BODY).chain((endpoint) =>
  fc
    .record({ id: idFor(endpoint), body: fc.oneof({ weight: 3, arbitrary: rawBody }, { weight: 1, arbitrary: jsonBody }), contentType, idempotencyKey })
    .map((r) => build({ endpoint, ...(r.id !== undefined && { id: r.id }), body: r.body, contentType: r.contentType, idempotencyKey: r.idempotencyKey })),
);

/** 3. Query strings on every GET (the two lists above all). */
const queryCase: fc.Arbitrary<Case> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...GETS.filter((e) => e.idKind === null && e.management)) },
    { weight: 1, arbitrary: endpointOf(GETS) },
  )
  .chain((endpoint) => fc.record({ id: idFor(endpoint), query: queryString }).map((r) => build({ endpoint, ...(r.id !== undefined && { id: r.id }), query: r.query })));

/** 4. Path IDs on every route that has one, with and without a plausible body. */
const pathIdCase: fc.Arbitrary<Case> = endpointOf(WITH_ID).chain((endpoint) =>
  fc
    .record({ id: pathId(endpoint.idKind!), body: endpoint.method === 'GET' ? fc.constant(null) : maybeJsonBody })
    .map((r) => build({ endpoint, id: r.id, body: r.body, contentType: 'application/json' })),
);

/** 5. Authorization, Idempotency-Key and other headers, on every route and some methods no route has. */
const headerCase: fc.Arbitrary<Case> = endpointOf(ENDPOINTS).chain((endpoint) =>
  fc
    .record({
      method: fc.oneof({ weight: 8, arbitrary: fc.constant(endpoint.method) }, { weight: 1, arbitrary: fc.constantFrom<Method>('PATCH', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'POST') }),
      id: idFor(endpoint),
      auth: authorization,
      idempotencyKey,
      extra: extraHeaders,
      body: maybeJsonBody,
      contentType,
    })
    .map((r) =>
      build({
        endpoint,
        method: r.method,
        ...(r.id !== undefined && { id: r.id }),
        auth: r.auth,
        idempotencyKey: r.idempotencyKey,
        extra: r.extra,
        body: r.method === 'GET' || r.method === 'HEAD' ? null : r.body,
        contentType: r.contentType,
      }),
    ),
);

/** Fixed cases each property always runs first, so every route sees the classic nasties. */
function examples(): Record<string, Case[]> {
  const deep = `${'['.repeat(60_000)}${']'.repeat(60_000)}`;
  const json = (endpoint: Endpoint) => build({ endpoint, ...(endpoint.method !== 'GET' && { body: '{"name":"Fuzz"}', contentType: 'application/json' }) });
  return {
    json: WITH_BODY.map((endpoint) => build({ endpoint, body: '{"name":"\\u0000","metadata":{"k\\u0000":"v"},"scopes":[[[]]]}', contentType: 'application/json' })),
    raw: WITH_BODY.flatMap((endpoint) => [
      build({ endpoint, body: '{"name":', contentType: 'application/json' }),
      build({ endpoint, body: '{"__proto__":{"x":1}}', contentType: 'application/json' }),
      build({ endpoint, body: deep, contentType: 'application/json', idempotencyKey: 'fuzz-deep' }),
      build({ endpoint, body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), contentType: 'application/json' }),
      build({ endpoint, body: 'name=a', contentType: 'application/x-www-form-urlencoded' }),
      build({ endpoint, body: '{}', contentType: null }),
    ]),
    query: GETS.flatMap((endpoint) => [
      build({ endpoint, query: '?limit=%00&order=%00&before=%00&after=%00&organization_id=%00&domains=%00&search=%00' }),
      build({ endpoint, query: `?before=${ph('org')}%00` }),
      build({ endpoint, query: `?after=${ph('m2m')}%00` }),
      build({ endpoint, query: '?limit=1&limit=2&order=asc&order=desc&domains=a.test&domains=b.test&search=a&search=b' }),
    ]),
    path: WITH_ID.flatMap((endpoint) => [
      build({ endpoint, id: '%00' }),
      build({ endpoint, id: 'a%2Fb' }),
      build({ endpoint, id: 'A'.repeat(600) }),
      build({ endpoint, id: '%E0%A4%A' }),
      json(endpoint),
    ]),
    header: ENDPOINTS.flatMap((endpoint) => [
      build({ endpoint, auth: null }),
      build({ endpoint, auth: 'Basic Zm9vOmJhcg==' }),
      build({ endpoint, auth: 'Bearer garbage' }),
      build({ endpoint, idempotencyKey: 'x'.repeat(256) }),
    ]),
  };
}

// ---------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------

for (const dialect of DIALECTS) {
  describe(`management API fuzzing (${dialect})`, dialectSuite(dialect), () => {
    const ctx = {} as Context;
    const fixed = examples();

    before(async () => {
      ctx.server = await startServer(dialect);
      ctx.world = await seedWorld(ctx.server);
      ctx.stale = false;
      ctx.runsSinceSeed = 0;
      ctx.statuses = new Map();
    });
    after(async () => {
      await ctx.server?.close();
    });

    const property = (name: string, arb: fc.Arbitrary<Case>, cases: Case[] | undefined) =>
      it(name, async (t) => {
        ctx.statuses = new Map();
        await fc.assert(
          fc.asyncProperty(arb, async (c) => exchange(ctx, c.request, c.endpoint.management)),
          { numRuns: RUNS, examples: (cases ?? []).map((c) => [c] as [Case]) },
        );
        t.diagnostic(`statuses: ${[...ctx.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
      });

    property('random JSON values and field-shaped bodies on every write route', jsonBodyCase, fixed.json);
    property('malformed raw bodies and random content types', rawBodyCase, fixed.raw);
    property('random query strings on every GET route', queryCase, fixed.query);
    property('random path IDs on every route with an ID', pathIdCase, fixed.path);
    property('random Authorization, Idempotency-Key and other headers on every route', headerCase, fixed.header);

    it('the server is still healthy afterwards', async () => {
      for (const path of ['/health', '/health/ready']) {
        const res = await fetch(`${ctx.server.baseUrl}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        assert.equal(res.status, 200, path);
        assert.deepEqual(await res.json(), { status: 'ok' });
      }
      const res = await api(ctx.server, '/organizations?limit=1');
      assert.equal(res.status, 200);
    });
  });
}
