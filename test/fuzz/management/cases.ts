// Issue #2: the generated cases of the management fuzz suite: JSON and raw bodies on every write
// route, query strings on every GET, path IDs on every route with one, and Authorization,
// Idempotency-Key and other headers on every route (moved out of test/fuzz/management-fuzz.test.ts
// by issue #9).
import fc from 'fast-check';
import { encode, headerText, unicode } from '../support/arbitraries.ts';
import { anyReal, contentType, domain, jsonBody, rawBody, withNul } from './bodies.ts';
import { build, ENDPOINTS, GETS, MAX_URL_PART, ph, WITH_BODY, WITH_ID, type Case, type Endpoint, type IdKind, type Method } from './requests.ts';

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


const endpointOf = (list: readonly Endpoint[]) => fc.constantFrom(...list);
const idFor = (e: Endpoint) => (e.idKind === null ? fc.constant(undefined) : pathId(e.idKind));
const maybeJsonBody = fc.option(jsonBody, { freq: 2, nil: null });

/** 1. JSON values and field-shaped objects on every route that takes a body. */
export const jsonBodyCase: fc.Arbitrary<Case> = endpointOf(WITH_BODY).chain((endpoint) =>
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
export const rawBodyCase: fc.Arbitrary<Case> = endpointOf(WITH_BODY).chain((endpoint) =>
  fc
    .record({ id: idFor(endpoint), body: fc.oneof({ weight: 3, arbitrary: rawBody }, { weight: 1, arbitrary: jsonBody }), contentType, idempotencyKey })
    .map((r) => build({ endpoint, ...(r.id !== undefined && { id: r.id }), body: r.body, contentType: r.contentType, idempotencyKey: r.idempotencyKey })),
);

/** 3. Query strings on every GET (the two lists above all). */
export const queryCase: fc.Arbitrary<Case> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...GETS.filter((e) => e.idKind === null && e.management)) },
    { weight: 1, arbitrary: endpointOf(GETS) },
  )
  .chain((endpoint) => fc.record({ id: idFor(endpoint), query: queryString }).map((r) => build({ endpoint, ...(r.id !== undefined && { id: r.id }), query: r.query })));

/** 4. Path IDs on every route that has one, with and without a plausible body. */
export const pathIdCase: fc.Arbitrary<Case> = endpointOf(WITH_ID).chain((endpoint) =>
  fc
    .record({ id: pathId(endpoint.idKind!), body: endpoint.method === 'GET' ? fc.constant(null) : maybeJsonBody })
    .map((r) => build({ endpoint, id: r.id, body: r.body, contentType: 'application/json' })),
);

/** 5. Authorization, Idempotency-Key and other headers, on every route and some methods no route has. */
export const headerCase: fc.Arbitrary<Case> = endpointOf(ENDPOINTS).chain((endpoint) =>
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

