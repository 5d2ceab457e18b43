import type { FastifyInstance } from 'fastify';
import type { OAuthDeps } from './deps.ts';
import { discoveryRoutes } from './discovery.ts';
import { oauthErrorHandler } from './errors.ts';
import { registerFormParser } from './form.ts';
import { introspectionEndpoint } from './introspection.ts';
import { revocationEndpoint } from './revocation.ts';
import { tokenEndpoint } from './token-endpoint.ts';

/** The authorization server face: form bodies, `{error, error_description}` errors. */
export async function oauthPlugin(app: FastifyInstance, deps: OAuthDeps): Promise<void> {
  app.setErrorHandler(oauthErrorHandler);
  registerFormParser(app);
  discoveryRoutes(app, deps);
  tokenEndpoint(app, deps);
  introspectionEndpoint(app, deps);
  revocationEndpoint(app, deps);
}
