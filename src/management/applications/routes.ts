import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatList } from '../format.ts';
import { formatApplication } from './format.ts';
import * as service from './service.ts';

type IdParams = { Params: { id: string } };

/** `/connect/applications`: handlers named after their OpenAPI operationIds. */
export function applicationRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get<{ Querystring: Record<string, unknown> }>('/connect/applications', async function ApplicationsController_list(req) {
    return formatList(await service.listApplications(deps, req.query), formatApplication);
  });

  app.post('/connect/applications', async function ApplicationsController_create(req, reply) {
    return reply.code(201).send(formatApplication(await service.createApplication(deps, auditContext(req), req.body)));
  });

  app.get<IdParams>('/connect/applications/:id', async function ApplicationsController_find(req) {
    return formatApplication(await service.findApplication(deps, req.params.id));
  });

  app.put<IdParams>('/connect/applications/:id', async function ApplicationsController_update(req) {
    return formatApplication(await service.updateApplication(deps, auditContext(req), req.params.id, req.body));
  });

  app.delete<IdParams>('/connect/applications/:id', async function ApplicationsController_delete(req, reply) {
    await service.deleteApplication(deps, auditContext(req), req.params.id);
    return reply.code(204).send();
  });
}
