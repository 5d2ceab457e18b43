import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../../domain/clock.ts';
import type { Keyring } from '../../domain/keyring.ts';
import { keySchedule, type PublicJwk, type SigningAlg, type StoredSigningKey } from '../../domain/signing-key.ts';
import type { SigningKeyRepository } from '../../storage/port.ts';
import { openPrivateKey } from './generate.ts';

/** A key ready to sign: the private KeyObject and the encoded JWS header. */
export interface Signer {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
  /** base64url of the protected header, computed once per key (access tokens: typ at+jwt, RFC 9068). */
  readonly headerB64: string;
  /** The same for ID tokens (typ JWT). */
  readonly idHeaderB64: string;
  /** Sign on libuv's threadpool rather than on the event loop (PORTICO_SIGNING=async). */
  readonly async: boolean;
}

interface Loaded {
  readonly stored: StoredSigningKey;
  readonly publicKey: KeyObject;
  signer?: Signer;
}

export interface KeyStoreOptions {
  /** How long a retired signer stays published: longest token lifetime + JWKS max-age + refresh interval. */
  readonly retentionMs: number;
  /** How often every node re-reads the key set (keeps nodes in step after `keys rotate`). */
  readonly refreshMs: number;
  /** A background refresh failed: the cached set keeps serving, the next tick retries; say so in the log. */
  readonly onRefreshError?: (err: unknown) => void;
  /** Signers sign on libuv's threadpool (PORTICO_SIGNING=async); on the event loop when false or absent. */
  readonly asyncSigning?: boolean;
}

/**
 * The signing keys every node shares through the database, cached in memory.
 * Which key signs and which are published is a function of time
 * (domain/signing-key.ts keySchedule), so all nodes agree without talking:
 * a rotated key is published first and signs only from its `activeFrom`.
 */
export class KeyStore {
  readonly #repo: SigningKeyRepository;
  readonly #keyring: Keyring;
  readonly #clock: Clock;
  readonly #options: KeyStoreOptions;
  #keys = new Map<string, Loaded>();
  /** The schedule computed at `validUntil`'s last change: it holds until the next activation or retirement. */
  #cached: { schedule: ReturnType<typeof keySchedule>; validFrom: number; validUntil: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastMissRefresh = 0;

  constructor(repo: SigningKeyRepository, keyring: Keyring, clock: Clock, options: KeyStoreOptions) {
    this.#repo = repo;
    this.#keyring = keyring;
    this.#clock = clock;
    this.#options = options;
  }

  /** Re-reads the key set; keeps already-decrypted keys. */
  async refresh(): Promise<void> {
    const stored = await this.#repo.list();
    const next = new Map<string, Loaded>();
    for (const k of stored) {
      next.set(k.kid, this.#keys.get(k.kid) ?? { stored: k, publicKey: createPublicKey({ key: k.publicJwk as never, format: 'jwk' }) });
    }
    this.#keys = next;
    this.#cached = undefined;
  }

  /** Periodic refresh in the background (unref'd: never keeps the process alive). */
  start(): void {
    this.#timer ??= setInterval(() => {
      this.refresh().catch((err: unknown) => this.#options.onRefreshError?.(err));
    }, this.#options.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The schedule now; recomputed only when a key activates or retires (not per token). */
  #schedule() {
    const now = this.#clock.now().getTime();
    if (this.#cached && now < this.#cached.validUntil && now >= this.#cached.validFrom) return this.#cached.schedule;
    const keys = [...this.#keys.values()].map((k) => k.stored);
    const schedule = keySchedule(keys, new Date(now), this.#options.retentionMs);
    // Every instant at which the schedule can change: an activation, or an activation + retention.
    const changes = keys.flatMap((k) => [k.activeFrom.getTime(), k.activeFrom.getTime() + this.#options.retentionMs]).filter((t) => t > now);
    this.#cached = { schedule, validFrom: now, validUntil: Math.min(...changes, now + 60_000) };
    return schedule;
  }

  /** The key that signs now; null only before the first key exists. */
  signer(): Signer | null {
    const kid = this.#schedule().signer;
    if (kid === null) return null;
    const loaded = this.#keys.get(kid)!;
    if (!loaded.signer) {
      const { alg } = loaded.stored;
      loaded.signer = {
        kid,
        alg,
        privateKey: openPrivateKey(this.#keyring, loaded.stored),
        headerB64: Buffer.from(JSON.stringify({ alg, kid, typ: 'at+jwt' })).toString('base64url'),
        idHeaderB64: Buffer.from(JSON.stringify({ alg, kid, typ: 'JWT' })).toString('base64url'),
        async: this.#options.asyncSigning ?? false,
      };
    }
    return loaded.signer;
  }

  /** The JWKS: every key that may still verify a live token, plus keys about to sign. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.#schedule().published.map((kid) => this.#keys.get(kid)!.stored.publicJwk) };
  }

  /** Public key for verifying our own tokens; an unknown kid triggers at most one refresh per second. */
  async verificationKey(kid: string): Promise<{ key: KeyObject; alg: SigningAlg } | null> {
    const published = () => {
      const k = this.#keys.get(kid);
      return k && this.#schedule().published.includes(kid) ? { key: k.publicKey, alg: k.stored.alg } : null;
    };
    const hit = published();
    if (hit || this.#keys.has(kid)) return hit;
    const now = this.#clock.now().getTime();
    if (now - this.#lastMissRefresh < 1000) return null;
    this.#lastMissRefresh = now;
    await this.refresh();
    return published();
  }

  /** Keys no live token can need any more. */
  retired(): string[] {
    return [...this.#schedule().retired];
  }
}
