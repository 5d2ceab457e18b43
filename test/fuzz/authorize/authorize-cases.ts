// Issue #4: the generated GET /oauth2/authorize requests: a valid request for one of the two OAuth
// clients, then edits of its parameters (redirect URIs and their near misses, hostile values of
// every parameter), junk parameters and session cookies (moved out of
// test/fuzz/authorize-fuzz.test.ts by issue #9).
import fc from 'fast-check';
import { b64url, headerSafe, junkSegments, repeated, unicode, withNulInside } from '../support/arbitraries.ts';
import { cookie, type CookiePart } from './cookies.ts';
import { editsOf, type Edit, type Pair } from './params.ts';
import { ALL_REDIRECTS, CHALLENGE, CONF_REDIRECTS, ph, PUB_REDIRECTS, RESOURCE, SAME_RESOURCE } from './world.ts';

const withNul = withNulInside(8);

export interface AuthorizeCase {
  readonly base: readonly Pair[];
  readonly edits: readonly Edit[];
  readonly junk: readonly string[];
  readonly cookie: readonly CookiePart[];
}

export function nearMisses(uri: string): string[] {
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

export const port = fc.integer({ min: 1, max: 65_535 });

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

export const authorizeCase: fc.Arbitrary<AuthorizeCase> = fc.record({
  base: authorizeBase,
  edits: editsOf(authorizeValues, AUTHORIZE_WEIGHTS, 4),
  junk: fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: junkSegments }),
  cookie: sessionCookie,
});
