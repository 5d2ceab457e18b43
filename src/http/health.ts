import type { FastifyInstance } from 'fastify';
import type { Storage } from '../storage/port.ts';

/** Liveness (`/health`) never touches the database; readiness (`/health/ready`) does. */
export function healthRoutes(app: FastifyInstance, storage: Storage): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (request, reply) => {
    try {
      await storage.ping();
      return { status: 'ok' };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.code(503).header('retry-after', '1').send({ status: 'unavailable', checks: { database: 'down' } });
    }
  });
}
