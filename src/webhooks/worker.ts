import type { Clock } from '../domain/clock.ts';
import { StorageUnavailableError } from '../domain/errors.ts';
import { ID_PREFIX, type IdGenerator } from '../domain/ids.ts';
import type { Keyring } from '../domain/keyring.ts';
import type { Random } from '../domain/random.ts';
import { jitterFrom, nextAttemptAt } from '../domain/webhook.ts';
import { emitSecretLifecycleEvents } from '../management/client-secrets/lifecycle.ts';
import type { OutboundFetch } from '../outbound/fetch.ts';
import type { AttemptOutcome, ClaimedDelivery, Storage } from '../storage/port.ts';
import { sendDelivery } from './send.ts';

export interface WorkerLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface WebhookWorkerDeps {
  readonly storage: Storage;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly random: Random;
  readonly outbound: OutboundFetch;
  readonly config: {
    readonly webhookConcurrency: number;
    readonly webhookTimeoutSeconds: number;
    readonly webhookPollMs: number;
    readonly secretExpiryWarningDays: number;
  };
  readonly log: WorkerLog;
}

/** What one round did (tests read it; the background loop ignores it). */
export interface TickReport {
  readonly claimed: number;
  readonly delivered: number;
  readonly retried: number;
  readonly failed: number;
  readonly gone: number;
  /** Attempts whose result could not be recorded (lease lost, or the database failed): the event will be sent again. */
  readonly unrecorded: number;
  readonly expiring: number;
  readonly expired: number;
}

/** Sends in flight per process at most (each endpoint also has its cluster-wide bound). */
const PROCESS_CAP = 64;
/** The secret lifecycle scan runs this often in the background. */
const SCAN_EVERY_MS = 30_000;
/** A claim lasts the request deadline plus this margin (recording the attempt). */
const LEASE_MARGIN_MS = 10_000;

type Outcome = AttemptOutcome['kind'] | 'unrecorded';

/**
 * The delivery loop of one serving process (issue #13). Each poll looks for
 * due deliveries with one read, claims a batch atomically (a lease in the
 * rows: PostgreSQL FOR UPDATE SKIP LOCKED, SQLite BEGIN IMMEDIATE), sends each
 * through the outbound module, and records the attempt. Deliveries are at
 * least once: a process that dies after sending and before recording leaves
 * a lease that runs out, and another process sends the event again, with the
 * same `id`. A database outage pauses it (one warn line per outage, none per
 * row); it never throws out of the loop. Tests call `tick()` with a manual clock.
 */
export class WebhookWorker {
  readonly #deps: WebhookWorkerDeps;
  readonly #inFlight = new Set<Promise<Outcome>>();
  #timers: NodeJS.Timeout[] = [];
  #polling: Promise<void> | null = null;
  /** The secret-lifecycle scan under way (it writes events), awaited by stop() as a claim is. */
  #scanning: Promise<{ expiring: number; expired: number }> | null = null;
  /** What is failing now, per part of the loop (so one part's trouble is not reported as over by the other's success). */
  readonly #trouble: Record<'deliver' | 'scan', string | null> = { deliver: null, scan: null };

  constructor(deps: WebhookWorkerDeps) {
    this.#deps = deps;
  }

  /** One full round: secret lifecycle events, then every due delivery this process can take, awaited. */
  async tick(): Promise<TickReport> {
    const lifecycle = await this.#scan();
    const started = await this.#claimAndSend();
    const outcomes = await Promise.all(started);
    const count = (k: Outcome) => outcomes.filter((o) => o === k).length;
    return { claimed: outcomes.length, delivered: count('delivered'), retried: count('retry'), failed: count('failed'), gone: count('gone'), unrecorded: count('unrecorded'), ...lifecycle };
  }

