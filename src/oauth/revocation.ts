import type { FastifyInstance } from 'fastify';
import { requestMeta } from '../http/request-meta.ts';
import { authenticateClient } from './client-auth.ts';
import type { OAuthDeps } from './deps.ts';
import { requireForm } from './errors.ts';
import { OAuthError } from '../domain/errors.ts';
import { revokeFamily } from './tokens/family.ts';
import { liveAccessToken } from './tokens/live.ts';
import { tokenDigest } from './tokens/issue.ts';

/**
 * `POST /oauth2/revoke` (RFC 7009), for access and refresh tokens; public
 * clients may revoke their own tokens. A revoked access token introspects as
 * inactive until it expires (a JWT stays verifiable offline: resource servers
 * that must honour revocation introspect). Unknown, foreign or already dead
 * tokens also get 200 (§2.2), so the answer reveals nothing.
 */
export function revocationEndpoint(app: FastifyInstance, deps: OAuthDeps): void {
  app.post('/oauth2/revoke', async function revoke(request, reply) {
    const form = requireForm(request);
    const client = await authenticateClient(deps, { authorization: request.headers.authorization, form, meta: requestMeta(request) });
    const token = form.get('token');
    if (token === undefined) throw new OAuthError('invalid_request', 'token is required.');
    const clientId = client.application.clientId;
    if (token.includes('.')) {
      const claims = (await liveAccessToken(deps, token, client.application))?.claims;
      // Only the token's own client may revoke it (introspection may reach further). Tokens exchanged
      // from it name its jti, so they die with it (tokens/live.ts).
      if (claims && claims.client_id === clientId) await deps.storage.revocations.revoke(claims.jti, claims.client_id, new Date(claims.exp * 1000));
    } else if (token.length <= 200) {
      // A refresh token: it, the tokens it was rotated into, and their access tokens. The consent stays.
      const rt = await deps.storage.refreshTokens.find(tokenDigest(deps, token));
      if (rt && rt.clientId === clientId) await revokeFamily(deps, rt.familyId, clientId);
    }
    return reply.code(200).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send();
  });
}
