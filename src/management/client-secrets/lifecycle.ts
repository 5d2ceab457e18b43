import { newAuditEvent, SYSTEM_CONTEXT } from '../../domain/audit.ts';
import type { Clock } from '../../domain/clock.ts';
import type { IdGenerator } from '../../domain/ids.ts';
import type { Storage } from '../../storage/port.ts';
import { secretEventData } from './service.ts';

const DAY_MS = 86_400_000;
/** Secrets marked per transaction; a scan goes on until none is left. */
const BATCH = 100;

export interface LifecycleDeps {
  readonly storage: Storage;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  /** PORTICO_SECRET_EXPIRY_WARNING_DAYS. */
  readonly warningDays: number;
}

/**
 * Issue #13: emits `connect_application_secret.expiring` for every secret
 * whose expiry is within the warning window, and `….expired` for every
 * secret past it, each exactly once per secret even with several nodes
 * scanning at once (the secret is marked by a conditional UPDATE in the same
 * transaction as its event, so the mark, the event and its webhook
 * deliveries commit together). A secret created closer to its expiry than
 * the window, or found past it after an outage, gets `expiring` first.
 */
export async function emitSecretLifecycleEvents(deps: LifecycleDeps): Promise<{ expiring: number; expired: number }> {
  const now = deps.clock.now();
  const counts = { expiring: 0, expired: 0 };
  for (const stage of ['expiring', 'expired'] as const) {
    const threshold = stage === 'expiring' ? new Date(now.getTime() + deps.warningDays * DAY_MS) : now;
    for (;;) {
      const marked = await deps.storage.transaction(async (tx) => {
        const secrets = await tx.secrets.markLifecycle(stage, threshold, now, BATCH);
        for (const s of secrets) await tx.audit.record(newAuditEvent(deps, `connect_application_secret.${stage}`, s.organizationId, secretEventData(s), SYSTEM_CONTEXT));
        return secrets.length;
      });
      counts[stage] += marked;
      if (marked < BATCH) break;
    }
  }
  return counts;
}
