/**
 * Redirect URI rules shared by the management API (registration) and the
 * authorization endpoint (matching).
 */

export interface RedirectUri {
  readonly uri: string;
  readonly default: boolean;
}

export const REDIRECT_URI_MAX = 2048;

const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Whether a URI may be registered as a redirect URI: absolute, no fragment
 * (RFC 6749 §3.1.2), `https`, `http` only on loopback (RFC 9700 §2.6,
 * RFC 8252 §7.3), or a private-use scheme for native apps (RFC 8252 §7.1).
 * Returns the problem as a short code, or null when acceptable.
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > REDIRECT_URI_MAX) return 'invalid';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must_be_absolute';
  }
  if (uri.includes('#')) return 'must_not_have_fragment';
  if (/[\s<>"\\^`{|}]/.test(uri)) return 'invalid';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return 'scheme_not_allowed';
  if (url.protocol === 'https:') return url.hostname === '' ? 'invalid' : null;
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) ? null : 'http_only_for_loopback';
  // Private-use schemes (`com.example.app:/cb`, `cursor://...`): RFC 8252 §7.1.
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? null : 'invalid';
}

/** True for http URIs on a loopback IP literal, where any port must match (RFC 8252 §7.3). */
export function isLoopbackIpUri(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]');
}

/**
 * Exact string matching (RFC 9700 §4.1.3), except that the port of a
 * loopback IP redirect URI is ignored (OAuth 2.1 §8.4.2).
 */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  let reg: URL;
  let req: URL;
  try {
    reg = new URL(registered);
    req = new URL(requested);
  } catch {
    return false;
  }
  if (!isLoopbackIpUri(reg) || !isLoopbackIpUri(req)) return false;
  const stripPort = (u: string, url: URL) => u.replace(`${url.protocol}//${url.host}`, `${url.protocol}//${url.hostname}`);
  return stripPort(registered, reg) === stripPort(requested, req);
}
