/**
 * The browser cookies of the sign-in flow, as plain values (no HTTP objects:
 * the flow core reads and sets them through these). With an https issuer they
 * carry the `__Host-` prefix (RFC 6265bis §4.1.3.2): the browser then accepts
 * them only with Secure, Path=/ and no Domain, so a sibling subdomain cannot
 * plant or overwrite them (issue #7).
 */
export interface FlowCookies {
  /** The browser's login session with Portico (lets a later authorization skip the login). */
  readonly session: string;
  /**
   * Binds an interaction to the browser that started it: the login page, the
   * resume link, the organization and consent steps all need it. One cookie
   * per interaction, so authorizations in several tabs do not overwrite each
   * other's binding.
   */
  binding(interactionId: string): string;
  /**
   * The browser on the device page (`/device`, issue #11) before any
   * interaction exists: the code-entry form's CSRF token is a MAC of it.
   */
  readonly deviceEntry: string;
}

export function flowCookies(issuer: string): FlowCookies {
  const prefix = issuer.startsWith('https:') ? '__Host-' : '';
  return {
    session: `${prefix}portico_session`,
    binding: (interactionId) => `${prefix}portico_ia_${interactionId.slice(-12)}`,
    deviceEntry: `${prefix}portico_device`,
  };
}

/** A cookie to set (or, with max-age 0, to delete). */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  readonly maxAgeSeconds: number;
}

/**
 * The dashboard's cookies (issue #14), `__Host-` on https like the flow's:
 * the session (an expiring API key), the sign-in form's CSRF binding, and
 * the one-time reveal of a new secret (sealed, bound to the session).
 */
export function dashboardCookies(issuer: string): { readonly session: string; readonly signIn: string; readonly reveal: string } {
  const prefix = issuer.startsWith('https:') ? '__Host-' : '';
  return { session: `${prefix}portico_dashboard`, signIn: `${prefix}portico_dashboard_signin`, reveal: `${prefix}portico_dashboard_reveal` };
}

/**
 * The value of cookie `name` in a Cookie header: the first one of that name,
 * and only if it is a plausible token (`[A-Za-z0-9_-]`, at most `maxLength`
 * characters, 100 unless a caller needs more); anything else is no cookie at all.
 */
export function cookieFrom(header: string | undefined, name: string, maxLength = 100): string | null {
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value.length <= maxLength && /^[A-Za-z0-9_-]+$/.test(value) ? value : null;
    }
  }
  return null;
}
