import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditContext } from '../domain/audit.ts';
import { addressKey } from '../domain/client-address.ts';
import { PageFailure } from '../domain/errors.ts';
import { randomToken } from '../domain/random.ts';
import { dashboardCookies } from '../http/cookie-names.ts';
import { readCookie, setCookie } from '../http/cookies.ts';
import type { Form } from '../http/form.ts';
import { authenticateApiKey, createApiKey } from '../management/api-keys.ts';
import { csrfMatches, csrfToken } from '../pages/csrf.ts';
import type { DashboardDeps } from './deps.ts';
import { PASSWORD_SETTING, verifyPassword } from './password.ts';

/** A dashboard session lasts eight hours from sign-in, then its key stops working everywhere. */
export const SESSION_TTL_MS = 8 * 60 * 60_000;
/** Wrong API keys or passwords per client address per minute before the sign-in page answers 429. */
export const SIGN_IN_FAILURE_LIMIT = 10;
const WINDOW_MS = 60_000;
const CSRF = 'dashboard';
const SIGN_IN_CSRF = 'dashboard-sign-in';

/**
 * A signed-in operator. The session cookie holds an API key of its own,
 * created at sign-in with an expiry (SESSION_TTL_MS): the database keeps only
 * its digest, like every key, and the dashboard calls the management API
 * with it. Signing out revokes it.
 */
export interface DashboardSession {
  readonly key: string;
  readonly keyId: string;
  /** The CSRF token every form of this session carries: a MAC of the cookie, so other sites cannot forge it. */
  readonly csrf: string;
}

/** The request's live session, or null (no cookie, revoked, expired). */
export async function readSession(deps: DashboardDeps, request: FastifyRequest): Promise<DashboardSession | null> {
  const key = readCookie(request, dashboardCookies(deps.issuer).session);
  if (key === null) return null;
  const principal = await authenticateApiKey(deps, `Bearer ${key}`);
  return principal && { key, keyId: principal.apiKeyId, csrf: csrfToken(deps.keyring, CSRF, 'session', key) };
}

const refused = () => new PageFailure(403, 'Request refused: the form expired or did not come from the dashboard', 'Reload the page and try again.');

/**
 * Every dashboard write carries the session's CSRF token, and a browser that
 * says where the form came from must say it came from Portico (defence in
 * depth on top of the SameSite=Strict cookie).
 */
export function checkCsrf(deps: DashboardDeps, request: FastifyRequest, session: DashboardSession, form: Form): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== new URL(deps.issuer).origin) throw refused();
  if (!csrfMatches(deps.keyring, form.get('csrf'), CSRF, 'session', session.key)) throw refused();
}

/** The sign-in form's CSRF token: a MAC of a random cookie set with the form (there is no session yet). */
export function signInForm(deps: DashboardDeps, request: FastifyRequest, reply: FastifyReply): string {
  const name = dashboardCookies(deps.issuer).signIn;
  let cookie = readCookie(request, name);
  if (cookie === null) {
    cookie = randomToken(deps.random);
    setCookie(reply, deps.issuer, name, cookie, 3600, 'Strict');
  }
  return csrfToken(deps.keyring, SIGN_IN_CSRF, 'sign-in', cookie);
}

/** What a sign-in attempt leads to: a new session cookie, or the form again with a message. */
export type SignInResult = { readonly ok: true; readonly cookie: string } | { readonly ok: false; readonly status: number; readonly message: string };

/**
 * Signs an operator in with an API key or the dashboard password, then makes
 * the session's own expiring key. Failures are counted per address in the
 * database (shared by every node); past the limit nothing is checked until
 * the minute is over.
 */
export async function signIn(deps: DashboardDeps, request: FastifyRequest, form: Form): Promise<SignInResult> {
  const cookie = readCookie(request, dashboardCookies(deps.issuer).signIn);
  if (cookie === null || !csrfMatches(deps.keyring, form.get('csrf'), SIGN_IN_CSRF, 'sign-in', cookie)) {
    throw new PageFailure(403, 'Request refused: the sign-in form expired or did not come from this page', 'Open the sign-in page again.');
  }
  const now = deps.clock.now();
  const since = new Date(now.getTime() - WINDOW_MS);
  const throttleKey = `dashboard:${addressKey(request.ip)}`;
  const [window] = await deps.storage.authFailures.windows([throttleKey], since);
  if (window && window.count >= SIGN_IN_FAILURE_LIMIT) {
    return { ok: false, status: 429, message: 'Too many failed sign-ins from here in the last minute. Wait a minute, then try again.' };
  }
  const method = form.get('method');
  const ctx: AuditContext = { actor_type: 'api_key', actor_id: null, ip: request.ip, request_id: request.id };
  let name: string | null = null;
  let actor: AuditContext = ctx;
  if (method === 'password') {
    const stored = await deps.storage.settings.get(PASSWORD_SETTING);
    const given = form.get('password') ?? '';
    if (stored !== null && given !== '' && (await verifyPassword(given, stored))) {
      name = 'Dashboard session (password)';
      actor = { ...ctx, actor_type: 'system', actor_id: 'dashboard-password' };
    }
  } else {
    const given = (form.get('api_key') ?? '').trim();
    const principal = given === '' ? null : await authenticateApiKey(deps, `Bearer ${given}`);
    // A session's own key cannot start another session: a stolen cookie must not outlive its eight hours.
    if (principal && principal.expiresAt === null) {
      name = `Dashboard session (API key sk_…${given.slice(-4)})`;
      actor = { ...ctx, actor_id: principal.apiKeyId };
    }
  }
  if (name === null) {
    await deps.storage.authFailures.record([{ key: throttleKey, count: 1 }], now, since);
    request.log.warn({ method: method === 'password' ? 'password' : 'api_key' }, 'dashboard sign-in failed');
    return { ok: false, status: 401, message: method === 'password' ? 'That password is not right.' : 'That API key is not valid (or has been revoked).' };
  }
  const { plaintext } = await createApiKey(deps, name, actor, new Date(now.getTime() + SESSION_TTL_MS));
  return { ok: true, cookie: plaintext };
}

export function setSessionCookie(deps: DashboardDeps, reply: FastifyReply, key: string | null): void {
  const names = dashboardCookies(deps.issuer);
  setCookie(reply, deps.issuer, names.session, key ?? '', key === null ? 0 : SESSION_TTL_MS / 1000, 'Strict');
  if (key !== null) setCookie(reply, deps.issuer, names.signIn, '', 0, 'Strict');
  else setCookie(reply, deps.issuer, names.reveal, '', 0, 'Strict');
}
