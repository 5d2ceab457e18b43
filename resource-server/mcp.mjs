// Adapters for the MCP TypeScript SDK's server-side auth (@modelcontextprotocol/sdk 1.x,
// server/auth: OAuthTokenVerifier, AuthInfo, requireBearerAuth).
import { InvalidTokenError, VerifierUnavailableError } from './errors.mjs';

/**
 * The SDK's `AuthInfo` for verified token information (what tools see as `extra.authInfo`).
 * @param {import('./index.d.ts').TokenInfo} info
 * @returns {import('./index.d.ts').McpAuthInfo}
 */
export function mcpAuthInfo(info) {
  return {
    token: info.token,
    clientId: info.clientId,
    scopes: [...info.scopes],
    expiresAt: info.expiresAt,
    resource: new URL(info.resource),
    extra: { subject: info.subject, organizationId: info.organizationId, claims: info.claims },
  };
}

/** @type {Promise<import('./index.d.ts').McpErrorClasses> | undefined} */
let sdkErrors;
/**
 * requireBearerAuth recognises only its own error classes (anything else is a 500), so the adapter
 * throws those. They are looked up where an `import` from this file finds the SDK, the consumer's
 * node_modules; pass `errors` when that is another copy.
 */
function loadSdkErrors() {
  sdkErrors ??= import('@modelcontextprotocol/sdk/server/auth/errors.js');
  return sdkErrors;
}

/**
 * An `OAuthTokenVerifier` for the SDK's requireBearerAuth. Scopes are left to requireBearerAuth's
 * `requiredScopes` (it answers 403 insufficient_scope itself).
 * @param {import('./index.d.ts').Verifier} verifier
 * @param {{ errors?: import('./index.d.ts').McpErrorClasses | undefined }} [options]
 * @returns {import('./index.d.ts').McpTokenVerifier}
 */
export function mcpTokenVerifier(verifier, { errors } = {}) {
  return {
    /** @param {string} token */
    async verifyAccessToken(token) {
      try {
        return mcpAuthInfo(await verifier.verify(token));
      } catch (err) {
        if (!(err instanceof InvalidTokenError || err instanceof VerifierUnavailableError)) throw err;
        const sdk = errors ?? (await loadSdkErrors());
        // The SDK answers InvalidTokenError with 401 + WWW-Authenticate, ServerError with 500.
        throw err instanceof InvalidTokenError ? new sdk.InvalidTokenError(err.message) : new sdk.ServerError(err.message);
      }
    },
  };
}
