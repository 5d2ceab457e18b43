import type { Clock } from '../domain/clock.ts';
import { addressKey } from '../domain/client-address.ts';
import { newAuditEvent } from '../domain/audit.ts';
import type { IdGenerator } from '../domain/ids.ts';
import type { Storage } from '../storage/port.ts';
import { OAuthError } from '../domain/errors.ts';

/** Failure windows are one minute long (fixed windows). */
const WINDOW_MS = 60_000;
/** Audit events of failures are written in batches at most this often (one transaction per batch). */
const FLUSH_MS = 100;

/** Counter keys: per client_id, and per address (IPv6 per /64, so one client cannot rotate through addresses: issue #7). */
function keysFor(clientId: string | null, ip: string): string[] {
  const address = `ip:${addressKey(ip)}`;
  return clientId === null ? [address] : [`client:${clientId}`, address];
}

interface PendingEvent {
  readonly clientId: string | null;
  readonly ip: string;
  readonly reason: string;
  readonly requestId: string;
  count: number;
}

/**
 * Failed client authentications, counted per `client_id` and per source
 * address in one-minute windows kept in the database, so every node sees
 * them (DESIGN.md §5).
 *
 * Issue #8: each failure under the limit increments its counters at once, in
 * one atomic upsert per key that returns the new count, so the limit holds
 * exactly across workers and nodes (it used to be batched per process, which
 * let 1.6-2x the limit through). Once a key is over its limit this process
 * remembers it until the window ends, and later failures are answered 429
 * without any write. Audit events stay batched: at most one transaction per
 * 100 ms per process, one event per client/address/reason with a count.
 */
export class FailureLog {
  readonly #storage: Storage;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #onError: (err: unknown) => void;
  #events = new Map<string, PendingEvent>();
  #timer: NodeJS.Timeout | undefined;
  /** Keys known to be over their limit, until their window ends (windows are fixed: that cannot change). */
  #over = new Map<string, number>();

  constructor(storage: Storage, clock: Clock, ids: IdGenerator, onError: (err: unknown) => void) {
    this.#storage = storage;
    this.#clock = clock;
    this.#ids = ids;
    this.#onError = onError;
  }

  /** Seconds until the first of `keys` known to be over its limit leaves it, or null. */
  knownOver(keys: readonly string[], now: number): number | null {
    for (const key of keys) {
      const until = this.#over.get(key);
      if (until === undefined) continue;
      if (until > now) return Math.max(1, Math.ceil((until - now) / 1000));
      this.#over.delete(key);
    }
    return null;
  }

  /** Counts one failure for every key; returns the window of each after the increment. */
  async count(keys: readonly string[], at: Date): Promise<{ key: string; count: number; windowStart: Date }[]> {
    return this.#storage.transaction((tx) => tx.authFailures.record(keys.map((key) => ({ key, count: 1 })), at, new Date(at.getTime() - WINDOW_MS)));
  }

  markOver(key: string, until: number): void {
    if (this.#over.size > 10_000) this.#over.clear();
    this.#over.set(key, until);
  }

  /** Queues the audit event of a failure answered 401. */
  recordEvent(clientId: string | null, ip: string, reason: string, requestId: string): void {
    const eventKey = `${clientId}\u0000${ip}\u0000${reason}`;
    const event = this.#events.get(eventKey);
    if (event) event.count++;
    else this.#events.set(eventKey, { clientId, ip, reason, requestId, count: 1 });
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const events = [...this.#events.values()];
    if (events.length === 0) return;
    this.#events = new Map();
    try {
      await this.#storage.transaction(async (tx) => {
        for (const e of events) {
          await tx.audit.record(
            newAuditEvent({ ids: this.#ids, clock: this.#clock }, 'oauth.client_authentication_failed', null, { client_id: e.clientId, reason: e.reason, count: e.count }, { actor_type: 'client', actor_id: e.clientId, ip: e.ip, request_id: e.requestId }),
          );
        }
      });
    } catch (err) {
      // The counters were written already; only the audit trail of this batch is lost, and the log says so.
      this.#onError(err);
    }
  }
}

/** What the throttle needs: its settings, the clock and the failure log. */
export interface ThrottleDeps {
  readonly config: { readonly authFailureLimit: number };
  readonly clock: Clock;
  readonly failures: FailureLog;
}

/**
 * A failed authentication: counted, and answered 401 (`null` here) while the
 * client_id and the address are within their limits (per minute: the limit
 * per client_id, five times that per address), else 429 with Retry-After.
 * Exactly `limit` failures per window get 401, across every process and
 * node. Correct credentials are never refused: this runs only after a
 * credential check failed, so an attacker who knows a client_id (it is not
 * secret) cannot lock the real client out.
 */
export async function throttledFailure(deps: ThrottleDeps, clientId: string | null, ip: string, reason: string, requestId: string): Promise<OAuthError | null> {
  const keys = keysFor(clientId, ip);
  const now = deps.clock.now();
  const tooMany = (retryAfter: number) => new OAuthError('slow_down', 'Too many failed client authentications. Retry later.', { status: 429, headers: { 'retry-after': String(retryAfter) } });
  const known = deps.failures.knownOver(keys, now.getTime());
  if (known !== null) return tooMany(known);
  for (const w of await deps.failures.count(keys, now)) {
    const limit = w.key.startsWith('ip:') ? deps.config.authFailureLimit * 5 : deps.config.authFailureLimit;
    if (w.count > limit) {
      const until = w.windowStart.getTime() + WINDOW_MS;
      deps.failures.markOver(w.key, until);
      return tooMany(Math.max(1, Math.ceil((until - now.getTime()) / 1000)));
    }
  }
  deps.failures.recordEvent(clientId, ip, reason, requestId);
  return null;
}
