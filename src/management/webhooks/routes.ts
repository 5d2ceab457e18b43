import type { FastifyInstance } from 'fastify';
import type { ManagementDeps } from '../deps.ts';
import { formatList } from '../format.ts';
import { formatWebhookEndpoint } from './format.ts';
import * as service from './service.ts';

type IdParams = { Params: { id: string } };

/** `/webhook_endpoints` (issue #13): handlers named after their OpenAPI operationIds. */
export function webhookEndpointRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get<{ Querystring: Record<string, unknown> }>('/webhook_endpoints', async function WebhookEndpointsController_list(req) {
    return formatList(await service.listWebhookEndpoints(deps, req.query), (e) => formatWebhookEndpoint(e, null));
  });

  app.post('/webhook_endpoints', async function WebhookEndpointsController_create(req, reply) {
    const { endpoint, secret } = await service.createWebhookEndpoint(deps, req.body);
    // Carries the signing secret: never cached.
    return reply.code(201).header('cache-control', 'no-store').send(formatWebhookEndpoint(endpoint, secret));
  });

  app.patch<IdParams>('/webhook_endpoints/:id', async function WebhookEndpointsController_update(req, reply) {
    const { endpoint, secret } = await service.updateWebhookEndpoint(deps, req.params.id, req.body);
    return reply.header('cache-control', 'no-store').send(formatWebhookEndpoint(endpoint, secret));
  });

  app.delete<IdParams>('/webhook_endpoints/:id', async function WebhookEndpointsController_delete(req, reply) {
    await service.deleteWebhookEndpoint(deps, req.params.id);
    return reply.code(204).send();
  });
}
