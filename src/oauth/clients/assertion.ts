import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Application } from '../../domain/application.ts';
import { OAuthError } from '../../domain/errors.ts';
import type { OAuthDeps } from '../deps.ts';

/** RFC 7521 §4.2 / RFC 7523 §2.2. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Algorithms a client may sign its assertion with (advertised as token_endpoint_auth_signing_alg_values_supported). */
export const ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
const MAX_LIFETIME_S = 3600;

export type AssertionDeps = Pick<OAuthDeps, 'config' | 'storage' | 'clock' | 'outbound'>;

/** The client an assertion names (its `iss`), read without verifying: only to find whose keys verify it. */
export function assertionIssuer(assertion: string): string | null {
  try {
    const claims = decodeJwt(assertion);
    return typeof claims.iss === 'string' ? claims.iss : null;
  } catch {
    return null;
  }
}

const invalid = (why: string) => new OAuthError('invalid_client', 'The client assertion is not valid.', { status: 401, detail: why });

/** The client's JWK Set: inline (`jwks`) or fetched from its `jwks_uri` through the outbound policy. */
async function clientKeys(deps: AssertionDeps, app: Application): Promise<JSONWebKeySet> {
  const metadata = app.dynamic?.metadata;
  if (metadata?.jwks) return { keys: metadata.jwks.keys as JSONWebKeySet['keys'] };
  if (!metadata?.jwksUri) throw invalid('the client has no keys');
  const res = await deps.outbound({ url: metadata.jwksUri, headers: { accept: 'application/json' }, maxBytes: 64 * 1024, timeoutMs: 3000 }).catch((err: unknown) => {
    throw Object.assign(invalid('jwks_uri could not be fetched'), { cause: err });
  });
  if (res.status !== 200) throw invalid(`jwks_uri answered ${res.status}`);
  try {
    const set = JSON.parse(res.body.toString('utf8')) as JSONWebKeySet;
    if (!Array.isArray(set.keys)) throw new Error('no keys');
    return set;
  } catch {
    throw invalid('jwks_uri did not return a JWK Set');
  }
}

/**
 * `private_key_jwt` (RFC 7523 §3): the assertion is signed by one of the
 * client's keys, `iss` = `sub` = its client_id, `aud` names this server (the
 * issuer or the token endpoint), it expires within an hour, and its `jti` is
 * spent once across every node (a replay is refused even within its lifetime).
 */
export async function verifyClientAssertion(deps: AssertionDeps, app: Application, assertion: string): Promise<void> {
  const keys = createLocalJWKSet(await clientKeys(deps, app));
  const now = deps.clock.now();
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, keys, {
      issuer: app.clientId,
      subject: app.clientId,
      audience: [deps.config.issuer, `${deps.config.issuer}/oauth2/token`],
      algorithms: [...ASSERTION_ALGS],
      currentDate: now,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (err) {
    throw Object.assign(invalid(err instanceof Error ? err.message : 'signature'), { cause: err });
  }
  const exp = payload.exp!;
  if (exp - Math.floor(now.getTime() / 1000) > MAX_LIFETIME_S) throw invalid('expires more than an hour ahead');
  const key = createHash('sha256').update(`${app.clientId}\u0000${String(payload.jti)}`).digest('hex');
  if (!(await deps.storage.dynamicClients.useAssertion(key, new Date(exp * 1000)))) throw invalid('jti was used before');
}
