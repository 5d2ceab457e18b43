import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPorticoError, OAuthError } from '../domain/errors.ts';
import { requestMeta } from '../http/request-meta.ts';
import { clientInformation, registerClient, registeredClient, updateRegistration } from './clients/registration.ts';
import type { OAuthDeps } from './deps.ts';
import { oauthErrorHandler } from './errors.ts';

/** Registration bodies are small (RFC 7591 metadata); anything bigger is refused as invalid metadata. */
const BODY_LIMIT = 64 * 1024;

/**
 * A registration request that never got to its handler (not JSON, not UTF-8,
 * a lone surrogate, too large) is an RFC 7591 §3.2.2 `invalid_client_metadata`,
 * not a generic invalid_request; then the OAuth face's one mapping answers it.
 */
function asRegistrationError(err: unknown): unknown {
  if (err instanceof OAuthError) return err;
  const status = (err as Partial<FastifyError>).statusCode;
  if ((isPorticoError(err) && (err.kind === 'validation' || err.kind === 'malformed_request')) || (typeof status === 'number' && status >= 400 && status < 500)) {
    return new OAuthError('invalid_client_metadata', status === 413 ? 'The registration request is too large.' : 'The registration request must be a JSON object of client metadata (RFC 7591).', { cause: err });
  }
  return err;
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  return typeof header === 'string' ? (/^Bearer[ ]+([A-Za-z0-9_-]{20,100})\s*$/i.exec(header)?.[1] ?? null) : null;
}

/**
 * Dynamic client registration (RFC 7591) at `POST /oauth2/register` and its
 * management (RFC 7592) at `/oauth2/register/:client_id`, when
 * PORTICO_DYNAMIC_CLIENT_REGISTRATION=on. JSON in, JSON out, never cached.
 */
export async function registrationEndpoints(app: FastifyInstance, deps: OAuthDeps): Promise<void> {
  app.setErrorHandler((err, request, reply) => oauthErrorHandler(asRegistrationError(err), request, reply));
  const noStore = (reply: FastifyReply) => reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).type('application/json; charset=utf-8');

  app.post('/oauth2/register', { bodyLimit: BODY_LIMIT }, async function register(request, reply) {
    if (!request.headers['content-type']?.toLowerCase().startsWith('application/json')) throw new OAuthError('invalid_client_metadata', 'Send the client metadata as application/json (RFC 7591 §3.1).');
    return noStore(reply).code(201).send(await registerClient(deps, request.body, requestMeta(request)));
  });

  app.get<{ Params: { clientId: string } }>('/oauth2/register/:clientId', async function readRegistration(request, reply) {
    const client = await registeredClient(deps, request.params.clientId, bearer(request));
    return noStore(reply).send(clientInformation(deps, client));
  });

  app.put<{ Params: { clientId: string } }>('/oauth2/register/:clientId', { bodyLimit: BODY_LIMIT }, async function updateRegistrationRoute(request, reply) {
    const client = await registeredClient(deps, request.params.clientId, bearer(request));
    return noStore(reply).send(await updateRegistration(deps, client, request.body));
  });

  app.delete<{ Params: { clientId: string } }>('/oauth2/register/:clientId', async function deleteRegistration(request, reply) {
    const client = await registeredClient(deps, request.params.clientId, bearer(request));
    // Its secrets, consents, codes and refresh tokens go with it: the next token request is 401 invalid_client.
    await deps.storage.applications.delete(client.id);
    return reply.code(204).header('cache-control', 'no-store').send();
  });
}
