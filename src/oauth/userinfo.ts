import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthDeps } from './deps.ts';
import { Form } from '../http/form.ts';
import { profileClaims } from './tokens/issue.ts';
import { liveUserToken } from './tokens/live.ts';

/** RFC 6750 §3: a Bearer challenge with the error. */
function bearerError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply
    .code(status)
    .headers({ 'www-authenticate': `Bearer error="${error}", error_description="${description}"`, 'cache-control': 'no-store' })
    .send({ error, error_description: description });
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') return /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header)?.[1] ?? null;
  // RFC 6750 §2.2: the form-encoded body parameter, for POST.
  return request.body instanceof Form ? (request.body.get('access_token') ?? null) : null;
}

/**
 * `GET`/`POST /oauth2/userinfo` (OIDC Core §5.3): `sub` and the profile and
 * email claims the token's scopes allow, for a live user access token.
 */
export function userinfoEndpoint(app: FastifyInstance, deps: OAuthDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request);
    if (token === null) return bearerError(reply, 401, 'invalid_request', 'A Bearer access token is required.');
    // Live: unrevoked (with the tokens it was exchanged from), its consent and application still there.
    const claims = (await liveUserToken(deps, token))?.claims;
    if (!claims) return bearerError(reply, 401, 'invalid_token', 'The access token is invalid, expired or revoked.');
    const scopes = claims.scope.split(' ');
    if (!scopes.includes('openid')) return bearerError(reply, 403, 'insufficient_scope', 'The openid scope is required.');
    const user = await deps.storage.users.get(claims.sub);
    if (!user) return bearerError(reply, 401, 'invalid_token', 'The authorization was withdrawn.');
    return reply.header('cache-control', 'no-store').send({ sub: user.id, ...profileClaims(user, scopes), ...(claims.org_id !== undefined && { org_id: claims.org_id }) });
  };
  app.get('/oauth2/userinfo', handler);
  app.post('/oauth2/userinfo', handler);
}