  start(): void {
    const poll = setInterval(() => void this.#poll(), this.#deps.config.webhookPollMs);
    const scan = setInterval(() => void this.#scan(), SCAN_EVERY_MS);
    poll.unref();
    scan.unref();
    this.#timers = [poll, scan];
    void this.#scan();
  }

  /** Stops polling and waits for a claim or scan under way and for the sends in flight to be recorded. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await Promise.all([this.#polling, this.#scanning]);
    await Promise.allSettled([...this.#inFlight]);
  }

  async #poll(): Promise<void> {
    if (this.#polling !== null || this.#inFlight.size >= PROCESS_CAP) return;
    this.#polling = this.#claimAndSend().then(() => undefined);
    try {
      await this.#polling;
    } finally {
      this.#polling = null;
    }
  }

  async #scan(): Promise<{ expiring: number; expired: number }> {
    if (this.#scanning !== null) return { expiring: 0, expired: 0 };
    this.#scanning = this.#scanOnce();
    try {
      return await this.#scanning;
    } finally {
      this.#scanning = null;
    }
  }

  async #scanOnce(): Promise<{ expiring: number; expired: number }> {
    try {
      const { storage, ids, clock, config } = this.#deps;
      return this.#ok('scan', await emitSecretLifecycleEvents({ storage, ids, clock, warningDays: config.secretExpiryWarningDays }));
    } catch (err) {
      this.#failed('scan', err);
      return { expiring: 0, expired: 0 };
    }
  }

  /** Claims what is due and starts sending it; returns the sends started. */
  async #claimAndSend(): Promise<Promise<Outcome>[]> {
    const { storage, clock, config, ids } = this.#deps;
    try {
      const now = clock.now();
      // A read first: an idle poll must not take SQLite's write lock every second in every worker.
      if (!(await storage.webhooks.hasDue(now))) return this.#ok('deliver', []);
      const claimed = await storage.webhooks.claimDue({
        now,
        leaseUntil: new Date(now.getTime() + config.webhookTimeoutSeconds * 1000 + LEASE_MARGIN_MS),
        perEndpoint: config.webhookConcurrency,
        limit: PROCESS_CAP - this.#inFlight.size,
        token: ids.random(ID_PREFIX.bare),
      });
      return this.#ok('deliver', claimed.map((d) => this.#track(this.#deliver(d))));
    } catch (err) {
      this.#failed('deliver', err);
      return [];
    }
  }

  #track(p: Promise<Outcome>): Promise<Outcome> {
    this.#inFlight.add(p);
    void p.finally(() => {
      this.#inFlight.delete(p);
      // A slot of its endpoint is free: in the background loop, look again now rather than at the next poll, so a
      // backlog drains at the endpoint's pace instead of PORTICO_WEBHOOK_CONCURRENCY per poll interval.
      if (this.#timers.length > 0) setImmediate(() => void this.#poll());
    });
    return p;
  }

  async #deliver(d: ClaimedDelivery): Promise<Outcome> {
    const { storage, clock, keyring, outbound, random, config } = this.#deps;
    const sent = await sendDelivery({ keyring, clock, outbound, timeoutMs: config.webhookTimeoutSeconds * 1000 }, d);
    const at = clock.now();
    let outcome: AttemptOutcome;
    if (sent.kind === 'delivered' || sent.kind === 'gone') outcome = { kind: sent.kind };
    else {
      const next = nextAttemptAt(d.windowStartedAt, at, d.attempts + 1, jitterFrom(random));
      outcome = next === null ? { kind: 'failed' } : { kind: 'retry', nextAttemptAt: next };
    }
    try {
      const recorded = await storage.webhooks.recordAttempt({ endpointId: d.endpointId, eventId: d.event.id, claimToken: d.claimToken, at, ...sent, outcome });
      if (outcome.kind === 'gone' && recorded) this.#deps.log.warn({ endpoint_id: d.endpointId }, 'webhook endpoint answered 410 Gone: it is disabled');
      return recorded ? outcome.kind : 'unrecorded';
    } catch (err) {
      this.#failed('deliver', err);
      return 'unrecorded';
    }
  }

  #ok<T>(part: 'deliver' | 'scan', value: T): T {
    if (this.#trouble[part] !== null) {
      this.#deps.log.info({ part }, part === 'deliver' ? 'webhook delivery resumed' : 'secret expiry scan resumed');
      this.#trouble[part] = null;
    }
    return value;
  }

  /** One warn line per outage (or per kind of failure) and part, not one per row or per poll. */
  #failed(part: 'deliver' | 'scan', err: unknown): void {
    const kind = err instanceof StorageUnavailableError ? 'storage_unavailable' : 'error';
    if (this.#trouble[part] === kind) return;
    this.#trouble[part] = kind;
    const what = part === 'deliver' ? 'webhook delivery' : 'the secret expiry scan';
    if (kind === 'storage_unavailable') this.#deps.log.warn({ reason: kind }, `${what} paused: the database is unavailable; retrying every poll`);
    else this.#deps.log.warn({ err }, `${what} failed; retrying every poll`);
  }
}
