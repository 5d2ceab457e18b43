// Issue #4: the oracle of GET /oauth2/authorize (moved out of test/fuzz/authorize-fuzz.test.ts by
// issue #9). From the request alone (the RFCs and the documented behaviour, not the
// implementation) it computes whether client and redirect URI are established (else an HTML error
// page, never a redirect), whether the request is valid (else an error redirect, with the error of
// what is wrong), whether a browser session exists (else the login page), and which cookies the
// answer may set; checkAuthorize sends the case and asserts that answer. Parameters sent empty are
// omitted (RFC 6749 §3.1); where the RFCs leave room (a repeated cookie, a zero-padded loopback
// port) either answer is accepted, never a 5xx and never a foreign Location.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { show } from '../support/harness.ts';
import { resolve } from '../support/placeholders.ts';
import type { AuthorizeCase } from '../authorize/authorize-cases.ts';
import { assertBindingLine, bindingLines, bindingName, cookieValue, renderCookie, type CookiePart } from '../authorize/cookies.ts';
import { applyEdits, encodePairs, grouped, one, type Pair } from '../authorize/params.ts';
import { assertClientRedirect, assertErrorDescription, assertPage, count, redirectAllowed, send, serverStep, tag, type Reply } from '../authorize/replies.ts';
import { MAX_REQUEST_HEAD, placeholders, SAME_RESOURCE, type Client, type Tri, type World } from '../authorize/world.ts';

export type Outcome = 'login' | 'page' | 'code' | 'error';

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

export async function checkAuthorize(w: World, c: AuthorizeCase): Promise<void> {
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
