import type { FastifyInstance } from 'fastify';
import { auditContext } from '../audit.ts';
import type { ManagementDeps } from '../deps.ts';
import { completeExternalAuth } from './service.ts';

export function externalAuthRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.post('/authkit/oauth2/complete', async function ExternalAuthController_completeLogin(req) {
    return completeExternalAuth(deps, auditContext(req), req.body);
  });
}
