// RFC 9728 protected-resource metadata: the document (§2), where it lives (§3.1), and serving it.

const WELL_KNOWN = '/.well-known/oauth-protected-resource';
// RFC 6749 §3.3 scope-token: printable ASCII without space, `"` and `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The resource identifier as a URL: absolute, http(s), no fragment (RFC 9728 §1.2, RFC 8707 §2).
 * http is accepted for development on loopback; RFC 9728 requires https in production.
 * @param {unknown} resource
 * @param {string} what the option's name, for the error message
 * @returns {URL}
 */
export function parseResource(resource, what = 'resource') {
  if (typeof resource !== 'string' || resource.length === 0) throw new TypeError(`${what} must be a non-empty string`);
  let url;
  try {
    url = new URL(resource);
  } catch {
    throw new TypeError(`${what} must be an absolute URL, got ${JSON.stringify(resource)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`${what} must be an https (or, for development, http) URL`);
  if (resource.includes('#')) throw new TypeError(`${what} must not have a fragment (RFC 8707 §2)`);
  return url;
}

/**
 * The well-known URL of a resource's metadata (RFC 9728 §3.1): the well-known string goes between the
 * host and the path, after a terminating slash is removed, so `https://mcp.example.com/mcp` has
 * `https://mcp.example.com/.well-known/oauth-protected-resource/mcp` and `https://api.example.com`
 * has `https://api.example.com/.well-known/oauth-protected-resource`.
 * @param {string} resource
 * @returns {string}
 */
export function metadataUrl(resource) {
  const url = parseResource(resource);
  const path = url.pathname.replace(/\/$/, '');
  return `${url.origin}${WELL_KNOWN}${path}${url.search}`;
}

/**
 * The RFC 9728 §2 document. `resource` is sent exactly as given: clients pass it on as the RFC 8707
 * `resource` parameter, and it becomes the token's `aud`.
 * @param {import('./index.d.ts').ProtectedResourceMetadataOptions} options
 * @returns {import('./index.d.ts').ProtectedResourceMetadata}
 */
export function protectedResourceMetadata({ resource, authorizationServers, scopesSupported, resourceName, bearerMethodsSupported = ['header'] }) {
  parseResource(resource);
  if (!Array.isArray(authorizationServers) || authorizationServers.length === 0) {
    throw new TypeError('authorizationServers must list at least one issuer');
  }
  for (const issuer of authorizationServers) parseResource(issuer, 'authorizationServers[]');
  if (!Array.isArray(scopesSupported) || !scopesSupported.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
    throw new TypeError('scopesSupported must be an array of scope tokens (RFC 6749 §3.3)');
  }
  // RFC 6750 §2: the three ways to present a bearer token; §2.3 (query) is discouraged but named.
  if (!Array.isArray(bearerMethodsSupported) || !bearerMethodsSupported.every((m) => m === 'header' || m === 'body' || m === 'query')) {
    throw new TypeError('bearerMethodsSupported must hold "header", "body" or "query"');
  }
  return {
    resource,
    authorization_servers: [...authorizationServers],
    scopes_supported: [...scopesSupported],
    bearer_methods_supported: [...bearerMethodsSupported],
    ...(resourceName !== undefined && { resource_name: String(resourceName) }),
  };
}

/**
 * Answers a request for the metadata's well-known path and returns true, or returns false (leaving
 * `res` untouched) for any other path, so it can sit first in a node:http handler.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {import('./index.d.ts').ProtectedResourceMetadata} metadata
 * @returns {boolean}
 */
export function serveMetadata(req, res, metadata) {
  const target = new URL(metadataUrl(metadata.resource));
  const requested = new URL(req.url ?? '/', 'http://localhost');
  if (requested.pathname !== target.pathname || (target.search !== '' && requested.search !== target.search)) return false;
  // The document is public; browser-based MCP clients read it from another origin (RFC 9728 §3).
  res.setHeader('access-control-allow-origin', '*');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { 'access-control-allow-methods': 'GET, HEAD, OPTIONS', 'access-control-allow-headers': '*', 'access-control-max-age': '86400' });
    res.end();
  } else if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD, OPTIONS', 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'method_not_allowed' }));
  } else {
    // RFC 9728 §3.2: 200 with application/json.
    const body = JSON.stringify(metadata);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=300' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
  return true;
}
