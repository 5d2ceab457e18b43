import { sign, verify } from 'node:crypto';
import type { SigningAlg } from '../../domain/signing-key.ts';
import type { KeyStore, Signer } from '../keys/key-store.ts';

/** Claims of Portico's access tokens (WorkOS names; DESIGN.md §4). */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly client_id: string;
  readonly org_id?: string;
  readonly sid?: string;
  readonly scope: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly [claim: string]: unknown;
}

const DIGEST: Record<SigningAlg, string | null> = { RS256: 'sha256', ES256: 'sha256', EdDSA: null };

/**
 * ECDSA DER `SEQUENCE { INTEGER r, INTEGER s }` -> the raw 64-byte r||s JWS
 * uses (RFC 7518 §3.4). Done here because passing `dsaEncoding` makes
 * node:crypto re-validate the key object on every call (about 2x slower).
 */
function derToJose(der: Buffer): Buffer {
  const out = Buffer.alloc(64);
  let offset = 2; // P-256 signatures are short enough for a one-byte SEQUENCE length
  for (let i = 0; i < 2; i++) {
    const length = der[offset + 1]!;
    let value = der.subarray(offset + 2, offset + 2 + length);
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    value.copy(out, i * 32 + (32 - value.length));
    offset += 2 + length;
  }
  return out;
}

/**
 * Compact JWS with node:crypto directly: the hot path. The header is encoded
 * once per key. With `signer.async` (PORTICO_SIGNING=async, issue #12) the
 * signature is made by crypto.sign's callback form on libuv's threadpool, so
 * the event loop parses and answers other requests meanwhile; otherwise on
 * the event loop (PORTICO_SIGNING=sync).
 */
export function signJwt(signer: Signer, claims: Readonly<Record<string, unknown>>): Promise<string> {
  const input = `${signer.headerB64}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const jws = (signature: Buffer) => `${input}.${(signer.alg === 'ES256' ? derToJose(signature) : signature).toString('base64url')}`;
  if (!signer.async) return Promise.resolve(jws(sign(DIGEST[signer.alg], Buffer.from(input), signer.privateKey)));
  return new Promise((resolve, reject) => {
    sign(DIGEST[signer.alg], Buffer.from(input), signer.privateKey, (err, signature) => (err ? reject(err) : resolve(jws(signature))));
  });
}

const JWS_RE = /^([A-Za-z0-9_-]{10,200})\.([A-Za-z0-9_-]{10,16384})\.([A-Za-z0-9_-]{40,1024})$/;

/** Strict base64url: non-canonical encodings (stray trailing bits) would make one token spellable many ways. */
function decodeCanonical(part: string): Buffer | null {
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : null;
}

function decodeJson(part: string): Record<string, unknown> | null {
  const bytes = decodeCanonical(part);
  if (!bytes) return null;
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Checks one of our own JWTs: a known, published `kid`, the `alg` that key was
 * made for (never `none`, never HMAC: security bar §6 item 40), a valid
 * signature and our issuer. Returns the claims; expiry is the caller's rule.
 */
export async function verifySignedClaims(token: string, keys: KeyStore, issuer: string): Promise<Record<string, unknown> | null> {
  const m = JWS_RE.exec(token);
  if (!m) return null;
  const header = decodeJson(m[1]!);
  if (!header || typeof header.kid !== 'string' || typeof header.alg !== 'string' || header.kid.length > 100) return null;
  const found = await keys.verificationKey(header.kid);
  if (!found || found.alg !== header.alg) return null;
  const key = found.alg === 'ES256' ? { key: found.key, dsaEncoding: 'ieee-p1363' as const } : found.key;
  const signature = decodeCanonical(m[3]!);
  if (!signature || !verify(DIGEST[found.alg], Buffer.from(`${m[1]}.${m[2]}`), key, signature)) return null;
  const claims = decodeJson(m[2]!);
  if (!claims || claims.iss !== issuer || typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || typeof claims.sub !== 'string') return null;
  return claims;
}

/** Verifies one of our access tokens (as verifySignedClaims, plus the access-token claims and an `exp` in the future). */
export async function verifyJwt(token: string, keys: KeyStore, issuer: string, now: Date): Promise<AccessTokenClaims | null> {
  const claims = await verifySignedClaims(token, keys, issuer);
  if (!claims || typeof claims.jti !== 'string' || typeof claims.client_id !== 'string') return null;
  if ((claims.exp as number) * 1000 <= now.getTime()) return null;
  return claims as unknown as AccessTokenClaims;
}

/** What an `id_token_hint` names (OIDC Core §3.1.2.1; RP-Initiated Logout §2). */
export interface IdTokenHint {
  readonly sub: string;
  readonly aud: string;
  readonly sid: string | null;
}

/**
 * Verifies an ID token Portico issued, presented back as `id_token_hint`. An
 * expired one is still a good hint (RP-Initiated Logout 1.0 §2: the OP SHOULD
 * accept it "even when the exp time has passed"); an access token is not one
 * (ID tokens carry no `client_id`/`scope`).
 */
export async function verifyIdTokenHint(token: string, keys: KeyStore, issuer: string): Promise<IdTokenHint | null> {
  if (token.length > 16_384) return null;
  const claims = await verifySignedClaims(token, keys, issuer);
  if (!claims || typeof claims.aud !== 'string' || 'scope' in claims || 'client_id' in claims) return null;
  return { sub: claims.sub as string, aud: claims.aud, sid: typeof claims.sid === 'string' ? claims.sid : null };
}
