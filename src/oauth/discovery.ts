import type { FastifyInstance } from 'fastify';
import type { OAuthDeps } from './deps.ts';
import { grants } from './grants/index.ts';

/**
 * Authorization server metadata (RFC 8414), advertising exactly what is
 * implemented: the grant list comes from the grant registry itself.
 */
export function serverMetadata(deps: OAuthDeps) {
  const iss = deps.config.issuer;
  const authMethods = ['client_secret_basic', 'client_secret_post'];
  return {
    issuer: iss,
    token_endpoint: `${iss}/oauth2/token`,
    jwks_uri: `${iss}/oauth2/jwks`,
    introspection_endpoint: `${iss}/oauth2/introspection`,
    revocation_endpoint: `${iss}/oauth2/revoke`,
    grant_types_supported: [...grants.keys()],
    response_types_supported: [] as string[],
    token_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    code_challenge_methods_supported: ['S256'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [deps.config.signingAlg],
  };
}

/** Discovery documents and the JWKS: public, cacheable, CORS-readable. */
export function discoveryRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  const cors = { 'access-control-allow-origin': '*' };
  app.get('/.well-known/oauth-authorization-server', async (_req, reply) =>
    reply.headers({ ...cors, 'cache-control': 'public, max-age=300' }).send(serverMetadata(deps)),
  );
  app.get('/.well-known/openid-configuration', async (_req, reply) =>
    reply.headers({ ...cors, 'cache-control': 'public, max-age=300' }).send(serverMetadata(deps)),
  );
  const jwks = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.headers({ ...cors, 'cache-control': `public, max-age=${deps.config.jwksMaxAge}` }).send(deps.keys.jwks());
  app.get('/oauth2/jwks', jwks);
  // The WorkOS API host serves the same set per client ID.
  app.get('/sso/jwks/:clientId', jwks);
}
