import type { FastifyRequest } from 'fastify';
import type { AuditContext, AuditEventName } from '../domain/audit.ts';
import { ID_PREFIX } from '../domain/ids.ts';
import type { Repositories } from '../storage/port.ts';
import type { ManagementDeps } from './deps.ts';

/** Who made this management request: the API key, the address, the request ID. */
export function auditContext(request: FastifyRequest): AuditContext {
  return { actor_type: 'api_key', actor_id: request.apiKeyId ?? null, ip: request.ip, request_id: request.id };
}

/**
 * Records one audit event inside the caller's transaction, so that the change
 * and its event land together. `data` is the object's wire form, never a secret.
 */
export async function recordEvent(
  tx: Repositories,
  deps: Pick<ManagementDeps, 'ids' | 'clock'>,
  ctx: AuditContext,
  event: AuditEventName,
  organizationId: string | null,
  data: Readonly<Record<string, unknown>>,
): Promise<void> {
  await tx.audit.record({ id: deps.ids(ID_PREFIX.auditEvent), event, organizationId, data, context: ctx, createdAt: deps.clock.now() });
}
