import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatList } from '../format.ts';
import { formatOrganization } from './format.ts';
import * as service from './service.ts';

type IdParams = { Params: { id: string } };

/** `/organizations`: handlers named after their OpenAPI operationIds. */
export function organizationRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get<{ Querystring: Record<string, unknown> }>('/organizations', async function OrganizationsController_list(req) {
    return formatList(await service.listOrganizations(deps, req.query), formatOrganization);
  });

  app.post('/organizations', async function OrganizationsController_create(req, reply) {
    return reply.code(201).send(formatOrganization(await service.createOrganization(deps, auditContext(req), req.body)));
  });

  app.get<{ Params: { external_id: string } }>(
    '/organizations/external_id/:external_id',
    async function OrganizationsController_getByExternalId(req) {
      return formatOrganization(await service.getOrganizationByExternalId(deps, req.params.external_id));
    },
  );

  app.get<IdParams>('/organizations/:id', async function OrganizationsController_find(req) {
    return formatOrganization(await service.getOrganization(deps, req.params.id));
  });

  app.put<IdParams>('/organizations/:id', async function OrganizationsController_updateOrganization(req) {
    return formatOrganization(await service.updateOrganization(deps, auditContext(req), req.params.id, req.body));
  });

  app.delete<IdParams>('/organizations/:id', async function OrganizationsController_deleteOrganization(req, reply) {
    await service.deleteOrganization(deps, auditContext(req), req.params.id);
    return reply.code(204).send();
  });
}
