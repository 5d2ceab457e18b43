import { timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../domain/keyring.ts';

/**
 * CSRF tokens of Portico's pages: a MAC of what the form acts on (the
 * interaction, or the session for sign-out) and the browser's own cookie for
 * it. A page from another site cannot read the cookie, so it cannot forge the
 * token; a token copied from one browser is useless in another.
 */
export function csrfToken(keyring: Keyring, purpose: string, subject: string, cookie: string): string {
  return keyring.digest('session', `csrf\u0000${purpose}\u0000${subject}\u0000${cookie}`).toString('base64url');
}

/** Constant-time check of a posted CSRF token. */
export function csrfMatches(keyring: Keyring, given: string | undefined, purpose: string, subject: string, cookie: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(csrfToken(keyring, purpose, subject, cookie));
  return a.length === b.length && timingSafeEqual(a, b);
}
