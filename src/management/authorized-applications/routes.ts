import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatList } from '../format.ts';
import { formatAuthorizedApplication } from '../users/format.ts';
import * as service from './service.ts';

/** Authorized applications of an organization's members (issue #11). */
export function organizationAuthorizedApplicationRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get<{ Params: { organization_id: string }; Querystring: Record<string, unknown> }>(
    '/organizations/:organization_id/authorized_applications',
    async function OrganizationAuthorizedApplicationsController_list(req) {
      // The per-user object plus the user who authorized it (the WorkOS SDKs require `user_id` here).
      return formatList(await service.listOrganizationAuthorizedApplications(deps, req.params.organization_id, req.query), (c) => ({ ...formatAuthorizedApplication(c), user_id: c.userId }));
    },
  );

  app.delete<{ Params: { organization_id: string; application_id: string } }>(
    '/organizations/:organization_id/authorized_applications/:application_id',
    async function OrganizationAuthorizedApplicationsController_delete(req, reply) {
      await service.deleteOrganizationAuthorizedApplication(deps, auditContext(req), req.params.organization_id, req.params.application_id);
      return reply.code(204).send();
    },
  );
}
