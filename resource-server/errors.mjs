// The errors a resource server answers with. RFC 6750 §3.1 names the codes and their statuses;
// each class carries both, so a framework adapter needs no table of its own.

/** RFC 6750 §3.1 `invalid_token`: expired, revoked, malformed or not meant for this resource. */
export class InvalidTokenError extends Error {
  /**
   * @param {string} message client-facing description (goes into `error_description`)
   * @param {ErrorOptions} [options]
   */
  constructor(message, options) {
    super(message, options);
    this.name = 'InvalidTokenError';
    this.code = 'invalid_token';
    this.status = 401;
  }
}

/** RFC 6750 §3.1 `insufficient_scope`: a valid token without every scope the request needs. */
export class InsufficientScopeError extends Error {
  /**
   * @param {readonly string[]} requiredScopes every scope the request needs
   * @param {readonly string[]} grantedScopes the token's scopes
   */
  constructor(requiredScopes, grantedScopes) {
    const missing = requiredScopes.filter((s) => !grantedScopes.includes(s));
    super(`The access token lacks the scope ${missing.join(' ')}`);
    this.name = 'InsufficientScopeError';
    this.code = 'insufficient_scope';
    this.status = 403;
    this.requiredScopes = [...requiredScopes];
    this.missingScopes = missing;
    // RFC 6750 §3: the `scope` attribute lists the scopes "necessary to access the requested resource".
    this.scope = requiredScopes.join(' ');
  }
}

/** RFC 6750 §3.1 `invalid_request`: the Authorization header is not a well-formed Bearer credential. */
export class InvalidRequestError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'InvalidRequestError';
    this.code = 'invalid_request';
    this.status = 400;
  }
}

/**
 * The key set could not be fetched (network, timeout, non-200, not a JWKS). Not the client's fault:
 * answered 503 so that clients retry instead of throwing their tokens away (fail closed, never open).
 */
export class VerifierUnavailableError extends Error {
  /**
   * @param {string} message
   * @param {ErrorOptions} [options]
   */
  constructor(message, options) {
    super(message, options);
    this.name = 'VerifierUnavailableError';
    this.code = 'temporarily_unavailable';
    this.status = 503;
  }
}
