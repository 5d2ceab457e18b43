// Verifying Portico's access tokens (RFC 9068 JWT profile) in a resource server, with jose.
import { createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import { InsufficientScopeError, InvalidTokenError, VerifierUnavailableError } from './errors.mjs';
import { parseResource } from './metadata.mjs';

// RFC 9068 §4: the resource server MUST reject `none` and decides which algorithms it accepts;
// these are the three Portico can sign with (PORTICO_SIGNING_ALG). Never an HMAC: HS256 "signed"
// with a public key from the JWKS would otherwise verify.
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
// RFC 9068 §2.2: claims every access token carries.
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

/**
 * The client-facing reason for a jose failure. Which claim failed is named (a client can act on it);
 * nothing of the token's content is echoed.
 * @param {unknown} err
 */
function invalidToken(err) {
  if (err instanceof errors.JWTExpired) return new InvalidTokenError('The access token expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    const reason = {
      aud: 'The access token was not issued for this resource',
      iss: 'The access token was issued by another authorization server',
      typ: 'The token is not an access token (typ must be at+jwt, RFC 9068 §2.1)',
      nbf: 'The access token is not valid yet',
    }[err.claim];
    return new InvalidTokenError(reason ?? `The access token's ${err.claim} claim is missing or invalid`, { cause: err });
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('The access token is signed with an algorithm this resource does not accept', { cause: err });
  if (err instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError('The access token signature is invalid', { cause: err });
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new InvalidTokenError('The access token is signed with an unknown key', { cause: err });
  }
  return new InvalidTokenError('The access token is malformed', { cause: err });
}

/**
 * RFC 9068 §2.2.3: `scope` is a space-separated string.
 * @param {unknown} claim
 * @returns {string[]}
 */
function scopesOf(claim) {
  return typeof claim === 'string' ? claim.split(' ').filter(Boolean) : [];
}

/**
 * A verifier for tokens issued by `issuer` for `resource`. The key set is fetched on first use and
 * cached (jose: refreshed after 10 minutes; an unknown `kid` refetches at most once per 30 s).
 * @param {import('./index.d.ts').VerifierOptions} options
 * @returns {import('./index.d.ts').Verifier}
 */
export function createVerifier({ issuer, resource, jwksUrl, clockToleranceSeconds = 0, fetch, now }) {
  parseResource(issuer, 'issuer');
  parseResource(resource);
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0) throw new TypeError('clockToleranceSeconds must be a number >= 0');
  const keysAt = new URL(jwksUrl ?? `${issuer.replace(/\/+$/, '')}/oauth2/jwks`);
  const remote = createRemoteJWKSet(keysAt, fetch ? { [customFetch]: fetch } : {});
  // A key the set does not hold is the token's fault (401); failing to read the set is not (503).
  /** @type {import('jose').JWTVerifyGetKey} */
  const keys = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      throw new VerifierUnavailableError(`The key set at ${keysAt.href} could not be read`, { cause: err });
    }
  };

  return {
    issuer,
    resource,
    jwksUrl: keysAt.href,
    /**
     * Resolves to the token's information, or rejects with InvalidTokenError, InsufficientScopeError
     * or VerifierUnavailableError.
     */
    async verify(token, { requiredScopes = [] } = {}) {
      if (typeof token !== 'string' || token.length === 0) throw new InvalidTokenError('No access token');
      /** @type {import('jose').JWTPayload} */
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer,
          // RFC 9068 §4: `aud` must contain the identifier this resource server expects; compared as
          // strings, exactly (no trailing-slash or case folding): it must be the PORTICO_RESOURCES entry.
          audience: resource,
          algorithms: ALGORITHMS,
          // RFC 9068 §4: `typ` must be at+jwt (jose also accepts application/at+jwt).
          typ: 'at+jwt',
          requiredClaims: REQUIRED_CLAIMS,
          clockTolerance: clockToleranceSeconds,
          ...(now && { currentDate: now() }),
        }));
      } catch (err) {
        if (err instanceof VerifierUnavailableError) throw err;
        throw invalidToken(err);
      }
      if (typeof payload.sub !== 'string' || typeof payload.client_id !== 'string') {
        throw new InvalidTokenError("The access token's sub or client_id claim is invalid");
      }
      const scopes = scopesOf(payload.scope);
      if (!requiredScopes.every((s) => scopes.includes(s))) throw new InsufficientScopeError(requiredScopes, scopes);
      return {
        token,
        subject: payload.sub,
        clientId: payload.client_id,
        scopes,
        organizationId: typeof payload.org_id === 'string' ? payload.org_id : null,
        // Required (REQUIRED_CLAIMS), and jose checked it is a number.
        expiresAt: /** @type {number} */ (payload.exp),
        resource,
        claims: payload,
      };
    },
  };
}
