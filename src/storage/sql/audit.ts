import { sql, type Kysely } from 'kysely';
import type { AuditContext, AuditEvent, AuditEventName, AuditFilter } from '../../domain/audit.ts';
import { assemblePage, planKeyset, type Page, type PageRequest } from '../../domain/pagination.ts';
import type { AuditRepository } from '../port.ts';
import { applyKeyset, fromIso, parseJson, toIso } from './rows.ts';
import type { Database } from './schema.ts';

export class SqlAudit implements AuditRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(event: AuditEvent): Promise<void> {
    await this.#db
      .insertInto('audit_events')
      .values({
        id: event.id,
        event: event.event,
        organization_id: event.organizationId,
        data: JSON.stringify(event.data),
        context: JSON.stringify(event.context),
        created_at: toIso(event.createdAt),
      })
      .execute();
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
