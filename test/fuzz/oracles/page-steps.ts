// Issue #4 (browser binding and the development login's CSRF: issue #7): the oracle of the page
// steps (moved out of test/fuzz/authorize-fuzz.test.ts by issue #9). A step answers a page, a
// redirect to the next step or to the client only for a live interaction bound to this browser
// (its own binding cookie), with its CSRF token on a POST, or for a live resume link in the browser
// that started the authorization; everything else is an error page, never a redirect. Only a
// followed resume link signs a browser in; no step binds one. checkPage replaces the pool's used
// objects first, sends the case and asserts that answer.
import assert from 'node:assert/strict';
import { FORM, FORM_LIMIT } from '../support/config.ts';
import { show } from '../support/harness.ts';
import { resolve } from '../support/placeholders.ts';
import { bindingLines, cookieValue, renderCookie } from '../authorize/cookies.ts';
import { INVALID_EMAILS, INVALID_NAMES, PAGE_PATHS, VALID_EMAILS, VALID_NAMES, type PageCase } from '../authorize/page-cases.ts';
import { encodePairs, grouped, type Pair } from '../authorize/params.ts';
import { assertClientRedirect, assertPage, count, send, SERVER_STEPS, serverStep, tag } from '../authorize/replies.ts';
import { reseed } from '../authorize/seed.ts';
import { placeholders, type Binding, type Bound, type Client, type Slot, type Tri, type World } from '../authorize/world.ts';

type PageOutcome = 'page' | 'refused' | 'server-redirect' | 'client-redirect';

interface PageExpectation {
  readonly outcomes: ReadonlySet<PageOutcome>;
  /** For a client redirect: where to, and with what. */
  readonly target: { client: Client; redirectUri: string; state: string; result: 'code' | 'access_denied' } | null;
  /** The slot an answer other than an error page may have used up. */
  readonly uses: Slot | null;
  readonly why: string;
}

/** A form value as Portico's form reader sees it: empty values omitted (RFC 6749 §3.1), repeats refused. */
function formValue(form: Map<string, string[]>, name: string): string | undefined | 'repeated' {
  const values = (form.get(name) ?? []).filter((v) => v !== '');
  return values.length > 1 ? 'repeated' : values[0];
}

