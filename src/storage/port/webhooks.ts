import type { AuditEvent, AuditEventName } from '../../domain/audit.ts';
import type { Page, PageRequest } from '../../domain/pagination.ts';

/**
 * Issue #13: the webhook part of the storage port (re-exported by port.ts).
 * Deliveries are enqueued by `AuditRepository.record` itself, in the caller's
 * transaction: every audit event is also the outbox entry of every enabled
 * endpoint subscribed to it.
 */

export type WebhookEndpointStatus = 'enabled' | 'disabled';

export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  readonly status: WebhookEndpointStatus;
  readonly events: readonly AuditEventName[];
  /** The signing secret sealed under the server key (Keyring.seal('webhook-secret', …, id)). */
  readonly sealedSecret: Buffer;
  readonly secretHint: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewWebhookEndpoint {
  readonly id: string;
  readonly url: string;
  readonly events: readonly AuditEventName[];
  readonly sealedSecret: Buffer;
  readonly secretHint: string;
  readonly at: Date;
}

export interface WebhookEndpointChanges {
  readonly url?: string;
  /** Replaces the subscriptions. */
  readonly events?: readonly AuditEventName[];
  /** Disabling skips every pending delivery of the endpoint; enabling delivers only later events. */
  readonly status?: WebhookEndpointStatus;
  readonly at: Date;
}

/** pending: due at `nextAttemptAt` (in flight while `inFlightUntil` is ahead); the others are final. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed', 'skipped'];

/** A pending delivery a process is sending now (its lease runs past `now`). */
export function inFlight(d: Pick<WebhookDelivery, 'status' | 'inFlightUntil'>, now: Date): boolean {
  return d.status === 'pending' && d.inFlightUntil !== null && d.inFlightUntil > now;
}

export interface WebhookDelivery {
  readonly endpointId: string;
  readonly eventId: string;
  readonly event: AuditEventName;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  /** The lease of the process sending it now, if any. */
  readonly inFlightUntil: Date | null;
  readonly lastAttemptAt: Date | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly finishedAt: Date | null;
  readonly createdAt: Date;
}

export interface WebhookAttempt {
  readonly attempt: number;
  readonly at: Date;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  readonly durationMs: number;
}

/** A delivery this process has leased and must now send. */
export interface ClaimedDelivery {
  readonly endpointId: string;
  readonly url: string;
  readonly sealedSecret: Buffer;
  readonly event: AuditEvent;
  /** Attempts made before this one. */
  readonly attempts: number;
  readonly windowStartedAt: Date;
  readonly claimToken: string;
}

export interface ClaimOptions {
  readonly now: Date;
  /** The lease: nobody else claims the rows before this instant. */
  readonly leaseUntil: Date;
  /** At most this many deliveries of one endpoint in flight at once, across every process and node. */
  readonly perEndpoint: number;
  /** At most this many rows in this claim. */
  readonly limit: number;
  /** Marks the rows as this claim's; the attempt is recorded only under it. */
  readonly token: string;
}

export type AttemptOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly nextAttemptAt: Date }
  /** The retry window is over. */
  | { readonly kind: 'failed' }
  /** HTTP 410: the endpoint is disabled and its pending deliveries skipped. */
  | { readonly kind: 'gone' };

export interface AttemptResult {
  readonly endpointId: string;
  readonly eventId: string;
  readonly claimToken: string;
  readonly at: Date;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  readonly durationMs: number;
  readonly outcome: AttemptOutcome;
}

export interface WebhookRepository {
  /** Throws UniqueViolationError('endpoint_url') when another endpoint has the URL. */
  createEndpoint(e: NewWebhookEndpoint): Promise<WebhookEndpoint>;
  getEndpoint(id: string): Promise<WebhookEndpoint | null>;
  listEndpoints(page: PageRequest): Promise<Page<WebhookEndpoint>>;
  /** Null when unknown. Throws UniqueViolationError('endpoint_url'). */
  updateEndpoint(id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint | null>;
  /** Deletes the endpoint with its deliveries and attempts. */
  deleteEndpoint(id: string): Promise<boolean>;
  /** Whether any delivery is due (a cheap read, so an idle poll never takes a write lock). */
  hasDue(now: Date): Promise<boolean>;
  /**
   * Leases due deliveries of enabled endpoints, atomically: a row claimed here
   * is claimed by nobody else until the lease ends (PostgreSQL: the endpoint
   * and delivery rows are locked FOR UPDATE SKIP LOCKED, so concurrent claims
   * pass each other; SQLite: the write lock). Oldest due first per endpoint.
   */
  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Records an attempt of a claimed delivery; false (and nothing written) when the claim is no longer this one's. */
  recordAttempt(result: AttemptResult): Promise<boolean>;
  /** An endpoint's deliveries, newest event first. */
  listDeliveries(endpointId: string, filter: { readonly status?: DeliveryStatus; readonly limit: number }): Promise<WebhookDelivery[]>;
  listAttempts(endpointId: string, eventId: string): Promise<WebhookAttempt[]>;
  /** Makes a delivery due now with a fresh retry window (not while it is in flight); false when there is none. */
  retry(endpointId: string, eventId: string, now: Date): Promise<boolean>;
  /** Deletes deliveries (and their attempts) that finished before `before`. */
  purge(before: Date): Promise<number>;
}
