import { randomFillSync } from 'node:crypto';

/** Crockford base32, the ULID alphabet (https://github.com/ulid/spec). */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Every prefix Portico mints; DESIGN.md §4. */
export const ID_PREFIX = {
  organization: 'org_',
  organizationDomain: 'org_domain_',
  application: 'conn_app_',
  clientId: 'client_',
  secret: 'secret_',
  apiKey: 'api_key_',
  user: 'user_',
  membership: 'om_',
  authorizedApplication: 'authorized_connect_app_',
  externalAuth: 'ext_auth_',
  auditEvent: 'event_',
  /** Issue #13: webhook endpoints (`we_…`, the OpenAPI WebhookEndpointJson example). */
  webhookEndpoint: 'we_',
  signingKey: 'sso_oidc_key_pair_',
  request: 'req_',
  /** JWT `jti` and authorization codes are bare ULIDs (WorkOS docs). */
  bare: '',
} as const;

export type IdPrefix = (typeof ID_PREFIX)[keyof typeof ID_PREFIX];

/** Fills a buffer from the CSPRNG (injectable so tests can pin IDs). */
export type RandomSource = (into: Uint8Array) => void;

/**
 * Draws from the CSPRNG in 4 KB batches: one system call per ~150 IDs instead
 * of one per ID (IDs are minted on the token hot path). Every ID still gets
 * bytes of its own, never shared with or derived from another ID's.
 */
export class RandomPool {
  readonly #pool = new Uint8Array(4096);
  #offset = this.#pool.length;
  readonly #fill: RandomSource;

  constructor(fill: RandomSource = randomFillSync) {
    this.#fill = fill;
  }

  /** `n` (≤ 4096) fresh random bytes. */
  take(n: number): Uint8Array {
    if (this.#offset + n > this.#pool.length) {
      this.#fill(this.#pool);
      this.#offset = 0;
    }
    this.#offset += n;
    return this.#pool.slice(this.#offset - n, this.#offset);
  }
}

/**
 * Generates ULIDs: 48 bits of milliseconds, then 80 bits drawn afresh for
 * every ID. The ULID spec's "monotonic" mode (incrementing the random part
 * within one millisecond) is deliberately not used: it made each ID the
 * previous one plus one, so anyone who saw one ID could name the next
 * (issue #7). IDs therefore sort by creation time to the millisecond; within
 * one millisecond their order is arbitrary (keyset pagination stays complete
 * and stable, it only orders same-millisecond rows by their random part).
 * The time part never steps back, even when the clock does.
 */
export class UlidFactory {
  #lastTime = -1;
  readonly #now: () => number;
  readonly #random: RandomPool;

  constructor(now: () => number = Date.now, random: RandomPool = new RandomPool()) {
    this.#now = now;
    this.#random = random;
  }

  next(): string {
    const time = Math.max(this.#now(), this.#lastTime);
    this.#lastTime = time;
    return encodeTime(time) + encodeRandom(this.#random.take(10));
  }
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits -> 16 base32 characters, most significant first.
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out = ALPHABET[Number(bits & 31n)]! + out;
    bits >>= 5n;
  }
  return out;
}

/** Characters of a random ID: 26 × 5 = 130 bits, the length and alphabet of a ULID. */
const RANDOM_ID_CHARS = 26;

/**
 * Mints IDs. Called as a function it makes object IDs (`org_01H…`, ULIDs that
 * sort by creation time and are not secret). `random()` makes identifiers
 * that work as capabilities or must not reveal anything (`ext_auth_…`,
 * request IDs, device codes, registration tokens): 130 bits from the CSPRNG,
 * drawn per ID, with no timestamp and no relation to any other ID. They keep
 * the ULID length and alphabet, so `hasIdShape` accepts both.
 */
export interface IdGenerator {
  (prefix: IdPrefix): string;
  random(prefix: IdPrefix): string;
}

/** Builds an ID generator over a ULID factory and a random pool. */
export function createIdGenerator(factory?: UlidFactory, pool: RandomPool = new RandomPool()): IdGenerator {
  const ulids = factory ?? new UlidFactory(Date.now, pool);
  const ids = ((prefix: IdPrefix) => prefix + ulids.next()) as IdGenerator;
  ids.random = (prefix) => {
    // One byte per character, its low 5 bits: each character is uniform over the 32 symbols.
    const bytes = pool.take(RANDOM_ID_CHARS);
    let out = prefix;
    for (const b of bytes) out += ALPHABET[b & 31]!;
    return out;
  };
  return ids;
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `value` is `prefix` followed by a well-formed ULID (or a random ID of the same shape). */
export function hasIdShape(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(prefix) && ULID_RE.test(value.slice(prefix.length));
}
