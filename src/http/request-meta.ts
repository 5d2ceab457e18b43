import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from '../domain/request-meta.ts';

/** The request's origin as plain data: the core takes this, never the Fastify request (issue #9). */
export function requestMeta(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 300) : null, requestId: request.id };
}
