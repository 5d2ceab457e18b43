import type { FastifyInstance } from 'fastify';
import type { AuditEvent, AuditFilter } from '../../domain/audit.ts';
import { ValidationError } from '../../domain/errors.ts';
import { parsePageRequest } from '../../domain/pagination.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatList } from '../format.ts';

/** The WorkOS `event` object (EventSchema); `context` says who, from where. */
function formatEvent(e: AuditEvent) {
  return { object: 'event' as const, id: e.id, event: e.event, data: e.data, created_at: e.createdAt.toISOString(), context: e.context };
}

function parseDate(value: unknown, field: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const d = typeof value === 'string' && value.length <= 40 ? new Date(value) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new ValidationError([{ field, code: `${field}_invalid` }]);
  return d;
}

function parseFilter(query: Record<string, unknown>): AuditFilter {
  const filter: { events?: string[]; organizationId?: string; rangeStart?: Date; rangeEnd?: Date } = {};
  if (query.events !== undefined && query.events !== '') {
    // OpenAPI: style=form, explode=false (comma-joined); repeated keys are accepted too.
    const raw = Array.isArray(query.events) ? query.events : [query.events];
    filter.events = raw.flatMap((v) => String(v).split(',')).filter((v) => v !== '' && !v.includes('\u0000'));
  }
  const org = query.organization_id;
  if (typeof org === 'string' && org !== '') {
    if (org.includes('\u0000') || org.length > 100) throw new ValidationError([{ field: 'organization_id', code: 'organization_id_invalid' }]);
    filter.organizationId = org;
  }
  const start = parseDate(query.range_start, 'range_start');
  const end = parseDate(query.range_end, 'range_end');
  if (start) filter.rangeStart = start;
  if (end) filter.rangeEnd = end;
  return filter;
}

/**
 * `GET /events`: the audit trail of credential lifecycle changes, in the shape
 * of the WorkOS Events API (so `workos.events.listEvents()` reads it).
 */
export function eventRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get<{ Querystring: Record<string, unknown> }>('/events', async function EventsController_list(req) {
    const page = await deps.storage.audit.list(parsePageRequest(req.query), parseFilter(req.query));
    return formatList(page, formatEvent);
  });
}
