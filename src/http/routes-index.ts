import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import type { Pages } from '../pages/kit.ts';

/**
 * Which methods a path answers to, from the routes actually registered (an
 * `onRoute` hook mirrors them into a router of their own), so a known path
 * asked with the wrong method is a 405 with `Allow` (RFC 9110 §15.5.6), not
 * a 404 (issue #8).
 */
export function routeIndex(app: FastifyInstance): (path: string) => string[] {
  const router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 500 });
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) {
      // The same path may be registered by several scopes; the first registration is enough here.
      if (router.find(method as never, route.url) !== null) continue;
      router.on(method as never, route.url, () => {});
      methods.add(method);
    }
  });
  return (path) => [...methods].filter((m) => router.find(m as never, path) !== null).sort();
}

type Face = 'oauth' | 'page' | 'management';

/** The face a path belongs to, for errors raised before any face's routes match. */
export function faceOf(path: string): Face {
  if (path === '/oauth2/authorize' || path.startsWith('/oauth2/authorize/') || path === '/oauth2/logout' || path.startsWith('/dev/')) return 'page';
  if (path === '/device' || path.startsWith('/device/') || path === '/dashboard' || path.startsWith('/dashboard/') || path.startsWith('/assets/')) return 'page';
  if (path.startsWith('/oauth2/') || path.startsWith('/.well-known/') || path.startsWith('/sso/')) return 'oauth';
  return 'management';
}

/** The root not-found handler: 405 + Allow for a known path, else 404, in the face's own error body. */
export function notFoundHandler(allowed: (path: string) => string[], pages: Pages) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    const methods = allowed(path);
    const face = faceOf(path);
    if (methods.length > 0) {
      reply.code(405).header('allow', methods.join(', '));
      const text = `${request.method} is not allowed on ${path.slice(0, 200)}; use ${methods.join(' or ')}.`;
      if (face === 'page') return pages.error(reply, 405, 'This page cannot be opened that way', text);
      if (face === 'oauth') return reply.header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?') });
      return reply.send({ message: text, code: 'method_not_allowed' });
    }
    const text = `The requested path '${path.slice(0, 200)}' could not be found.`;
    if (face === 'page') return pages.error(reply, 404, 'This page does not exist', 'Check the address, or start again from the application.');
    if (face === 'oauth') return reply.code(404).header('cache-control', 'no-store').send({ error: 'invalid_request', error_description: text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?') });
    return reply.code(404).send({ message: text });
  };
}
