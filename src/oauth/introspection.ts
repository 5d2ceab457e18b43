import type { FastifyInstance } from 'fastify';
import { requestMeta } from '../http/request-meta.ts';
import { authenticateClient } from './client-auth.ts';
import type { OAuthDeps } from './deps.ts';
import { requireForm } from './errors.ts';
import { OAuthError } from '../domain/errors.ts';
import { tokenDigest } from './tokens/issue.ts';
import { liveAccessToken } from './tokens/live.ts';

const INACTIVE = { active: false } as const;

/** RFC 7662 answer for one of the caller's live refresh tokens; null otherwise. */
async function liveRefreshToken(deps: OAuthDeps, token: string, clientId: string) {
  if (token.length > 200) return null;
  const rt = await deps.storage.refreshTokens.find(tokenDigest(deps, token));
  const now = deps.clock.now();
  if (!rt || rt.clientId !== clientId || rt.rotatedAt !== null || rt.revokedAt !== null || rt.expiresAt <= now) return null;
  if (!(await deps.storage.consents.get(rt.consentId))) return null;
  return {
    active: true,
    token_type: 'refresh_token',
    client_id: rt.clientId,
    sub: rt.userId,
    iss: deps.config.issuer,
    scope: rt.scopes.join(' '),
    iat: Math.floor(rt.createdAt.getTime() / 1000),
    exp: Math.floor(rt.expiresAt.getTime() / 1000),
    sid: rt.consentId,
    ...(rt.organizationId !== null && { org_id: rt.organizationId }),
  };
}

/**
 * `POST /oauth2/introspection` (RFC 7662). The caller must authenticate; it
 * learns only about its own tokens, and a first-party app also about user
 * tokens of public (MCP) clients (tokens/live.ts). Everything else is exactly
 * `{"active": false}` (§2.2). An exchanged token (RFC 8693) also reports its
 * `act` (§4.1: "the act claim ... in introspection responses").
 */
export function introspectionEndpoint(app: FastifyInstance, deps: OAuthDeps): void {
  app.post('/oauth2/introspection', async function introspect(request, reply) {
    const form = requireForm(request);
    const client = await authenticateClient(deps, { authorization: request.headers.authorization, form, meta: requestMeta(request) }, { allowPublic: false });
    const token = form.get('token');
    if (token === undefined) throw new OAuthError('invalid_request', 'token is required.');
    reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' });
    // Refresh tokens are opaque (no dots); access tokens are JWTs.
    if (!token.includes('.')) return (await liveRefreshToken(deps, token, client.application.clientId)) ?? INACTIVE;
    const live = await liveAccessToken(deps, token, client.application);
    if (!live) return INACTIVE;
    const { claims } = live;
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
      ...(claims.act !== undefined && { act: claims.act }),
    };
  });
}
