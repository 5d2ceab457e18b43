import type { Clock } from './domain/clock.ts';
import type { Config } from './config.ts';
import type { Storage } from './storage/port.ts';
import { IDEMPOTENCY_TTL_MS } from './management/idempotency.ts';

const EVERY_MS = 10 * 60 * 1000;

/**
 * Deletes rows that can no longer matter: revocations of tokens that have
 * expired anyway, idempotency keys past their 24 hours, stale failure
 * windows, expired interactions, codes, refresh tokens, device authorizations and sessions, finished webhook deliveries past their retention. Safe to run on every node at once (plain conditional deletes).
 */
/** How long what housekeeping deletes is kept: PORTICO_REGISTRATION_UNUSED_TTL_SECONDS and PORTICO_WEBHOOK_RETENTION_DAYS. */
export type Retention = Pick<Config, 'registrationUnusedTtl' | 'webhookRetentionDays'>;

export async function housekeep(storage: Storage, clock: Clock, retention: Retention): Promise<void> {
  const now = clock.now();
  await storage.revocations.purge(now);
  await storage.idempotency.purge(new Date(now.getTime() - IDEMPOTENCY_TTL_MS));
  await storage.authFailures.purge(new Date(now.getTime() - 60 * 60 * 1000));
  // Interactions go at expiry: nothing later refers to one, and abandoned ones are what an
  // unauthenticated caller can create (issue #7). Codes and refresh tokens are kept an hour past
  // expiry so a late reuse is still recognised as reuse, not as unknown.
  await storage.interactions.purge(now);
  const hourAgo = new Date(now.getTime() - 60 * 60 * 1000);
  await storage.codes.purge(hourAgo);
  await storage.refreshTokens.purge(hourAgo);
  // Device authorizations too: a late poll of a used or expired code still gets the precise answer.
  await storage.deviceAuthorizations.purge(hourAgo);
  await storage.sessions.purge(now);
  // Issue #14: dashboard session keys a day past their expiry (until then the API key list can still say so).
  await storage.apiKeys.purgeExpired(new Date(now.getTime() - 24 * 60 * 60 * 1000));
  // Issue #10: dynamic clients nobody ever got a token for (MCP clients often register twice per connect).
  await storage.dynamicClients.purgeUnused(new Date(now.getTime() - retention.registrationUnusedTtl * 1000));
  await storage.dynamicClients.purgeAssertions(now);
  // Issue #13: the outbox keeps a finished delivery (and its attempts) for the retention period, then lets it go.
  await storage.webhooks.purge(new Date(now.getTime() - retention.webhookRetentionDays * 86_400_000));
}

/** Runs housekeeping every ten minutes in the background; a failure is logged and waits for the next round. */
export function startHousekeeping(storage: Storage, clock: Clock, retention: Retention, onError: (err: unknown) => void): () => void {
  const timer = setInterval(() => void housekeep(storage, clock, retention).catch(onError), EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
