import type { OAuthDeps } from '../deps.ts';
import { describe } from '../errors.ts';
import type { RedirectError } from './request.ts';

/** The client's redirect URI with response parameters added, `iss` always (RFC 9207). */
export function responseRedirect(deps: Pick<OAuthDeps, 'config'>, redirectUri: string, params: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
  url.searchParams.set('iss', deps.config.issuer);
  return url.toString();
}

/** An error redirect to the verified redirect URI (RFC 6749 §4.1.2.1), error_description in the §5.2 charset. */
export function errorRedirect(deps: Pick<OAuthDeps, 'config'>, e: RedirectError): string {
  return responseRedirect(deps, e.redirectUri, { error: e.error, error_description: describe(e.description), state: e.state });
}
