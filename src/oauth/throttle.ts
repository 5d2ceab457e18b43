import { ID_PREFIX } from '../domain/ids.ts';
import type { OAuthDeps } from './deps.ts';
import { OAuthError } from './errors.ts';

/** Failure windows are one minute long. */
const WINDOW_MS = 60_000;

function keysFor(clientId: string | null, ip: string): string[] {
  return clientId === null ? [`ip:${ip}`] : [`client:${clientId}`, `ip:${ip}`];
}

/**
 * Refuses (429 + Retry-After) a client authentication when this client_id or
 * this source address failed too often in the current window. Counted in the
 * database so that every node sees the same windows (DESIGN.md §5); other
 * clients and addresses are untouched.
 */
export async function assertNotThrottled(deps: OAuthDeps, clientId: string | null, ip: string): Promise<void> {
  const now = deps.clock.now().getTime();
  const windows = await deps.storage.authFailures.windows(keysFor(clientId, ip), new Date(now - WINDOW_MS));
  for (const w of windows) {
    const limit = w.key.startsWith('ip:') ? deps.config.authFailureLimit * 5 : deps.config.authFailureLimit;
    if (w.count >= limit) {
      const retryAfter = Math.max(1, Math.ceil((w.windowStart.getTime() + WINDOW_MS - now) / 1000));
      throw new OAuthError('slow_down', 'Too many failed client authentications. Retry later.', 429, { 'retry-after': String(retryAfter) });
    }
  }
}

/** Counts a failed client authentication and writes its audit event. */
export async function recordAuthFailure(deps: OAuthDeps, clientId: string | null, ip: string, requestId: string, reason: string): Promise<void> {
  const at = deps.clock.now();
  await deps.storage.authFailures.record(keysFor(clientId, ip), at, new Date(at.getTime() - WINDOW_MS));
  await deps.storage.audit.record({
    id: deps.ids(ID_PREFIX.auditEvent),
    event: 'oauth.client_authentication_failed',
    organizationId: null,
    data: { client_id: clientId, reason },
    context: { actor_type: 'client', actor_id: clientId, ip, request_id: requestId },
    createdAt: at,
  });
}
