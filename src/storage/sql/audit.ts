import { sql, type Kysely } from 'kysely';
import type { AuditContext, AuditEvent, AuditEventName, AuditFilter } from '../../domain/audit.ts';
import { assemblePage, planKeyset, type Page, type PageRequest } from '../../domain/pagination.ts';
import type { AuditRepository } from '../port.ts';
import { applyKeyset, atomically, fromIso, parseJson, toIso } from './rows.ts';
import type { Database } from './schema.ts';

export class SqlAudit implements AuditRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores the event and, in the same transaction (the caller's, when there is
   * one), its outbox rows (issue #13): one pending delivery for every enabled
   * webhook endpoint subscribed to this event name, due at once. A change that
   * rolls back therefore leaves neither the event nor a delivery, and a change
   * that commits cannot lose its delivery to a crash.
   */
  async record(event: AuditEvent): Promise<void> {
    const at = toIso(event.createdAt);
    await atomically(this.#db, async (trx) => {
      await trx
        .insertInto('audit_events')
        .values({
          id: event.id,
          event: event.event,
          organization_id: event.organizationId,
          data: JSON.stringify(event.data),
          context: JSON.stringify(event.context),
          created_at: at,
        })
        .execute();
      await trx
        .insertInto('webhook_deliveries')
        .columns(['endpoint_id', 'event_id', 'status', 'attempts', 'next_attempt_at', 'window_started_at', 'created_at'])
        .expression(
          trx
            .selectFrom('webhook_subscriptions as s')
            .innerJoin('webhook_endpoints as e', 'e.id', 's.endpoint_id')
            // Constants as literals: PostgreSQL types bare parameters in a SELECT list as text.
            .select((eb) => ['s.endpoint_id', eb.val(event.id).as('event_id'), sql.lit('pending').as('status'), sql.lit(0).as('attempts'), eb.val(at).as('next_attempt_at'), eb.val(at).as('window_started_at'), eb.val(at).as('created_at')])
            .where('s.event', '=', event.event)
            .where('e.status', '=', 'enabled'),
        )
        .execute();
    });
  }

  async list(page: PageRequest, filter: AuditFilter): Promise<Page<AuditEvent>> {
    let q = this.#db.selectFrom('audit_events').selectAll();
    if (filter.events !== undefined) {
      if (filter.events.length === 0) return assemblePage(page, []);
      q = q.where('event', 'in', [...filter.events]);
    }
    if (filter.organizationId !== undefined) q = q.where('organization_id', '=', filter.organizationId);
    if (filter.rangeStart !== undefined) q = q.where('created_at', '>=', toIso(filter.rangeStart));
    if (filter.rangeEnd !== undefined) q = q.where(sql<boolean>`created_at < ${toIso(filter.rangeEnd)}`);
    const rows = await applyKeyset(q, 'id', planKeyset(page)).execute();
    return assemblePage(
      page,
      rows.map((r) => ({
        id: r.id,
        event: r.event as AuditEventName,
        organizationId: r.organization_id,
        data: parseJson<Record<string, unknown>>(r.data),
        context: parseJson<AuditContext>(r.context),
        createdAt: fromIso(r.created_at),
      })),
    );
  }
}
