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
  signingKey: 'sso_oidc_key_pair_',
  request: 'req_',
  /** JWT `jti` and authorization codes are bare ULIDs (WorkOS docs). */
  bare: '',
} as const;

export type IdPrefix = (typeof ID_PREFIX)[keyof typeof ID_PREFIX];

/**
 * Generates ULIDs that are strictly increasing within this process, so that
 * keyset pagination on the ID is also creation order. Within one millisecond
 * the 80-bit random part is incremented instead of redrawn (ULID spec,
 * "Monotonicity").
 */
export class UlidFactory {
  #lastTime = -1;
  #lastRandom: Uint8Array = new Uint8Array(10);
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  next(): string {
    let time = this.#now();
    if (time <= this.#lastTime) {
      time = this.#lastTime;
      increment(this.#lastRandom);
    } else {
      this.#lastTime = time;
      this.#lastRandom = randomChunk();
    }
    return encodeTime(time) + encodeRandom(this.#lastRandom);
  }
}

// One CSPRNG call per 409 IDs instead of one per ID (IDs are minted on the token hot path).
const POOL = new Uint8Array(4096);
let poolOffset = POOL.length;

function randomChunk(): Uint8Array {
  if (poolOffset + 10 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  poolOffset += 10;
  return POOL.slice(poolOffset - 10, poolOffset);
}

function increment(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const v = bytes[i]!;
    if (v < 255) {
      bytes[i] = v + 1;
      return;
    }
    bytes[i] = 0;
  }
  // 2^80 IDs in one millisecond cannot happen; wrapping would only break ordering.
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

/** Mints prefixed IDs (`org_01H...`). One instance per process keeps them ordered. */
export interface IdGenerator {
  (prefix: IdPrefix): string;
}

/** Builds an ID generator over a ULID factory. */
export function createIdGenerator(factory: UlidFactory = new UlidFactory()): IdGenerator {
  return (prefix) => prefix + factory.next();
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when `value` is `prefix` followed by a well-formed ULID. */
export function hasIdShape(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(prefix) && ULID_RE.test(value.slice(prefix.length));
}
