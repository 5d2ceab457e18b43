import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Keyring } from '../../domain/keyring.ts';
import type { PublicJwk, SigningAlg, StoredSigningKey } from '../../domain/signing-key.ts';

function generatePair(alg: SigningAlg): KeyObject {
  switch (alg) {
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
  }
}

/** The public half as a JWK with `kid`, `alg` and `use` (security bar §6 item 39). */
export function publicJwk(privateKey: KeyObject, kid: string, alg: SigningAlg): PublicJwk {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, unknown>;
  return { ...jwk, kty: String(jwk.kty), kid, alg, use: 'sig' };
}

/** A new key pair, its private half sealed under the server key (bound to its kid). */
export function generateSigningKey(keyring: Keyring, alg: SigningAlg, kid: string, createdAt: Date, activeFrom: Date): StoredSigningKey {
  const privateKey = generatePair(alg);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid,
    alg,
    publicJwk: publicJwk(privateKey, kid, alg),
    sealedPrivateKey: keyring.seal('signing-key-encryption', der, kid),
    createdAt,
    activeFrom,
  };
}

export function openPrivateKey(keyring: Keyring, key: StoredSigningKey): KeyObject {
  return createPrivateKey({ key: keyring.open('signing-key-encryption', key.sealedPrivateKey, key.kid), format: 'der', type: 'pkcs8' });
}
