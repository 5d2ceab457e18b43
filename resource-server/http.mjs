// Bearer authentication for plain node:http handlers (RFC 6750), pointing clients at the
// protected-resource metadata (RFC 9728 §5.1).
import { InsufficientScopeError, InvalidRequestError, InvalidTokenError, VerifierUnavailableError } from './errors.mjs';

/** @typedef {import('node:http').IncomingMessage} IncomingMessage @typedef {import('node:http').ServerResponse} ServerResponse */

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 §2.1).
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The token of an `Authorization: Bearer …` header; null when the request carries no Bearer
 * credentials at all (no header, or another scheme); InvalidRequestError when it is malformed.
 * @param {string | undefined} header
 */
export function bearerToken(header) {
  if (header === undefined || header === '') return null;
  if (!/^bearer(\s|$)/i.test(header)) return null;
  const match = BEARER.exec(header);
  if (!match) throw new InvalidRequestError('The Authorization header is not "Bearer <token>"');
  return /** @type {string} */ (match[1]);
}

/**
 * RFC 6750 §3: error, error_description and scope values stay within %x20-21 / %x23-5B / %x5D-7E.
 * @param {string} value
 */
function quoted(value) {
  return `"${String(value).replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}

/**
 * A `WWW-Authenticate` value: `Bearer error="…", error_description="…", scope="…", resource_metadata="…"`,
 * each part only when given. Without an error it is the challenge for a request that sent no token.
 * @param {import('./index.d.ts').ChallengeParts} [parts]
 * @returns {string}
 */
export function bearerChallenge({ error, description, scope, resourceMetadataUrl } = {}) {
  const parts = [];
  if (error) parts.push(`error=${quoted(error)}`);
  if (error && description) parts.push(`error_description=${quoted(description)}`);
  if (scope) parts.push(`scope=${quoted(scope)}`);
  if (resourceMetadataUrl) parts.push(`resource_metadata=${quoted(resourceMetadataUrl)}`);
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {Record<string, string>} headers
 * @param {object} body
 */
function answer(res, status, headers, body) {
  const text = JSON.stringify(body);
  // setHeader rather than writeHead's argument: loggers and frameworks can read them back (getHeader).
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.writeHead(status);
  res.end(text);
}

/**
 * Authenticates a request: resolves to the token's information, or answers the request itself and
 * resolves to null:
 * - no Bearer token: 401, `WWW-Authenticate: Bearer resource_metadata="…"` (RFC 6750 §3.1: no error
 *   code when the request had no authentication information);
 * - malformed header: 400 `invalid_request`; bad token: 401 `invalid_token`; missing scope: 403
 *   `insufficient_scope` with `scope="<requiredScopes>"`;
 * - key set unreadable: 503 with Retry-After.
 * Any other error rejects.
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {import('./index.d.ts').AuthenticateOptions} options
 * @returns {Promise<import('./index.d.ts').TokenInfo | null>}
 */
export async function authenticate(req, res, { verifier, requiredScopes = [], resourceMetadataUrl }) {
  if (!verifier || typeof verifier.verify !== 'function') throw new TypeError('authenticate needs { verifier } from createVerifier()');
  let token;
  try {
    token = bearerToken(req.headers.authorization);
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    answer(res, 400, { 'www-authenticate': bearerChallenge({ error: err.code, description: err.message, resourceMetadataUrl }) }, { error: err.code, error_description: err.message });
    return null;
  }
  if (token === null) {
    answer(res, 401, { 'www-authenticate': bearerChallenge({ resourceMetadataUrl }) }, { error_description: 'This resource needs a Bearer access token' });
    return null;
  }
  try {
    return await verifier.verify(token, { requiredScopes });
  } catch (err) {
    if (err instanceof InvalidTokenError) {
      answer(res, 401, { 'www-authenticate': bearerChallenge({ error: err.code, description: err.message, resourceMetadataUrl }) }, { error: err.code, error_description: err.message });
    } else if (err instanceof InsufficientScopeError) {
      const challenge = bearerChallenge({ error: err.code, description: err.message, scope: err.scope, resourceMetadataUrl });
      answer(res, 403, { 'www-authenticate': challenge }, { error: err.code, error_description: err.message, scope: err.scope });
    } else if (err instanceof VerifierUnavailableError) {
      answer(res, 503, { 'retry-after': '5' }, { error: err.code, error_description: 'The access token cannot be checked right now' });
    } else {
      throw err;
    }
    return null;
  }
}
