import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * What each derived key is for. Keys are separated by purpose (HKDF info) so a
 * digest made for one use can never be replayed as another.
 */
export type KeyPurpose = 'client-secret' | 'api-key' | 'idempotency' | 'signing-key-encryption' | 'token' | 'refresh-seal' | 'session' | 'registration' | 'webhook-secret' | 'dashboard';

/**
 * Derives purpose-bound keys from the server key (`PORTICO_SECRET_KEY`).
 * Secrets are stored as HMAC-SHA-256 digests under these keys, so a copy of the
 * database alone cannot be used to test guesses (DESIGN.md §4).
 */
export class Keyring {
  readonly #keys = new Map<KeyPurpose, Buffer>();
  /** HMAC keys as KeyObjects: createHmac with a Buffer key re-validates it on every call (measurably slower on the token path). */
  readonly #hmacKeys = new Map<KeyPurpose, KeyObject>();
  readonly #master: Buffer;

  constructor(master: Buffer) {
    if (master.length < 32) throw new Error('server key must be at least 32 bytes');
    this.#master = Buffer.from(master);
  }

  #key(purpose: KeyPurpose): Buffer {
    let key = this.#keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.#master, 'portico', `portico:${purpose}`, 32));
      this.#keys.set(purpose, key);
    }
    return key;
  }

  /** HMAC-SHA-256 of `value` under the key for `purpose`. */
  digest(purpose: KeyPurpose, value: string | Buffer): Buffer {
    let key = this.#hmacKeys.get(purpose);
    if (!key) {
      key = createSecretKey(this.#key(purpose));
      this.#hmacKeys.set(purpose, key);
    }
    return createHmac('sha256', key).update(value).digest();
  }

  /** AES-256-GCM under the purpose key; output is iv(12) | tag(16) | ciphertext. */
  seal(purpose: KeyPurpose, plaintext: Buffer, aad = ''): Buffer {
    return sealWith(this.#key(purpose), plaintext, aad);
  }

  /** Inverse of {@link seal}; throws when the data was altered or sealed under another key. */
  open(purpose: KeyPurpose, sealed: Buffer, aad = ''): Buffer {
    return openWith(this.#key(purpose), sealed, aad);
  }
}

/** AES-256-GCM with a caller-supplied 32-byte key; iv(12) | tag(16) | ciphertext. */
export function sealWith(key: Buffer, plaintext: Buffer, aad = ''): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function openWith(key: Buffer, sealed: Buffer, aad = ''): Buffer {
  const iv = sealed.subarray(0, 12);
  const tag = sealed.subarray(12, 28);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

/** Constant-time equality of two digests (lengths are public: both are SHA-256). */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
