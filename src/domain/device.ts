import type { Grant } from './authorization.ts';
import type { Random } from './random.ts';

/**
 * The device authorization grant (RFC 8628, WorkOS "CLI Auth"): the rules
 * that need neither HTTP nor SQL.
 */

/** RFC 8628 §6.1: consonants only (no vowels, so no words; no look-alike digits). WorkOS uses the same set. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
/** 20^8 ≈ 2^34.6: short by design (RFC 8628 §5.1), so guesses are limited per address. */
const USER_CODE_LENGTH = 8;

/** Seconds a device authorization lives (WorkOS: `expires_in: 300`). */
export const DEVICE_CODE_TTL_SECONDS = 300;
/** RFC 8628 §3.2: the minimum seconds between polls; 5 is the RFC's default. */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: `slow_down` adds 5 seconds "for this and all subsequent requests". */
const SLOW_DOWN_STEP_SECONDS = 5;
/** A client that keeps hammering stops growing the interval past the lifetime of the code. */
const MAX_INTERVAL_SECONDS = DEVICE_CODE_TTL_SECONDS;
/** The scope of a device authorization that names none: what an AuthKit session carries. */
export const DEFAULT_DEVICE_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access'];

/** A device authorization (`/oauth2/device_authorization`), from the request to the redemption of its code. */
export interface DeviceAuthorization {
  /** An object ID (not secret): interactions refer to it. */
  readonly id: string;
  readonly applicationId: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly resource: string | null;
  /** The user code, sealed under the server key (shown again on the consent page; looked up by digest). */
  readonly userCodeSealed: Buffer;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** The polling interval this client must keep (grows with every `slow_down`). */
  readonly intervalSeconds: number;
  readonly lastPolledAt: Date | null;
  readonly status: 'pending' | 'approved' | 'denied';
  /** What the user approved (who, which organization, which consent); null until approved. */
  readonly grant: Grant | null;
  readonly redeemedAt: Date | null;
}

/** A new user code: 8 characters drawn uniformly from the alphabet (rejection sampling, no modulo bias). */
export function newUserCode(random: Random): string {
  let out = '';
  while (out.length < USER_CODE_LENGTH) {
    for (const b of random.bytes(16)) {
      // 240 = 12 × 20: bytes above it would favour the first letters.
      if (b < 240 && out.length < USER_CODE_LENGTH) out += USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]!;
    }
  }
  return out;
}

/** How a user code is shown and sent: `BCDF-GHJK`. */
export function displayUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What a person typed, as a user code: case-insensitive, hyphens and spaces
 * ignored (RFC 8628 §6.1). Null when it cannot be one (wrong length or letters).
 */
export function normalizeUserCode(input: string): string | null {
  if (input.length > 64) return null;
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return null;
  return code;
}

/**
 * RFC 8628 §3.5 for one poll of a pending authorization: too fast when it
 * comes sooner than the interval after the previous poll (the first poll
 * never is). Too fast adds 5 seconds to the interval from then on; a client
 * that then waits the new interval is answered `authorization_pending` again
 * (the interval stays where it is: the RFC says "all subsequent requests").
 */
export function pollTiming(lastPolledAt: Date | null, intervalSeconds: number, at: Date): { tooFast: boolean; intervalSeconds: number } {
  if (lastPolledAt === null) return { tooFast: false, intervalSeconds };
  const tooFast = at.getTime() - lastPolledAt.getTime() < intervalSeconds * 1000;
  return { tooFast, intervalSeconds: tooFast ? Math.min(intervalSeconds + SLOW_DOWN_STEP_SECONDS, MAX_INTERVAL_SECONDS) : intervalSeconds };
}
