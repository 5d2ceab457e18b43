import { sql, type Kysely, type Selectable, type SqlBool } from 'kysely';
import type { AuditContext, AuditEventName } from '../../domain/audit.ts';
import { assemblePage, planKeyset, type Page, type PageRequest } from '../../domain/pagination.ts';
import type {
  AttemptResult,
  ClaimedDelivery,
  ClaimOptions,
  DeliveryStatus,
  NewWebhookEndpoint,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointChanges,
  WebhookEndpointStatus,
  WebhookRepository,
} from '../port.ts';
import { applyKeyset, atomically, fromIso, fromIsoOrNull, parseJson, toIso, unstorable } from './rows.ts';
import type { Database, WebhookDeliveriesTable, WebhookEndpointsTable } from './schema.ts';

function toEndpoint(row: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  return {
    id: row.id,
    url: row.endpoint_url,
    status: row.status as WebhookEndpointStatus,
    events: parseJson<AuditEventName[]>(row.events),
    sealedSecret: Buffer.from(row.secret_sealed, 'base64'),
    secretHint: row.secret_hint,
    createdAt: fromIso(row.created_at),
    updatedAt: fromIso(row.updated_at),
  };
}

function toDelivery(row: Selectable<WebhookDeliveriesTable> & { event: string }): WebhookDelivery {
  return {
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    event: row.event as AuditEventName,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: fromIsoOrNull(row.next_attempt_at),
    inFlightUntil: fromIsoOrNull(row.claimed_until),
    lastAttemptAt: fromIsoOrNull(row.last_attempt_at),
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    finishedAt: fromIsoOrNull(row.finished_at),
    createdAt: fromIso(row.created_at),
  };
}

/** Most endpoints served in one claim (the rest wait for the next poll, a second later). */
const ENDPOINTS_PER_CLAIM = 50;

