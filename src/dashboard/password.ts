import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Random } from '../domain/random.ts';

/** Where `portico dashboard set-password` stores the hash (the settings table); the password itself is never stored. */
export const PASSWORD_SETTING = 'dashboard_password';
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

/**
 * scrypt (RFC 7914) with N=2^15, r=8, p=1: 32 MiB and roughly 50-100 ms per
 * guess on a server core, OWASP's recommended minimum. The parameters are
 * stored with the hash so they can be raised later without breaking old hashes.
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** What is wrong with a new password, in words, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'must not contain control characters';
  return null;
}

/** `scrypt$N$r$p$salt$hash` (base64url), from a fresh 16-byte salt. */
export async function hashPassword(password: string, random: Random): Promise<string> {
  const salt = random.bytes(16);
  const hash = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Constant-time check against a stored hash; false for anything malformed. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  // Bounds keep a tampered settings row from asking for gigabytes.
  if (![params.N, params.r, params.p].every(Number.isSafeInteger) || params.N < 2 ** 14 || params.N > 2 ** 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return false;
  if (password.length > PASSWORD_MAX) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), params);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
