import type { FastifyInstance } from 'fastify';
import { authenticateClient } from './client-auth.ts';
import type { OAuthDeps } from './deps.ts';
import { OAuthError, requireForm } from './errors.ts';
import { grants } from './grants/index.ts';

/** `POST /oauth2/token`: parse -> authenticate -> grants.get(grant_type) (RFC 6749 §3.2). */
export function tokenEndpoint(app: FastifyInstance, deps: OAuthDeps): void {
  app.post('/oauth2/token', async function token(request, reply) {
    const form = requireForm(request);
    const grantType = form.get('grant_type');
    try {
      if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required.');
      const handler = grants.get(grantType);
      if (!handler) throw new OAuthError('unsupported_grant_type', `This grant_type is not supported; use one of: ${[...grants.keys()].join(', ')}.`);
      const client = await authenticateClient(deps, request, form);
      const response = await handler({ deps, request, form, client });
      deps.metrics.inc('portico_tokens_issued_total', { grant: grantType });
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(response);
    } catch (err) {
      const code = err instanceof OAuthError ? err.error : (err as { kind?: string }).kind === 'storage_unavailable' ? 'temporarily_unavailable' : 'server_error';
      const grant = grantType !== undefined && grants.has(grantType) ? grantType : 'unknown';
      deps.metrics.inc('portico_token_errors_total', { grant, error: code });
      throw err;
    }
  });
}
