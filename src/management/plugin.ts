import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminRoutes } from './admin/routes.ts';
import { webhookDeliveryRoutes } from './admin/webhook-deliveries.ts';
import { authenticateApiKey } from './api-keys.ts';
import { applicationRoutes } from './applications/routes.ts';
import { organizationAuthorizedApplicationRoutes } from './authorized-applications/routes.ts';
import { clientSecretRoutes } from './client-secrets/routes.ts';
import type { ManagementDeps } from './deps.ts';
import { managementErrorHandler } from './errors.ts';
import { eventRoutes } from './events/routes.ts';
import { externalAuthRoutes } from './external-auth/routes.ts';
import { idempotencyOnSend, idempotencyPreHandler } from './idempotency.ts';
import { organizationRoutes } from './organizations/routes.ts';
import { userRoutes } from './users/routes.ts';
import { webhookEndpointRoutes } from './webhooks/routes.ts';

/**
 * The WorkOS-compatible management API, an encapsulated Fastify plugin: its
 * own API-key check, idempotency and error mapping apply to its routes only.
 */
export async function managementPlugin(app: FastifyInstance, deps: ManagementDeps): Promise<void> {
  app.setErrorHandler(managementErrorHandler);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = await authenticateApiKey(deps, request.headers.authorization);
    if (!principal) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ message: 'Unauthorized: a valid API key is required (Authorization: Bearer sk_...).', code: 'unauthorized' });
    }
    request.apiKeyId = principal.apiKeyId;
    return undefined;
  });

  app.addHook('preHandler', (request, reply) => idempotencyPreHandler(deps, request, reply));

  app.addHook('onSend', async (request, reply, payload) => {
    try {
      await idempotencyOnSend(deps, request, reply, payload);
    } catch (err) {
      // The answer still goes out; a retry meets a pending claim (409) until it goes stale.
      request.log.warn({ err }, 'could not store the idempotent response');
    }
    return payload;
  });

  organizationRoutes(app, deps);
  applicationRoutes(app, deps);
  clientSecretRoutes(app, deps);
  eventRoutes(app, deps);
  externalAuthRoutes(app, deps);
  userRoutes(app, deps);
  organizationAuthorizedApplicationRoutes(app, deps);
  webhookEndpointRoutes(app, deps);
  adminRoutes(app, deps);
  webhookDeliveryRoutes(app, deps);
}
