import type { FastifyInstance } from 'fastify';
import { authenticateClient } from './client-auth.ts';
import type { OAuthDeps } from './deps.ts';
import { OAuthError } from './errors.ts';
import { formOf } from './form.ts';
import { verifyJwt, type AccessTokenClaims } from './tokens/jwt.ts';

const INACTIVE = { active: false } as const;

/**
 * An access token that is ours, unexpired, unrevoked, issued to `clientId`,
 * and whose application still exists; null otherwise.
 */
export async function liveAccessToken(deps: OAuthDeps, token: string, clientId: string): Promise<AccessTokenClaims | null> {
  const claims = await verifyJwt(token, deps.keys, deps.config.issuer, deps.clock.now());
  if (!claims || claims.client_id !== clientId) return null;
  if (await deps.storage.revocations.isRevoked(claims.jti)) return null;
  // A deleted application's tokens die with it.
  if (!(await deps.storage.applications.find(claims.client_id))) return null;
  return claims;
}

/**
 * `POST /oauth2/introspection` (RFC 7662). The caller must authenticate; it
 * learns only about its own tokens. Everything else is exactly
 * `{"active": false}` (§2.2).
 */
export function introspectionEndpoint(app: FastifyInstance, deps: OAuthDeps): void {
  app.post('/oauth2/introspection', async function introspect(request, reply) {
    const form = formOf(request);
    const client = await authenticateClient(deps, request, form);
    const token = form.get('token');
    if (token === undefined) throw new OAuthError('invalid_request', 'token is required.');
    reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' });
    const claims = await liveAccessToken(deps, token, client.application.clientId);
    if (!claims) return INACTIVE;
    return {
      active: true,
      token_type: 'access_token',
      client_id: claims.client_id,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      scope: claims.scope,
      jti: claims.jti,
      iat: claims.iat,
      exp: claims.exp,
      ...(claims.org_id !== undefined && claims.org_id !== null && { org_id: claims.org_id }),
      ...(claims.sid !== undefined && { sid: claims.sid }),
    };
  });
}