function expectPage(w: World, c: PageCase, query: Map<string, string[]>, form: Map<string, string[]> | null, values: Record<string, string>): PageExpectation {
  const pool = w.pool;
  const live = new Map<string, { slot: 'consent' | 'org'; bound: Bound }>([
    [pool.consent.id, { slot: 'consent', bound: pool.consent }],
    [pool.org.id, { slot: 'org', bound: pool.org }],
  ]);
  const refused = (why: string): PageExpectation => ({ outcomes: new Set(['refused']), target: null, uses: null, why });
  /** Does this browser hold the binding cookie of interaction `b` (its own name, its value)? */
  const holds = (b: Binding): Tri => {
    const value = cookieValue(c.cookie, b.cookieName, values);
    return value === 'ambiguous' ? 'either' : value === b.binding;
  };
  /** The interaction is live, past the login, and bound to this browser's cookie (RFC 9700 §4.7: CSRF). */
  const boundTo = (id: string | undefined): { tri: Tri; slot: 'consent' | 'org' | null; bound: Bound | null } => {
    const hit = id === undefined ? undefined : live.get(id);
    if (!hit) return { tri: false, slot: null, bound: null };
    return { tri: holds(hit.bound), slot: hit.slot, bound: hit.bound };
  };
  const queryOne = (name: string) => {
    const all = query.get(name) ?? [];
    return all.length === 1 ? all[0] : undefined;
  };
  const widen = (e: PageExpectation, tri: Tri): PageExpectation => (tri === 'either' ? { ...e, outcomes: new Set([...e.outcomes, 'refused']), why: `${e.why} (cookie sent twice: either)` } : e);

  switch (c.endpoint) {
    case 'GET consent':
    case 'GET organization': {
      const b = boundTo(queryOne('interaction'));
      if (b.tri === false) return refused('not a live interaction bound to this browser');
      return widen({ outcomes: new Set(['page']), target: null, uses: null, why: 'bound interaction' }, b.tri);
    }
    case 'GET continue': {
      const b = boundTo(queryOne('interaction'));
      if (b.tri === false || !b.bound) return refused('not a live interaction bound to this browser');
      const target = { client: b.bound.client, redirectUri: b.bound.redirectUri, state: b.bound.state, result: 'code' as const };
      return widen({ outcomes: new Set(['server-redirect', 'client-redirect']), target, uses: b.slot, why: 'bound interaction' }, b.tri);
    }
    case 'GET complete': {
      if (queryOne('state') !== pool.resume.token) return refused('not a live resume link');
      // Login CSRF: the link works only in the browser that started the authorization.
      const r = pool.resume;
      const tri = holds(r);
      if (tri === false) return refused('a live resume link, but not in the browser that started the authorization (no binding cookie)');
      const target = { client: r.client, redirectUri: r.redirectUri, state: r.state, result: 'code' as const };
      return widen({ outcomes: new Set(['server-redirect', 'client-redirect']), target, uses: 'resume', why: 'live resume link in its own browser' }, tri);
    }
    case 'GET login': {
      if (queryOne('external_auth_id') !== pool.pending.id) return refused('not a pending login');
      // Issue #7: the development login page is served only to the browser that started the authorization.
      const tri = holds(pool.pending);
      if (tri === false) return refused('a pending login, but not in the browser that started it');
      return widen({ outcomes: new Set(['page']), target: null, uses: null, why: 'pending login in its own browser' }, tri);
    }
    default:
      break;
  }
  if (form === null) return refused('the body is not a form');
  const get = (name: string) => formValue(form, name);
  if (c.endpoint === 'POST login') {
    const fields = ['external_auth_id', 'email', 'first_name', 'last_name', 'csrf'].map(get);
    if (fields.includes('repeated')) return refused('a form field is repeated');
    const [id, email, first, last, csrf] = fields;
    if (id !== pool.pending.id) return refused('not a pending login');
    const tri = holds(pool.pending);
    if (tri === false) return refused('a pending login, but not in the browser that started it');
    if (csrf !== pool.pending.csrf) return refused('wrong CSRF token (issue #7: the development login is CSRF-protected)');
    const verdicts: Tri[] = [
      email === undefined || INVALID_EMAILS.includes(email) ? false : VALID_EMAILS.includes(email) ? true : 'either',
      ...[first, last].map((n): Tri => (n === undefined || VALID_NAMES.includes(n) ? true : INVALID_NAMES.includes(n) ? false : 'either')),
    ];
    if (verdicts.includes(false)) return refused('invalid email or name');
    const outcomes = new Set<PageOutcome>(['server-redirect']);
    if (verdicts.includes('either')) outcomes.add('refused');
    return widen({ outcomes, target: null, uses: 'pending', why: 'pending login, valid email' }, tri);
  }
  const interaction = get('interaction');
  if (interaction === 'repeated') return refused('interaction repeated');
  const b = boundTo(interaction);
  if (b.tri === false || !b.bound) return refused('not a live interaction bound to this browser');
  const csrf = get('csrf');
  if (csrf !== b.bound.csrf) return refused('wrong CSRF token');
  if (c.endpoint === 'POST organization') {
    const chosen = get('organization_id');
    if (chosen === 'repeated' || chosen === undefined || !b.bound.orgs.includes(chosen)) return refused('not one of the user\'s organizations');
    return widen({ outcomes: new Set(['server-redirect']), target: null, uses: b.slot, why: 'bound, CSRF, member organization' }, b.tri);
  }
  const decision = get('decision');
  if (decision === 'repeated') return refused('decision repeated');
  const target = { client: b.bound.client, redirectUri: b.bound.redirectUri, state: b.bound.state, result: decision === 'allow' ? ('code' as const) : ('access_denied' as const) };
  return widen({ outcomes: new Set(['client-redirect']), target, uses: b.slot, why: `bound, CSRF, decision ${JSON.stringify(decision)}` }, b.tri);
}

