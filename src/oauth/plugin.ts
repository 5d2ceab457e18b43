import type { FastifyInstance } from 'fastify';
import { authorizePages } from './authorize/routes.ts';
import type { OAuthDeps } from './deps.ts';
import { deviceAuthorizationEndpoint, devicePages } from './device/routes.ts';
import { discoveryRoutes } from './discovery.ts';
import { oauthErrorHandler } from './errors.ts';
import { registerFormParser } from '../http/form.ts';
import { introspectionEndpoint } from './introspection.ts';
import { registrationEndpoints } from './registration.ts';
import { revocationEndpoint } from './revocation.ts';
import { tokenEndpoint } from './token-endpoint.ts';
import { userinfoEndpoint } from './userinfo.ts';
import { workosDeviceRoutes } from './workos-device.ts';

/** The authorization server face: form bodies, `{error, error_description}` errors. */
export async function oauthPlugin(app: FastifyInstance, deps: OAuthDeps): Promise<void> {
  app.setErrorHandler(oauthErrorHandler);
  registerFormParser(app);
  // Browser-based (public) clients call these cross-origin; the authorization endpoint gets no CORS (RFC 9700 §2.6 / security bar R10).
  const corsPaths = new Set(['/oauth2/token', '/oauth2/revoke', '/oauth2/userinfo']);
  app.addHook('onRequest', async (request, reply) => {
    if (corsPaths.has(request.url.split('?')[0]!) && request.headers.origin !== undefined) {
      reply.headers({ 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, content-type', 'access-control-allow-methods': 'GET, POST' });
    }
  });
  for (const path of corsPaths) app.options(path, async (_request, reply) => reply.code(204).header('access-control-max-age', '600').send());
  discoveryRoutes(app, deps);
  tokenEndpoint(app, deps);
  introspectionEndpoint(app, deps);
  revocationEndpoint(app, deps);
  userinfoEndpoint(app, deps);
  deviceAuthorizationEndpoint(app, deps);
  workosDeviceRoutes(app, deps);
  // HTML steps: their own (page) error handler, inheriting the form parser.
  await app.register(authorizePages, deps);
  if (deps.config.dynamicClientRegistration) await app.register(registrationEndpoints, deps);
  await app.register(devicePages, deps);
}
