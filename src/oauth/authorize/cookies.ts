import type { FastifyReply, FastifyRequest } from 'fastify';

/** The browser's login session with Portico (lets a later authorization skip the login). */
export const SESSION_COOKIE = 'portico_session';
/**
 * Binds an interaction to the browser that started it: the resume link, the
 * organization and consent steps all need it. One cookie per interaction, so
 * authorizations in several tabs do not overwrite each other's binding.
 */
export function bindingCookie(interactionId: string): string {
  return `portico_ia_${interactionId.slice(-12)}`;
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

/** HttpOnly, SameSite=Lax (the login page's redirect back is a top-level navigation), Secure on https. */
export function setCookie(reply: FastifyReply, issuer: string, name: string, value: string, maxAgeSeconds: number, path: string): void {
  const secure = issuer.startsWith('https:') ? '; Secure' : '';
  const cookie = `${name}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list, cookie]);
}
