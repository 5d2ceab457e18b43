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

const LOOPBACK_IP_URI = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?].*)?$/;

/**
 * Exact string matching (RFC 9700 §4.1.3), except that the port of a
 * loopback IP redirect URI is ignored (OAuth 2.1 §8.4.2): everything but the
 * port must still be identical, character for character.
 */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  const reg = LOOPBACK_IP_URI.exec(registered);
  const req = LOOPBACK_IP_URI.exec(requested);
  if (!reg || !req || (req[2] !== undefined && Number(req[2]) > 65535)) return false;
  return reg[1] === req[1] && (reg[3] ?? '') === (req[3] ?? '');
}

/**
 * The token request's `redirect_uri` (RFC 6749 §4.1.3): REQUIRED and
 * identical when the authorization request included one (`authorized`).
 * When it did not (the only registered URI was used), the token request may
 * omit it, or send exactly a registered one. (OAuth 2.1 drops the
 * requirement when PKCE is used; RFC 6749 is the standard Portico follows.)
 */
export function tokenRedirectUriValid(authorized: string | null, presented: string | undefined, registered: readonly RedirectUri[]): boolean {
  if (authorized !== null) return presented === authorized;
  return presented === undefined || registered.some((r) => r.uri === presented);
}
