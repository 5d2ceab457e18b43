import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The browser cookies of the sign-in flow. With an https issuer they carry
 * the `__Host-` prefix (RFC 6265bis §4.1.3.2): the browser then accepts them
 * only with Secure, Path=/ and no Domain, so a sibling subdomain cannot plant
 * or overwrite them (issue #7).
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
}

export function flowCookies(issuer: string): FlowCookies {
  const prefix = issuer.startsWith('https:') ? '__Host-' : '';
  return {
    session: `${prefix}portico_session`,
    binding: (interactionId) => `${prefix}portico_ia_${interactionId.slice(-12)}`,
  };
}

export function readCookie(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,100}$/.test(value) ? value : null;
    }
  }
  return null;
}

/**
 * HttpOnly, SameSite=Lax (the login page's redirect back is a top-level
 * navigation), Path=/ (the development login and the pages all need the
 * binding), Secure on https. `maxAgeSeconds` 0 deletes the cookie.
 */
export function setCookie(reply: FastifyReply, issuer: string, name: string, value: string, maxAgeSeconds: number): void {
  const secure = issuer.startsWith('https:') ? '; Secure' : '';
  const cookie = `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list, cookie]);
}
