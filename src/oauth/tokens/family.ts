import { newAuditEvent, type AuditEventName } from '../../domain/audit.ts';
import type { OAuthDeps, RequestMeta } from '../deps.ts';

export type FamilyDeps = Pick<OAuthDeps, 'storage' | 'clock' | 'ids'>;

/**
 * Kills a refresh-token family: every refresh token in it, and every access
 * token issued with them that could still be alive (RFC 9700 §4.14.2).
 * `extra` adds access tokens recorded elsewhere (a code's own exchange).
 */
export async function revokeFamily(deps: FamilyDeps, familyId: string | null, clientId: string, extra: readonly { jti: string; exp: Date }[] = []): Promise<void> {
  const now = deps.clock.now();
  // `extra` first: a code exchange racing a reuse checks its access token *after* storing its refresh
  // token, so either it sees this revocation, or its refresh token exists before the family dies below.
  await deps.storage.revocations.revokeMany(extra.filter((t) => t.exp > now), clientId);
  if (familyId === null) return;
  await deps.storage.revocations.revokeMany(await deps.storage.refreshTokens.revokeFamily(familyId, now), clientId);
}

/** Audit trail of a detected reuse (a code or refresh token presented twice): a likely theft. */
export async function recordReuse(
  deps: FamilyDeps,
  meta: RequestMeta,
  event: Extract<AuditEventName, 'oauth.authorization_code_reused' | 'oauth.refresh_token_reused'>,
  grant: { clientId: string; userId: string; organizationId: string | null },
): Promise<void> {
  // One call, atomic on its own: the event and its webhook deliveries (issue #13).
  await deps.storage.audit.record(
    newAuditEvent(deps, event, grant.organizationId, { client_id: grant.clientId, user_id: grant.userId }, { actor_type: 'client', actor_id: grant.clientId, ip: meta.ip, request_id: meta.requestId }),
  );
}
