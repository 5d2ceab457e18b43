import { ID_PREFIX, type IdGenerator } from '../domain/ids.ts';
import type { Clock } from '../domain/clock.ts';
import type { Storage } from '../storage/port.ts';
import type { OAuthDeps } from './deps.ts';
import { OAuthError } from './errors.ts';

/** Failure windows are one minute long. */
const WINDOW_MS = 60_000;
/** Failures are written in batches at most this often (one transaction per batch). */
const FLUSH_MS = 100;

function keysFor(clientId: string | null, ip: string): string[] {
  return clientId === null ? [`ip:${ip}`] : [`client:${clientId}`, `ip:${ip}`];
}

interface PendingEvent {
  readonly clientId: string | null;
  readonly ip: string;
  readonly reason: string;
  readonly requestId: string;
  count: number;
}

/**
 * Failed client authentications: counted per `client_id` and per source
 * address in one-minute windows kept in the database, so every node sees
 * them (DESIGN.md §5). Writes are batched: each process flushes its failures
 * at most every 100 ms in one transaction (counter upserts plus one audit
 * event per client/address/reason with a count), so a flood of wrong secrets
 * costs a few writes per second instead of three synchronous writes each.
 */
export class FailureLog {
  readonly #storage: Storage;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #onError: (err: unknown) => void;
  #counts = new Map<string, number>();
  #events = new Map<string, PendingEvent>();
  #timer: NodeJS.Timeout | undefined;

  constructor(storage: Storage, clock: Clock, ids: IdGenerator, onError: (err: unknown) => void) {
    this.#storage = storage;
    this.#clock = clock;
    this.#ids = ids;
    this.#onError = onError;
  }

  record(clientId: string | null, ip: string, reason: string, requestId: string): void {
    for (const key of keysFor(clientId, ip)) this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    const eventKey = `${clientId}\u0000${ip}\u0000${reason}`;
    const event = this.#events.get(eventKey);
    if (event) event.count++;
    else this.#events.set(eventKey, { clientId, ip, reason, requestId, count: 1 });
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Failures of `key` recorded here but not yet written. */
  pending(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const counts = this.#counts;
    const events = [...this.#events.values()];
    if (counts.size === 0) return;
    this.#counts = new Map();
    this.#events = new Map();
    const at = this.#clock.now();
    try {
      await this.#storage.transaction(async (tx) => {
        await tx.authFailures.record([...counts].map(([key, count]) => ({ key, count })), at, new Date(at.getTime() - WINDOW_MS));
        for (const e of events) {
          await tx.audit.record({
            id: this.#ids(ID_PREFIX.auditEvent),
            event: 'oauth.client_authentication_failed',
            organizationId: null,
            data: { client_id: e.clientId, reason: e.reason, count: e.count },
            context: { actor_type: 'client', actor_id: e.clientId, ip: e.ip, request_id: e.requestId },
            createdAt: at,
          });
        }
      });
    } catch (err) {
      // Counters are advisory: a lost batch only means a few uncounted failures.
      this.#onError(err);
    }
  }
}

/**
 * Past the limit (per `client_id`, and five times that per address) a failed
 * authentication answers 429 with Retry-After instead of 401, and is no longer
 * recorded. Correct credentials are never refused: an attacker who knows a
 * client_id (it is not secret) cannot lock the real client out.
 */
export async function throttledFailure(deps: OAuthDeps, clientId: string | null, ip: string): Promise<OAuthError | null> {
  const now = deps.clock.now().getTime();
  const keys = keysFor(clientId, ip);
  const windows = new Map((await deps.storage.authFailures.windows(keys, new Date(now - WINDOW_MS))).map((w) => [w.key, w]));
  for (const key of keys) {
    const limit = key.startsWith('ip:') ? deps.config.authFailureLimit * 5 : deps.config.authFailureLimit;
    const stored = windows.get(key);
    if ((stored?.count ?? 0) + deps.failures.pending(key) >= limit) {
      const start = stored?.windowStart.getTime() ?? now;
      const retryAfter = Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000));
      return new OAuthError('slow_down', 'Too many failed client authentications. Retry later.', 429, { 'retry-after': String(retryAfter) });
    }
  }
  return null;
}
