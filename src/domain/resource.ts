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
