import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestMeta } from '../domain/request-meta.ts';
import { cookieFrom, type SetCookie } from './cookie-names.ts';
import { requestMeta } from './request-meta.ts';

export { flowCookies, type FlowCookies, type SetCookie } from './cookie-names.ts';

export function readCookie(request: FastifyRequest, name: string): string | null {
  return cookieFrom(request.headers.cookie, name);
}

/**
 * HttpOnly, SameSite=Lax by default (the login page's redirect back is a
 * top-level navigation; the dashboard asks for Strict), Path=/ (the
 * development login and the pages all need the binding; `__Host-` requires
 * it), Secure on https. `maxAgeSeconds` 0 deletes the cookie.
 */
export function setCookie(reply: FastifyReply, issuer: string, name: string, value: string, maxAgeSeconds: number, sameSite: 'Lax' | 'Strict' = 'Lax'): void {
  const secure = issuer.startsWith('https:') ? '; Secure' : '';
  const cookie = `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=${sameSite}${secure}`;
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list, cookie]);
}

/** Sets every cookie a flow step asked for. */
export function applyCookies(reply: FastifyReply, issuer: string, cookies: readonly SetCookie[]): void {
  for (const c of cookies) setCookie(reply, issuer, c.name, c.value, c.maxAgeSeconds);
}

/** A request's browser as the flow core sees it (oauth/authorize/flow.ts `Browser`): its cookies and origin. */
export function browserOf(request: FastifyRequest): { cookie(name: string): string | null; readonly meta: RequestMeta } {
  return { cookie: (name) => cookieFrom(request.headers.cookie, name), meta: requestMeta(request) };
}
