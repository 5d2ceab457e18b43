import type { FastifyInstance } from 'fastify';
import type { Application } from '../domain/application.ts';
import { requestMeta } from '../http/request-meta.ts';
import { authenticateClient } from './client-auth.ts';
import type { OAuthDeps } from './deps.ts';
import { requireForm } from './errors.ts';
import { OAuthError } from '../domain/errors.ts';
import { tokenDigest } from './tokens/issue.ts';
import { verifyJwt, type AccessTokenClaims } from './tokens/jwt.ts';

const INACTIVE = { active: false } as const;

/**
 * An access token that is ours, unexpired and unrevoked, whose application
 * (and, for a user token, consent) still exists, and that `caller` may see:
 * its own tokens, and for first-party apps (the company's own resource
 * servers) user tokens of every client. Null otherwise.
 */
export async function liveAccessToken(deps: OAuthDeps, token: string, caller: Application): Promise<AccessTokenClaims | null> {
  const claims = await verifyJwt(token, deps.keys, deps.config.issuer, deps.clock.now());
  if (!claims) return null;
  const own = claims.client_id === caller.clientId;
  if (!own && !(caller.type === 'oauth' && caller.isFirstParty && claims.sid !== undefined)) return null;
  const [revoked, app, consent] = await Promise.all([
    deps.storage.revocations.isRevoked(claims.jti),
    // A deleted application's tokens die with it; so do a withdrawn consent's.
    own ? caller : deps.storage.applications.find(claims.client_id),
    claims.sid === undefined ? true : deps.storage.consents.get(claims.sid),
  ]);
  return !revoked && app && consent ? claims : null;
}

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
 * learns only about its own tokens. Everything else is exactly
 * `{"active": false}` (§2.2).
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
    const claims = await liveAccessToken(deps, token, client.application);
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