/** Webhook endpoints and the delivery outbox (issue #13); deliveries are enqueued by SqlAudit.record. */
export class SqlWebhooks implements WebhookRepository {
  readonly #db: Kysely<Database>;
  readonly #pg: boolean;

  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
    this.#db = db;
    this.#pg = dialect === 'postgres';
  }

  async createEndpoint(e: NewWebhookEndpoint): Promise<WebhookEndpoint> {
    const at = toIso(e.at);
    return atomically(this.#db, async (trx) => {
      const row = await trx
        .insertInto('webhook_endpoints')
        .values({ id: e.id, endpoint_url: e.url, secret_sealed: e.sealedSecret.toString('base64'), secret_hint: e.secretHint, status: 'enabled', events: JSON.stringify(e.events), created_at: at, updated_at: at })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.#subscribe(trx, e.id, e.events);
      return toEndpoint(row);
    });
  }

  async #subscribe(db: Kysely<Database>, endpointId: string, events: readonly string[]): Promise<void> {
    await db.deleteFrom('webhook_subscriptions').where('endpoint_id', '=', endpointId).execute();
    const unique = [...new Set(events)];
    if (unique.length > 0) await db.insertInto('webhook_subscriptions').values(unique.map((event) => ({ endpoint_id: endpointId, event }))).execute();
  }

  async getEndpoint(id: string): Promise<WebhookEndpoint | null> {
    if (unstorable(id)) return null;
    const row = await this.#db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEndpoint(row) : null;
  }

  async listEndpoints(page: PageRequest): Promise<Page<WebhookEndpoint>> {
    const rows = await applyKeyset(this.#db.selectFrom('webhook_endpoints').selectAll(), 'id', planKeyset(page)).execute();
    return assemblePage(page, rows.map(toEndpoint));
  }

  async updateEndpoint(id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint | null> {
    if (unstorable(id)) return null;
    const at = toIso(changes.at);
    return atomically(this.#db, async (trx) => {
      const row = await trx
        .updateTable('webhook_endpoints')
        .set({
          updated_at: at,
          ...(changes.url !== undefined && { endpoint_url: changes.url }),
          ...(changes.events !== undefined && { events: JSON.stringify(changes.events) }),
          ...(changes.status !== undefined && { status: changes.status }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      if (changes.events !== undefined) await this.#subscribe(trx, id, changes.events);
      if (changes.status === 'disabled') await skipPending(trx, id, at);
      return toEndpoint(row);
    });
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    if (unstorable(id)) return false;
    // Subscriptions, deliveries and attempts go with it (ON DELETE CASCADE).
    const r = await this.#db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async hasDue(now: Date): Promise<boolean> {
    const row = await this.#db.selectFrom('webhook_deliveries as d').select('d.event_id').where(due(toIso(now))).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  async claimDue(o: ClaimOptions): Promise<ClaimedDelivery[]> {
    const now = toIso(o.now);
    const lease = toIso(o.leaseUntil);
    return atomically(this.#db, async (trx) => {
      // The endpoint rows are locked first (FOR NO KEY UPDATE: outbox inserts, which only take KEY SHARE on
      // them, are not held up), so the in-flight count below is exact per endpoint across nodes, and a second
      // claimer skips to other endpoints instead of waiting. SQLite: the transaction holds the write lock.
      const endpoints = await trx
        .selectFrom('webhook_endpoints as e')
        .select(['e.id', 'e.endpoint_url', 'e.secret_sealed'])
        .where('e.status', '=', 'enabled')
        .where((eb) => eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.event_id').whereRef('d.endpoint_id', '=', 'e.id').where(due(now))))
        .orderBy('e.id')
        .limit(Math.min(o.limit, ENDPOINTS_PER_CLAIM))
        .$if(this.#pg, (q) => q.forNoKeyUpdate().skipLocked())
        .execute();
      const claimed: ClaimedDelivery[] = [];
      for (const e of endpoints) {
        const { n } = await trx
          .selectFrom('webhook_deliveries')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('endpoint_id', '=', e.id)
          .where('status', '=', 'pending')
          .where('claimed_until', '>', now)
          .executeTakeFirstOrThrow();
        const take = Math.min(o.perEndpoint - Number(n), o.limit - claimed.length);
        if (take <= 0) continue;
        const rows = await trx
          .selectFrom('webhook_deliveries as d')
          .innerJoin('audit_events as a', 'a.id', 'd.event_id')
          .select(['d.event_id', 'd.attempts', 'd.window_started_at', 'a.event', 'a.organization_id', 'a.data', 'a.context', 'a.created_at'])
          .where('d.endpoint_id', '=', e.id)
          .where(due(now))
          .orderBy('d.next_attempt_at')
          .orderBy('d.event_id')
          .limit(take)
          .$if(this.#pg, (q) => q.forUpdate('d').skipLocked())
          .execute();
        if (rows.length === 0) continue;
        await trx
          .updateTable('webhook_deliveries')
          .set({ claimed_until: lease, claim_token: o.token })
          .where('endpoint_id', '=', e.id)
          .where('event_id', 'in', rows.map((r) => r.event_id))
          .execute();
        for (const r of rows) {
          claimed.push({
            endpointId: e.id,
            url: e.endpoint_url,
            sealedSecret: Buffer.from(e.secret_sealed, 'base64'),
            event: { id: r.event_id, event: r.event as AuditEventName, organizationId: r.organization_id, data: parseJson(r.data), context: parseJson<AuditContext>(r.context), createdAt: fromIso(r.created_at) },
            attempts: r.attempts,
            windowStartedAt: fromIso(r.window_started_at),
            claimToken: o.token,
          });
        }
        if (claimed.length >= o.limit) break;
      }
      return claimed;
    });
  }

  async recordAttempt(r: AttemptResult): Promise<boolean> {
    const at = toIso(r.at);
    const outcome = r.outcome;
    const final = outcome.kind !== 'retry';
    return atomically(this.#db, async (trx) => {
      const row = await trx
        .updateTable('webhook_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          status: outcome.kind === 'delivered' ? 'delivered' : final ? 'failed' : 'pending',
          next_attempt_at: outcome.kind === 'retry' ? toIso(outcome.nextAttemptAt) : null,
          finished_at: final ? at : null,
          claimed_until: null,
          claim_token: null,
          last_attempt_at: at,
          last_status_code: r.statusCode,
          last_error: r.error,
        }))
        .where('endpoint_id', '=', r.endpointId)
        .where('event_id', '=', r.eventId)
        // Only under this process's claim: a lease that ran out and was claimed again belongs to the other sender.
        .where('claim_token', '=', r.claimToken)
        .returning('attempts')
        .executeTakeFirst();
      if (!row) return false;
      await trx
        .insertInto('webhook_attempts')
        .values({ endpoint_id: r.endpointId, event_id: r.eventId, attempt: row.attempts, at, status_code: r.statusCode, error: r.error, response_excerpt: r.responseExcerpt, duration_ms: Math.round(r.durationMs) })
        .execute();
      if (outcome.kind === 'gone') {
        await trx.updateTable('webhook_endpoints').set({ status: 'disabled', updated_at: at }).where('id', '=', r.endpointId).execute();
        await skipPending(trx, r.endpointId, at);
      }
      return true;
    });
  }

  async listDeliveries(endpointId: string, filter: { readonly status?: DeliveryStatus; readonly limit: number }): Promise<WebhookDelivery[]> {
    if (unstorable(endpointId)) return [];
    const rows = await this.#db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('audit_events as a', 'a.id', 'd.event_id')
      .selectAll('d')
      .select('a.event')
      .where('d.endpoint_id', '=', endpointId)
      .$if(filter.status !== undefined, (q) => q.where('d.status', '=', filter.status!))
      .orderBy('d.event_id', 'desc')
      .limit(filter.limit)
      .execute();
    return rows.map(toDelivery);
  }

  async listAttempts(endpointId: string, eventId: string): Promise<WebhookAttempt[]> {
    if (unstorable(endpointId) || unstorable(eventId)) return [];
    const rows = await this.#db.selectFrom('webhook_attempts').selectAll().where('endpoint_id', '=', endpointId).where('event_id', '=', eventId).orderBy('attempt').execute();
    return rows.map((a) => ({ attempt: a.attempt, at: fromIso(a.at), statusCode: a.status_code, error: a.error, responseExcerpt: a.response_excerpt, durationMs: a.duration_ms }));
  }

  async retry(endpointId: string, eventId: string, now: Date): Promise<boolean> {
    if (unstorable(endpointId) || unstorable(eventId)) return false;
    const at = toIso(now);
    const r = await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: at, window_started_at: at, finished_at: null })
      .where('endpoint_id', '=', endpointId)
      .where('event_id', '=', eventId)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', at)]))
      // A disabled endpoint gets nothing more (as the outbox insert and skipPending keep it): a pending row there
      // would never be claimed, yet hasDue would answer true for it on every poll of every worker.
      .where((eb) => eb.exists(eb.selectFrom('webhook_endpoints').select('id').where('id', '=', endpointId).where('status', '=', 'enabled')))
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async purge(before: Date): Promise<number> {
    // Attempts go with their delivery (ON DELETE CASCADE).
    const r = await this.#db.deleteFrom('webhook_deliveries').where('finished_at', 'is not', null).where('finished_at', '<', toIso(before)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

/** Rows of `webhook_deliveries as d` due at `now` and not leased (fixed column names; `now` is a parameter). */
function due(now: string) {
  return sql<SqlBool>`d.status = 'pending' and d.next_attempt_at <= ${now} and (d.claimed_until is null or d.claimed_until <= ${now})`;
}

/** A disabled endpoint gets nothing more: its pending deliveries (in flight too) end as skipped. */
async function skipPending(db: Kysely<Database>, endpointId: string, at: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'skipped', next_attempt_at: null, finished_at: at, claimed_until: null, claim_token: null })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
}
