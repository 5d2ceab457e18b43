import { addressKey } from '../domain/client-address.ts';
import { ID_PREFIX, type IdGenerator } from '../domain/ids.ts';
import type { Clock } from '../domain/clock.ts';
import type { FailureWindow, Storage } from '../storage/port.ts';
import type { OAuthDeps } from './deps.ts';
import { OAuthError } from './errors.ts';

/** Failure windows are one minute long. */
const WINDOW_MS = 60_000;
/** Failures are written in batches at most this often (one transaction per batch). */
const FLUSH_MS = 100;
/** A window read from the database is reused this long (the batches it reflects are 100 ms apart anyway). */
const WINDOW_CACHE_MS = 250;

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
  /** Counts of the batch being written: still counted until it commits. */
  #inFlight = new Map<string, number>();
  /** Recently read windows, so a flood of failures does not cost a query each. */
  #windowCache = new Map<string, { readAt: number; window: FailureWindow | null }>();

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

  /** Failures of `key` recorded here and not yet committed (waiting, or being written). */
  pending(key: string): number {
    return (this.#counts.get(key) ?? 0) + (this.#inFlight.get(key) ?? 0);
  }

  /** The stored windows of these keys (younger than `since`), from a short-lived cache where possible. */
  async windows(keys: readonly string[], since: Date): Promise<Map<string, FailureWindow>> {
    const now = this.#clock.now().getTime();
    const out = new Map<string, FailureWindow>();
    const missing = keys.filter((k) => {
      const hit = this.#windowCache.get(k);
      if (!hit || now - hit.readAt > WINDOW_CACHE_MS) return true;
      if (hit.window && hit.window.windowStart > since) out.set(k, hit.window);
      return false;
    });
    if (missing.length > 0) {
      const read = new Map((await this.#storage.authFailures.windows(missing, since)).map((w) => [w.key, w]));
      if (this.#windowCache.size > 10_000) this.#windowCache.clear();
      for (const k of missing) {
        const w = read.get(k) ?? null;
        this.#windowCache.set(k, { readAt: now, window: w });
        if (w) out.set(k, w);
      }
    }
    return out;
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const counts = this.#counts;
    const events = [...this.#events.values()];
    if (counts.size === 0) return;
    this.#counts = new Map();
    this.#events = new Map();
    for (const [k, n] of counts) this.#inFlight.set(k, (this.#inFlight.get(k) ?? 0) + n);
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
    } finally {
      // Committed (or lost): from now on the stored window is the truth; forget cached reads of it.
      for (const [k, n] of counts) {
        const left = (this.#inFlight.get(k) ?? 0) - n;
        if (left > 0) this.#inFlight.set(k, left);
        else this.#inFlight.delete(k);
        this.#windowCache.delete(k);
      }
    }
  }
}

/**
 * Past the limit (per `client_id`, and five times that per address) a failed
 * authentication answers 429 with Retry-After instead of 401, and is no longer
 * recorded. The count is the stored window (cached up to 250 ms) plus this
 * process's unwritten failures. Correct credentials are never refused: an attacker who knows a
 * client_id (it is not secret) cannot lock the real client out.
 */
export async function throttledFailure(deps: OAuthDeps, clientId: string | null, ip: string): Promise<OAuthError | null> {
  const now = deps.clock.now().getTime();
  const keys = keysFor(clientId, ip);
  const windows = await deps.failures.windows(keys, new Date(now - WINDOW_MS));
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
