import type { Keyring } from '../domain/keyring.ts';

/**
 * Issue #12: the HMAC of a presented client secret, remembered per keyring.
 * It is a pure function of the server key and the secret (~11 µs of CPU per
 * token on the benchmark machine, a fifth of what Portico adds to a bare
 * server), so remembering it cannot outlive a revocation: the database still
 * decides on every request whether that digest belongs to a live secret, and
 * a deleted secret is refused on the next request exactly as before.
 *
 * Only digests that matched a stored secret are remembered, so guessed or
 * wrong secrets can neither fill the cache nor push the real ones out, and at
 * most MAX entries are kept (the oldest goes first). The cost: a secret that
 * authenticated stays in this process's memory (where every request puts it
 * anyway) until it is pushed out or the process ends; it is never written.
 */
const MAX = 1024;
const byKeyring = new WeakMap<Keyring, Map<string, Buffer>>();

function cacheOf(keyring: Keyring): Map<string, Buffer> {
  let cache = byKeyring.get(keyring);
  if (!cache) {
    cache = new Map();
    byKeyring.set(keyring, cache);
  }
  return cache;
}

/** The digest of `secret` (remembered, or computed), and whether it was remembered. */
export function secretDigest(keyring: Keyring, secret: string): { readonly digest: Buffer; readonly remembered: boolean } {
  const known = cacheOf(keyring).get(secret);
  return known ? { digest: known, remembered: true } : { digest: keyring.digest('client-secret', secret), remembered: false };
}

/** Remembers the digest of a secret that just matched a stored one. */
export function rememberSecretDigest(keyring: Keyring, secret: string, digest: Buffer): void {
  const cache = cacheOf(keyring);
  if (cache.size >= MAX) cache.delete(cache.keys().next().value!);
  cache.set(secret, digest);
}
