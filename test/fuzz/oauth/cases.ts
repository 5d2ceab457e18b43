// Issue #3: the generated cases of the OAuth fuzz suite's generic properties: form bodies, raw
// bodies, Authorization headers (and other headers), the public GETs, and every method on every
// endpoint with near misses of every path (moved out of test/fuzz/oauth-fuzz.test.ts by issue #9).
import fc from 'fast-check';
import { encode, headerText, unicode, withNulInside } from '../support/arbitraries.ts';
import { FORM } from '../support/config.ts';
import { BASE, contentType, formBody, hostileText, rawBody, tweaked } from './forms.ts';
import { basic, build, GETS, INTROSPECTION, isPost, MAX_HEADER_PART, ph, POSTS, REVOKE, TOKEN, type Auth, type Body, type Case, type Endpoint, type GetPath, type PostPath } from './requests.ts';

const withNul = withNulInside(10);

const basicScheme = fc.constantFrom('Basic ', 'Basic ', 'Basic ', 'basic ', 'BASIC ', 'Basic  ', 'Basic\t', 'Basic', 'Bearer ', ' Basic ');

export const authorization: fc.Arbitrary<Auth> = fc.oneof(
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


export const postEndpoint = fc.constantFrom<PostPath>(...POSTS);

/** 1. Form bodies from the real parameter names, on the three POST endpoints. */
export const formCase: fc.Arbitrary<Case> = postEndpoint.chain((endpoint) =>
  fc
    .record({ body: formBody(endpoint), auth: fc.oneof({ weight: 3, arbitrary: fc.constant<Auth>(null) }, { weight: 3, arbitrary: authorization }), contentType: fc.oneof({ weight: 6, arbitrary: fc.constant(FORM) }, { weight: 1, arbitrary: contentType }) })
    .map((r) => build({ endpoint, ...r })),
);

/** 2. Malformed raw bodies under random content types. */
export const rawCase: fc.Arbitrary<Case> = postEndpoint.chain((endpoint) =>
  fc
    .record({ body: fc.oneof({ weight: 3, arbitrary: rawBody }, { weight: 1, arbitrary: formBody(endpoint) }), auth: fc.oneof(fc.constant<Auth>(null), authorization), contentType })
    .map((r) => build({ endpoint, ...r })),
);

/** 3. Authorization headers (and other headers), with plausible bodies. */
export const authCase: fc.Arbitrary<Case> = postEndpoint.chain((endpoint) =>
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
export const getCase: fc.Arbitrary<Case> = fc
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
export const methodCase: fc.Arbitrary<Case> = fc.constantFrom<Endpoint>(...POSTS, ...GETS).chain((endpoint) =>
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


/** 8. Failing credentials (mostly), on a server with the default throttle. */
const failing = fc.constantFrom(basic(ph('m2m'), 'wrong-secret'), basic(ph('m2m'), `${ph('m2m_secret')}x`), basic('client_unknown', 'x'), basic(ph('oauth'), 'wrong'));
export const throttledCase: fc.Arbitrary<Case> = postEndpoint.chain((endpoint) =>
  fc
    .record({
      auth: fc.oneof({ weight: 3, arbitrary: failing }, { weight: 2, arbitrary: authorization }, { weight: 1, arbitrary: fc.constant<Auth>(null) }),
      body: fc.oneof({ weight: 2, arbitrary: fc.constant<Body>({ form: BASE[endpoint].filter((x) => x.key !== 'client_secret' && x.key !== 'client_id'), sep: '&' }) }, { weight: 1, arbitrary: formBody(endpoint) }),
    })
    .map((r) => build({ endpoint, ...r })),
);
