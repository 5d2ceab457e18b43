// Issue #2: bodies for the management routes: JSON values, objects built from the real field names
// with plausible and hostile values, and raw bodies that are not (valid, UTF-8, safe) JSON; the
// content types they are sent with (moved out of test/fuzz/management-fuzz.test.ts by issue #9).
import fc from 'fast-check';
import { unicode, visibleAscii, withNulInside } from '../support/arbitraries.ts';
import { BODY_LIMIT, PLACEHOLDERS, ph } from './requests.ts';

export const withNul = withNulInside(10);

/** Lone UTF-16 surrogates, which JSON.stringify escapes and no UTF-8 encoder can carry. */
const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 4 });
const controlChars = fc.string({ unit: 'binary-ascii', maxLength: 20 });
const huge = fc
  .tuple(fc.constantFrom('a', 'é', '\u0000', '💩', 'ab\n', ' '), fc.integer({ min: 250, max: 70_000 }))
  .map(([unit, n]) => unit.repeat(n));

export const hostileString = fc.oneof(
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
export const anyReal = fc.constantFrom(...REAL_IDS);
export const domain = fc.oneof(
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
  // Issue #13: webhook endpoints and secret expiry.
  endpoint_url: fc.oneof(redirectUri, fc.constantFrom('https://hooks.example.com/h', 'https://127.0.0.1/h', 'https://[fe80::1]/h', 'https://169.254.169.254/', 'https://u:p@h.example.com/')),
  events: fc.array(fc.constantFrom('organization.created', 'user.created', 'connect_application_secret.expiring', 'dsync.user.created', 'nope', '', 'organization.created\u0000'), { maxLength: 6 }),
  status: fc.constantFrom('enabled', 'disabled', 'ENABLED', '', 'gone'),
  expires_in: fc.oneof(fc.integer({ min: -10, max: 4_000_000_000 }), fc.constantFrom<unknown>(0.5, '60', 1e308)),
  expires_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('2999-01-01T00:00:00Z', '2020-01-01T00:00:00.000Z', 'tomorrow', '2026-13-40T99:99:99Z', '+275760-09-13T00:00:00.000Z')),
};

const fieldValue = (field: string) => fc.oneof({ weight: 3, arbitrary: validish[field]! }, { weight: 2, arbitrary: hostileValue });

const fieldObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(Object.fromEntries(Object.keys(validish).map((f) => [f, fieldValue(f)])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] }),
    fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), { freq: 4 }),
  )
  .map(([known, extra]) => ({ ...(extra ?? {}), ...known }));

export const jsonBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fieldObject.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }).map((v) => JSON.stringify(v)) },
);

/** Bodies that are not (valid, UTF-8, safe) JSON at all. */
export const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
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

export const contentType: fc.Arbitrary<string | null> = fc.oneof(
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
  { weight: 1, arbitrary: visibleAscii(30) },
);

