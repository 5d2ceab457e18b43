// Issue #4: the fixed cases each property of the authorization fuzz suite runs first (fast-check
// `examples`: they take the first of the property's runs). Moved out of
// test/fuzz/authorize-fuzz.test.ts by issue #9.
import { FORM, FORM_LIMIT } from '../support/config.ts';
import type { AuthorizeCase } from './authorize-cases.ts';
import { cookie, type CookiePart } from './cookies.ts';
import type { Mint } from './grants.ts';
import { bound, PAGE_BASE, type PageCase, type PageEndpoint } from './page-cases.ts';
import type { Edit, Pair } from './params.ts';
import type { Auth, CodeCase, RefreshCase, TokenCase } from './token-cases.ts';
import { CHALLENGE, CONF_REDIRECTS, ph, PUB_REDIRECTS, RESOURCE } from './world.ts';

export const confBase: Pair[] = [['client_id', ph('conf')], ['redirect_uri', CONF_REDIRECTS[0]], ['response_type', 'code'], ['scope', 'openid'], ['state', 'xyz']];
const pubBase: Pair[] = [['client_id', ph('pub')], ['redirect_uri', PUB_REDIRECTS[0]], ['response_type', 'code'], ['scope', 'openid'], ['state', 'xyz'], ['code_challenge', CHALLENGE], ['code_challenge_method', 'S256']];
export const signedIn = [cookie('portico_session', ph('session_a'))];
export const set = (name: string, value: string): Edit => ({ op: 'set', name, value });
export const add = (name: string, value: string): Edit => ({ op: 'add', name, value });

export const AUTHORIZE_EXAMPLES: AuthorizeCase[] = [
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

export const PAGE_EXAMPLES: PageCase[] = [
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

export const TOKEN_EXAMPLES: TokenCase[] = [
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

