// Issue #4 (browser binding and the development login's CSRF: issue #7): the generated requests
// to the page steps (consent, organization, continue, complete and the development login): a
// valid request of each step, then edits of its fields, the binding cookies of other
// interactions and near misses of them, other content types and raw bodies (moved out of
// test/fuzz/authorize-fuzz.test.ts by issue #9).
import fc from 'fast-check';
import { b64url, headerSafe, junkSegments, repeated, unicode, withNulInside } from '../support/arbitraries.ts';
import { FORM, FORM_LIMIT } from '../support/config.ts';
import { cookie, type CookiePart } from './cookies.ts';
import { applyEdits, editsOf, type Pair } from './params.ts';
import { ph } from './world.ts';

const withNul = withNulInside(8);

export type PageEndpoint = 'GET consent' | 'POST consent' | 'GET organization' | 'POST organization' | 'GET continue' | 'GET complete' | 'GET login' | 'POST login';

export const PAGE_PATHS: Record<PageEndpoint, string> = {
  'GET consent': '/oauth2/authorize/consent',
  'POST consent': '/oauth2/authorize/consent',
  'GET organization': '/oauth2/authorize/organization',
  'POST organization': '/oauth2/authorize/organization',
  'GET continue': '/oauth2/authorize/continue',
  'GET complete': '/oauth2/authorize/complete',
  'GET login': '/dev/login',
  'POST login': '/dev/login',
};

export interface PageCase {
  readonly endpoint: PageEndpoint;
  readonly pairs: readonly Pair[];
  readonly junk: readonly string[];
  readonly cookie: readonly CookiePart[];
  readonly contentType: string | null;
  /** A raw body instead of the form (POST). */
  readonly raw: string | Uint8Array | null;
}

export const VALID_EMAILS = ['fuzz-dev@example.test', ' Fuzz-Dev@Example.TEST ', 'dev+tag@example.test', 'd@sub.example.test'];
export const INVALID_EMAILS = ['nope', 'a@b', '@example.test', 'a@', 'a b@example.test', 'a\u0000@example.test', `${'x'.repeat(65)}@example.test`, 'a@-example.test', '"a"@example.test'];
export const VALID_NAMES = ['Ada', 'Grace Hopper', 'Zo\u00eb', "O'Brien"];
export const INVALID_NAMES = ['a\nb', 'a\u0000b', 'tab\there', 'x'.repeat(256), '\u007f'];

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
export const bound = (slot: 'consent' | 'org' | 'finished' | 'resume' | 'spent' | 'pending') => cookie(ph(`${slot}_cookie`), ph(`${slot}_binding`));

export const PAGE_BASE: Record<PageEndpoint, { pairs: Pair[]; cookie: CookiePart[] }> = {
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

export const pageCase: fc.Arbitrary<PageCase> = fc.constantFrom<PageEndpoint>(...(Object.keys(PAGE_PATHS) as PageEndpoint[])).chain((endpoint) => {
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
