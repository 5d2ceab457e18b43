import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatList } from '../format.ts';
import { formatAuthorizedApplication, formatMembership, formatUser } from './format.ts';
import * as service from './service.ts';

type Q = { Querystring: Record<string, unknown> };

/** Users, their authorized applications (consents) and organization memberships. */
export function userRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get<{ Params: { id: string } }>('/user_management/users/:id', async function UserlandUsersController_get(req) {
    return formatUser(await service.getUser(deps, req.params.id));
  });

  app.get<{ Params: { user_id: string } } & Q>(
    '/user_management/users/:user_id/authorized_applications',
    async function AuthorizedApplicationsController_list(req) {
      return formatList(await service.listAuthorizedApplications(deps, req.params.user_id, req.query), formatAuthorizedApplication);
    },
  );

  app.delete<{ Params: { user_id: string; application_id: string } }>(
    '/user_management/users/:user_id/authorized_applications/:application_id',
    async function AuthorizedApplicationsController_delete(req, reply) {
      await service.deleteAuthorizedApplication(deps, auditContext(req), req.params.user_id, req.params.application_id);
      return reply.code(204).send();
    },
  );

  app.post('/user_management/organization_memberships', async function UserlandUserOrganizationMembershipsController_create(req, reply) {
    return reply.code(201).send(formatMembership(await service.createMembership(deps, auditContext(req), req.body)));
  });

  app.get<Q>('/user_management/organization_memberships', async function UserlandUserOrganizationMembershipsController_list(req) {
    return formatList(await service.listMemberships(deps, req.query), formatMembership);
  });

  app.get<{ Params: { id: string } }>('/user_management/organization_memberships/:id', async function UserlandUserOrganizationMembershipsController_get(req) {
    return formatMembership(await service.getMembership(deps, req.params.id));
  });

  app.delete<{ Params: { id: string } }>('/user_management/organization_memberships/:id', async function UserlandUserOrganizationMembershipsController_delete(req, reply) {
    await service.deleteMembership(deps, auditContext(req), req.params.id);
    // The OpenAPI document answers this delete with 200 and no body (not 204).
    return reply.code(200).send();
  });
}
