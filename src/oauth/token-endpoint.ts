import type { FastifyInstance } from 'fastify';
import type { Application } from '../domain/application.ts';
import { OAuthError } from '../domain/errors.ts';
import { requestMeta } from '../http/request-meta.ts';
import { authenticateClient } from './client-auth.ts';
import type { OAuthDeps } from './deps.ts';
import { mapOAuthError, requireForm } from './errors.ts';
import { grants } from './grants/index.ts';

/** Stamped at most once a minute per client (a hot client must not write per token). */
async function markUsed(deps: OAuthDeps, app: Application): Promise<void> {
  const now = deps.clock.now();
  const last = app.dynamic?.lastUsedAt;
  if (last && now.getTime() - last.getTime() < 60_000) return;
  await deps.storage.dynamicClients.markUsed(app.id, now, new Date(now.getTime() - 60_000));
}

/** One grant's work as the token endpoint does it: what it answers, and the application it answered. */
export type GrantWork<T> = () => Promise<{ readonly app: Application; readonly answer: T }>;

/**
 * Runs a grant's work with what every issuing endpoint does around it: the
 * issued and error counters, and a dynamic client that obtained a token is
 * marked used, so it is never purged silently (issue #10). Shared by
 * `/oauth2/token` and the WorkOS twin of the device grant.
 */
export function grantRunner(deps: OAuthDeps): <T>(grantType: string | undefined, work: GrantWork<T>) => Promise<T> {
  const issued = new Map([...grants.keys()].map((g) => [g, deps.metrics.counter('portico_tokens_issued_total', { grant: g })]));
  return async (grantType, work) => {
    try {
      const { app, answer } = await work();
      issued.get(grantType!)?.inc();
      if (app.dynamic !== null) await markUsed(deps, app);
      return answer;
    } catch (err) {
      // The metric reads the mapped answer: one classification, the error handler's.
      deps.metrics.inc('portico_token_errors_total', { grant: grantType ?? 'unknown', error: mapOAuthError(err).body.error });
      throw err;
    }
  };
}

/**
 * `POST /oauth2/token`: parse -> grants.get(grant_type) -> authenticate ->
 * the grant's `handle` with only its own parameters (RFC 6749 §3.2). The one
 * place the grants meet HTTP.
 */
export function tokenEndpoint(app: FastifyInstance, deps: OAuthDeps): void {
  const run = grantRunner(deps);
  app.post('/oauth2/token', async function token(request, reply) {
    const form = requireForm(request);
    const grantType = form.get('grant_type');
    const grant = grantType === undefined ? undefined : grants.get(grantType);
    const response = await run(grant?.grantType, async () => {
      if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required.');
      if (!grant) throw new OAuthError('unsupported_grant_type', `This grant_type is not supported; use one of: ${[...grants.keys()].join(', ')}.`);
      const meta = requestMeta(request);
      const client = await authenticateClient(deps, { authorization: request.headers.authorization, form, meta });
      return { app: client.application, answer: await grant.handle({ params: form.only(grant.parameters), client, meta }, deps) };
    });
    return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(response);
  });
}