export async function checkPage(w: World, c: PageCase): Promise<void> {
  for (const slot of [...w.pool.stale]) await reseed(w, slot);
  const values = placeholders(w);
  const pairs = c.pairs.map(([k, v]): Pair => [k, resolve(v, values)]);
  const post = c.endpoint.startsWith('POST');
  const headers: Record<string, string> = {};
  if (c.cookie.length > 0) headers.cookie = renderCookie(c.cookie, values);
  let url = `${w.issuer}${PAGE_PATHS[c.endpoint]}`;
  let body: Uint8Array | null = null;
  if (post) {
    body = c.raw === null ? new Uint8Array(Buffer.from([...encodePairs(pairs, values), ...c.junk].join('&'))) : typeof c.raw === 'string' ? new Uint8Array(Buffer.from(resolve(c.raw, values))) : c.raw;
    if (c.contentType !== null) headers['content-type'] = c.contentType;
  } else {
    url += `?${[...encodePairs(pairs, values), ...c.junk].join('&')}`;
  }
  const r = await send(w, post ? 'POST' : 'GET', url, headers, body);

  const query = grouped([...new URL(url).searchParams]);
  const isForm = c.contentType === FORM || c.contentType === `${FORM}; charset=utf-8`;
  const form = post && isForm && body !== null && body.length <= FORM_LIMIT ? grouped([...new URLSearchParams(new TextDecoder().decode(body))]) : null;
  const e = expectPage(w, c, query, form, values);
  const context = `expected: ${[...e.outcomes].join('/')} because ${e.why}\n${tag(r)}`;

  let outcome: PageOutcome;
  if (r.status === 200) {
    assertPage(r, 'ok');
    outcome = 'page';
  } else if (r.status === 302 || r.status === 303) {
    assert.equal(r.status, post ? 303 : 302, `POST steps answer 303, GET steps 302 (RFC 9700 §4.12): ${context}`);
    assert.match(r.headers.get('cache-control') ?? '', /\bno-store\b/, `redirect without Cache-Control: no-store: ${context}`);
    const step = serverStep(w, r);
    if (step !== null) {
      assert.ok(SERVER_STEPS.has(step), `redirect to an unexpected path of the server: ${context}`);
      outcome = 'server-redirect';
    } else {
      assert.ok(e.target, `redirect away from the server without a bound interaction, CSRF token or resume link: ${context}`);
      const params = assertClientRedirect(w, r, e.target.client, e.target.redirectUri);
      assert.deepEqual(params.getAll('state'), [e.target.state], `state not echoed: ${context}`);
      if (e.target.result === 'code') assert.ok(params.get('code'), `expected a code: ${context}`);
      if (e.target.result === 'access_denied') assert.equal(params.get('error'), 'access_denied', `a declined consent must answer access_denied: ${context}`);
      outcome = 'client-redirect';
    }
  } else {
    assertPage(r, 'error');
    outcome = 'refused';
  }
  assert.ok(e.outcomes.has(outcome), `${outcome} is not an acceptable answer: ${context}`);
  // Only GET /oauth2/authorize binds a browser (the resume link no longer does); only a followed resume link signs it in.
  assert.equal(bindingLines(r.headers).length, 0, `a page step set a binding cookie: ${context}`);
  const sessions = r.headers.getSetCookie().filter((line) => /^\s*portico_session=/i.test(line));
  const resumed = c.endpoint === 'GET complete' && (outcome === 'server-redirect' || outcome === 'client-redirect');
  assert.equal(sessions.length, resumed ? 1 : 0, resumed ? `a followed resume link did not start a login session: ${context}` : `a login session set by a step other than a followed resume link: ${context}`);
  for (const line of sessions) assert.match(line, /^portico_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax/, `login session cookie: ${show(line)}: ${context}`);
  count(w, `${c.endpoint} ${outcome}`);
  // A step that changed the interaction (or spent a link) is replaced before the next run; /continue to a page changes nothing.
  if (e.uses !== null && (outcome === 'client-redirect' || (outcome === 'server-redirect' && c.endpoint !== 'GET continue'))) w.pool.stale.add(e.uses);
  // Issue #7: a followed resume link ends the browser's previous session; if that was session A, sign A in anew.
  const session = cookieValue(c.cookie, 'portico_session', values);
  if (resumed && (session === w.sessionA || session === 'ambiguous')) await reseed(w, 'session_a');
}
