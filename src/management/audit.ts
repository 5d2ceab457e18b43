import type { FastifyRequest } from 'fastify';
import { newAuditEvent, type AuditContext, type AuditEventName } from '../domain/audit.ts';
import type { Repositories } from '../storage/port.ts';
import type { ManagementDeps } from './deps.ts';

/** Who made this management request: the API key, the address, the request ID. */
export function auditContext(request: FastifyRequest): AuditContext {
  return { actor_type: 'api_key', actor_id: request.apiKeyId ?? null, ip: request.ip, request_id: request.id };
}

/**
 * Records one audit event inside the caller's transaction, so that the change,
 * its event and its webhook deliveries (the outbox, issue #13) land together.
 * `data` is the object's wire form, never a secret.
 */
export async function recordEvent(
  tx: Repositories,
  deps: Pick<ManagementDeps, 'ids' | 'clock'>,
  ctx: AuditContext,
  event: AuditEventName,
  organizationId: string | null,
  data: Readonly<Record<string, unknown>>,
): Promise<void> {
  await tx.audit.record(newAuditEvent(deps, event, organizationId, data, ctx));
}
