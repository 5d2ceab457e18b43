import { ValidationError, type FieldError } from './errors.ts';
import { randomToken, type Random } from './random.ts';

/** At most this many live secrets per application (WorkOS docs, connect.mdx). */
export const MAX_SECRETS_PER_APPLICATION = 5;

/** Length of `secret_hint`: the last six characters (the schema's definition). */
export const SECRET_HINT_LENGTH = 6;

/**
 * Longest credential we will even hash. Real secrets are 43 characters; the
 * bound keeps a hostile multi-megabyte "secret" from costing CPU.
 */
export const MAX_PRESENTED_SECRET_LENGTH = 512;

/**
 * A new client secret: 256 bits from the CSPRNG, base64url so that it only
 * holds `[A-Za-z0-9_-]` and survives Basic auth and form encoding untouched.
 */
export function generateClientSecret(random: Random): string {
  return randomToken(random);
}

export function secretHint(secret: string): string {
  return secret.slice(-SECRET_HINT_LENGTH);
}

const DAY_MS = 86_400_000;
/** Longest expiry accepted at all: a hundred years (past it, "never" is what was meant). */
const MAX_EXPIRY_SECONDS = 100 * 365 * 86_400;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Issue #13 (beyond WorkOS, whose secrets never expire): the expiry of a new
 * secret from the create body, `expires_at` (an RFC 3339 date-time in the
 * future) or `expires_in` (seconds), not both; null when it never expires.
 * With a maximum lifetime (PORTICO_SECRET_MAX_LIFETIME_DAYS) a secret without
 * an expiry gets the maximum, and a later one is refused. Other body fields
 * are ignored, as before (the SDK sends `{}`).
 */
export function parseSecretExpiry(body: unknown, now: Date, maxLifetimeDays: number | null): Date | null {
  const b = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const given = (k: string) => b[k] !== undefined && b[k] !== null;
  const errors: FieldError[] = [];
  let expiry: Date | null = null;
  if (given('expires_at') && given('expires_in')) errors.push({ field: 'expires_at', code: 'expires_at_and_expires_in_exclusive' });
  else if (given('expires_at')) {
    const v = b.expires_at;
    const d = typeof v === 'string' && ISO_DATE_TIME.test(v) ? new Date(v) : new Date(NaN);
    if (Number.isNaN(d.getTime())) errors.push({ field: 'expires_at', code: 'expires_at_invalid' });
    else if (d.getTime() <= now.getTime()) errors.push({ field: 'expires_at', code: 'expires_at_in_past' });
    else if (d.getTime() - now.getTime() > MAX_EXPIRY_SECONDS * 1000) errors.push({ field: 'expires_at', code: 'expires_at_too_late' });
    else expiry = d;
  } else if (given('expires_in')) {
    const v = b.expires_in;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_EXPIRY_SECONDS) errors.push({ field: 'expires_in', code: 'expires_in_invalid' });
    else expiry = new Date(now.getTime() + v * 1000);
  }
  if (errors.length > 0) throw new ValidationError(errors);
  if (maxLifetimeDays === null) return expiry;
  const latest = new Date(now.getTime() + maxLifetimeDays * DAY_MS);
  if (expiry === null) return latest;
  if (expiry.getTime() > latest.getTime()) {
    throw new ValidationError([{ field: given('expires_at') ? 'expires_at' : 'expires_in', code: 'expires_at_too_late' }], `A client secret may live at most ${maxLifetimeDays} days here (PORTICO_SECRET_MAX_LIFETIME_DAYS).`);
  }
  return expiry;
}
