import type { FastifyReply, FastifyRequest } from 'fastify';
import { setCookie } from '../http/cookies.ts';
import type { DashboardDeps } from './deps.ts';
import type { DashboardSession } from './session.ts';
import { cookieFrom, dashboardCookies } from '../http/cookie-names.ts';

/** A plaintext to show exactly once: a new client secret, API key or webhook signing secret. */
export interface Reveal {
  readonly kind: 'client_secret' | 'api_key' | 'webhook_secret';
  /** What it belongs to: the application for a secret, the key or endpoint itself otherwise. */
  readonly owner: string;
  readonly id: string;
  readonly value: string;
}

/** Long enough to follow the redirect, short enough that a reveal nobody looked at is soon gone. */
const REVEAL_SECONDS = 120;

const aad = (session: DashboardSession) => `dashboard-reveal:${session.keyId}`;

/**
 * Carries a new plaintext from the POST that created it to the page that
 * shows it (POST, then 303 to a GET: a reload never creates another secret).
 * It travels in a short-lived cookie sealed under the server key and bound
 * to the session; it is never stored, and the page that shows it clears the
 * cookie, so a reload finds nothing to show (issue #14).
 */
export function stashReveal(deps: DashboardDeps, reply: FastifyReply, session: DashboardSession, reveal: Reveal): void {
  const sealed = deps.keyring.seal('dashboard', Buffer.from(JSON.stringify(reveal)), aad(session)).toString('base64url');
  setCookie(reply, deps.issuer, dashboardCookies(deps.issuer).reveal, sealed, REVEAL_SECONDS, 'Strict');
}

/** The pending reveal of this kind and owner, taken (cleared) as it is read; null when there is none. */
export function takeReveal(deps: DashboardDeps, request: FastifyRequest, reply: FastifyReply, session: DashboardSession, kind: Reveal['kind'], owner: string): Reveal | null {
  const name = dashboardCookies(deps.issuer).reveal;
  const sealed = cookieFrom(request.headers.cookie, name, 1024);
  if (sealed === null) return null;
  setCookie(reply, deps.issuer, name, '', 0, 'Strict');
  try {
    const r = JSON.parse(deps.keyring.open('dashboard', Buffer.from(sealed, 'base64url'), aad(session)).toString()) as Reveal;
    return r.kind === kind && r.owner === owner && typeof r.value === 'string' ? r : null;
  } catch {
    // Altered, from another session, or sealed under another server key: nothing to show.
    return null;
  }
}
