// Issue #3: form bodies for the token, introspection and revocation endpoints: built from the real
// parameter names (and spellings that decode to them), hostile values, repeats, and raw bodies that
// are not well-formed forms or are too big; the content types they are sent with (moved out of
// test/fuzz/oauth-fuzz.test.ts by issue #9).
import fc from 'fast-check';
import { encode, unicode, visibleAscii, withNulInside } from '../support/arbitraries.ts';
import { FORM, FORM_LIMIT } from '../support/config.ts';
import { tokenValue } from './mutations.ts';
import { p, ph, type Body, type Pair, type PostPath, type Value, INTROSPECTION, REVOKE, TOKEN } from './requests.ts';

const withNul = withNulInside(10);

/** Encoded text that is not a valid (or not a sensible) percent-encoding. */
export const badPercent = fc.constantFrom('%', '%Z', '%ZZ', '%G1', '%%', '%2', '%E0%A4', '%E0%A4%A', '%FF', '%FF%FE', '%C0%AF', '%C0%80', '%ED%A0%80', '%F4%90%80%80', '%25', '%2525', '%0', '%u0041');

/** Huge encoded values, on both sides of the 64 KiB form limit. */
const hugeText = fc
  .tuple(fc.constantFrom('a', '%00', '%C3%A9', '%F0%9F%92%A9', '+', '%2B', '.', '%ZZ', '='), fc.integer({ min: 1_000, max: 72_000 }))
  .map(([unit, n]) => unit.repeat(Math.max(1, Math.floor(n / unit.length))));

/** Hostile encoded values for any parameter. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
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
export const tweaked = (value: string) =>
  fc.constantFrom(`${value}%00`, `%00${value}`, `${value}%20`, `%20${value}`, `${value}x`, `${value}+`, value.toUpperCase(), value.slice(0, -1), `${value}${value}`, `${value}%`);

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

const m2mPost = [p('client_id', { text: ph('m2m') }), p('client_secret', { text: ph('m2m_secret') })];

/** The parameters a plausible request to each endpoint carries; fuzzed bodies keep a random subset of them. */
export const BASE: Record<PostPath, readonly Pair[]> = {
  [TOKEN]: [p('grant_type', { text: 'client_credentials' }), ...m2mPost, p('scope', { text: 'read' })],
  [INTROSPECTION]: [p('token', { token: [], enc: 'component' }), ...m2mPost],
  [REVOKE]: [p('token', { token: [], enc: 'component' }), ...m2mPost, p('token_type_hint', { text: 'access_token' })],
};

export const formBody = (endpoint: PostPath): fc.Arbitrary<Body> =>
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
export const rawBody: fc.Arbitrary<Body> = fc
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

export const contentType: fc.Arbitrary<string | null> = fc.oneof(
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
  { weight: 1, arbitrary: visibleAscii(40) },
);

