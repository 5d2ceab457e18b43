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
