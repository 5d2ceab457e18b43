import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatClientSecret, formatNewClientSecret } from './format.ts';
import * as service from './service.ts';

type IdParams = { Params: { id: string } };

/** Client secrets: handlers named after their OpenAPI operationIds. */
export function clientSecretRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get<IdParams>('/connect/applications/:id/client_secrets', async function ApplicationCredentialsController_list(req) {
    // A bare array, not a list envelope (spec, SDK and docs agree; reference §1.3).
    return (await service.listClientSecrets(deps, req.params.id)).map(formatClientSecret);
  });

  app.post<IdParams>('/connect/applications/:id/client_secrets', async function ApplicationCredentialsController_create(req, reply) {
    const { secret, plaintext } = await service.createClientSecret(deps, auditContext(req), req.params.id, req.body);
    // The only response that ever carries a plaintext secret: never cache it.
    return reply.code(201).header('cache-control', 'no-store').send(formatNewClientSecret(secret, plaintext));
  });

  app.delete<IdParams>('/connect/client_secrets/:id', async function ApplicationCredentialsController_delete(req, reply) {
    await service.deleteClientSecret(deps, auditContext(req), req.params.id);
    return reply.code(204).send();
  });
}
