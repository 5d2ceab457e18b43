import type { AuditContext } from './audit.ts';
/** Signing algorithms Portico issues tokens with (RS256 is what WorkOS issues). */
export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];

export interface PublicJwk {
  readonly kty: string;
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly use: 'sig';
  readonly [member: string]: unknown;
}

export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly publicJwk: PublicJwk;
  /** PKCS#8 DER sealed under the server key. */
  readonly sealedPrivateKey: Buffer;
  readonly createdAt: Date;
  /** Published from createdAt; signs from activeFrom (publish-before-sign). */
  readonly activeFrom: Date;
}

export interface KeySchedule {
  /** The key that signs now: the latest whose activeFrom has passed. */
  readonly signer: string | null;
  /** Every key that may still verify a live token, or will sign soon. */
  readonly published: readonly string[];
  /** Keys no live token can need any more: safe to delete. */
  readonly retired: readonly string[];
}

/**
 * Which key signs and which are published at `now`. A key stops signing when
 * its successor becomes active; it stays published for `retentionMs` more
 * (the longest token lifetime plus verifier cache time), then retires.
 */
export function keySchedule(keys: readonly Pick<StoredSigningKey, 'kid' | 'activeFrom'>[], now: Date, retentionMs: number): KeySchedule {
  const sorted = [...keys].sort((a, b) => a.activeFrom.getTime() - b.activeFrom.getTime() || (a.kid < b.kid ? -1 : 1));
  let signerIndex = -1;
  sorted.forEach((k, i) => {
    if (k.activeFrom.getTime() <= now.getTime()) signerIndex = i;
  });
  const published: string[] = [];
  const retired: string[] = [];
  sorted.forEach((k, i) => {
    if (i >= signerIndex) published.push(k.kid);
    else {
      const stoppedAt = sorted[i + 1]!.activeFrom.getTime();
      (stoppedAt + retentionMs > now.getTime() ? published : retired).push(k.kid);
    }
  });
  return { signer: signerIndex === -1 ? null : sorted[signerIndex]!.kid, published, retired };
}

/** A signing key as operators see it (issue #14: the dashboard; the CLI's `keys list`). */
export interface SigningKeyView {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** signing: signs now; pending: published, signs from activeFrom; published: retiring, still verifies; retired: due for deletion. */
  readonly state: 'signing' | 'pending' | 'published' | 'retired';
  readonly createdAt: Date;
  readonly activeFrom: Date;
}

/** Every key with its state at `now`, oldest first. */
export function keyStates(keys: readonly StoredSigningKey[], now: Date, retentionMs: number): SigningKeyView[] {
  const schedule = keySchedule(keys, now, retentionMs);
  return [...keys]
    .sort((a, b) => a.activeFrom.getTime() - b.activeFrom.getTime())
    .map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.kid === schedule.signer ? 'signing' : k.activeFrom > now ? 'pending' : schedule.published.includes(k.kid) ? 'published' : 'retired',
      createdAt: k.createdAt,
      activeFrom: k.activeFrom,
    }));
}

/** The signing keys as the management face may see and rotate them (built by the composition root from oauth/keys). */
export interface SigningKeyAdmin {
  list(): Promise<readonly SigningKeyView[]>;
  /** `portico keys rotate`: a new key, published now, signing after PORTICO_KEY_PUBLISH_DELAY. */
  rotate(ctx: AuditContext): Promise<SigningKeyView>;
}
