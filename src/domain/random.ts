import { randomBytes } from 'node:crypto';

/** The CSPRNG as a dependency (issue #9): tests can pin what would be random. */
export interface Random {
  bytes(length: number): Buffer;
}

export const systemRandom: Random = { bytes: (length) => randomBytes(length) };

/** 256 random bits, base64url: codes, refresh tokens, sessions, bindings, resume links, secrets. */
export function randomToken(random: Random): string {
  return random.bytes(32).toString('base64url');
}
