/**
 * RFC 8707 resource indicators: absolute URIs without fragment. Scheme and host
 * compare case-insensitively (they are canonicalised); the rest exactly.
 * Returns the canonical form, or null when the value is not a resource URI.
 */
export function canonicalResource(value: string): string | null {
  // Visible ASCII only: the URL parser would silently strip surrounding spaces and control characters.
  if (value.length === 0 || value.length > 2048 || value.includes('#') || !/^[\x21-\x7e]+$/.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  // Keep the path exactly as given (no trailing-slash normalisation beyond URL's own).
  const rest = value.slice(value.indexOf('//') + 2);
  const pathStart = rest.search(/[/?]/);
  const tail = pathStart === -1 ? '' : rest.slice(pathStart);
  return `${url.protocol}//${url.host}${tail}`;
}

/**
 * The configured resource a requested indicator names (issue #10): the same
 * canonical string, or one that differs from it only by one trailing slash.
 * MCP clients derive `resource` from the server URL, and `new URL(x).href`
 * adds a slash to an origin (`https://mcp.example.com` becomes
 * `https://mcp.example.com/`), so an exact-only compare turned working
 * set-ups into a bare `invalid_target`. The token's `aud` is always the
 * configured string, so the resource server's own check stays exact.
 * Null when the indicator is not a resource URI or names nothing configured.
 */
export function configuredResource(requested: string, configured: readonly string[]): string | null {
  const canonical = canonicalResource(requested);
  if (canonical === null) return null;
  if (configured.includes(canonical)) return canonical;
  const other = canonical.endsWith('/') ? canonical.slice(0, -1) : `${canonical}/`;
  return configured.includes(other) ? other : null;
}
