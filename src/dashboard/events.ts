import type { FastifyInstance } from 'fastify';
import { AUDIT_EVENT_NAMES } from '../domain/audit.ts';
import { route } from './context.ts';
import type { DashboardDeps } from './deps.ts';
import { esc, pager, queryValue, table, timeAgo } from './html.ts';
import { organizationChoices, type ApiList } from './organizations.ts';

interface ApiEvent {
  readonly id: string;
  readonly event: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly created_at: string;
  readonly context: { readonly actor_type?: string; readonly actor_id?: string | null; readonly ip?: string | null };
}


const PAGE_SIZE = 25;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** What an event is about, in one line: the object's name, else its ID. */
function about(data: Readonly<Record<string, unknown>>): string {
  for (const key of ['name', 'client_id', 'kid', 'id', 'secret_hint']) {
    const v = data[key];
    if (typeof v === 'string' && v !== '') return key === 'secret_hint' ? `…${v}` : v;
  }
  return '';
}

/** The audit trail (`GET /events`), filterable by event, organization and date range. */
export function eventPages(app: FastifyInstance, deps: DashboardDeps): void {
  route(app, deps, 'GET', '/dashboard/events', async (ctx) => {
    const query = ctx.request.query;
    const event = queryValue(query, 'events', 100);
    const organizationId = queryValue(query, 'organization_id', 100);
    const from = queryValue(query, 'from', 10);
    const to = queryValue(query, 'to', 10);
    const kept: Record<string, string> = {};
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), order: 'desc' });
    if (event !== '') (kept.events = event), q.set('events', event);
    if (organizationId !== '') (kept.organization_id = organizationId), q.set('organization_id', organizationId);
    // Whole days in UTC: from the start of `from` to the end of `to`.
    if (DATE.test(from)) (kept.from = from), q.set('range_start', `${from}T00:00:00.000Z`);
    if (DATE.test(to)) (kept.to = to), q.set('range_end', `${to}T23:59:59.999Z`);
    for (const key of ['before', 'after']) if (queryValue(query, key) !== '') q.set(key, queryValue(query, key));
    const [orgs, list] = await Promise.all([organizationChoices(ctx), ctx.need<ApiList<ApiEvent>>('GET', `/events?${q.toString()}`)]);
    const now = ctx.deps.clock.now();
    const orgOf = (e: ApiEvent) => {
      const id = typeof e.data.organization_id === 'string' ? e.data.organization_id : null;
      return id === null ? '' : esc(orgs.find((o) => o.id === id)?.name ?? id);
    };
    const rows = list.data.map((e) => [
      `<code>${esc(e.event)}</code>`,
      `${esc(about(e.data))}<details><summary>Data<span class="visually-hidden"> of ${esc(e.id)}</span></summary><pre class="json">${esc(JSON.stringify(e.data, null, 2))}</pre></details>`,
      orgOf(e),
      `${esc(e.context.actor_type ?? '')}${e.context.actor_id ? ` <code>${esc(e.context.actor_id)}</code>` : ''}${e.context.ip ? `<br><span class="muted">${esc(e.context.ip)}</span>` : ''}`,
      timeAgo(e.created_at, now),
    ]);
    const orgOptions = [`<option value="">All organizations</option>`, ...orgs.map((o) => `<option value="${esc(o.id)}"${o.id === organizationId ? ' selected' : ''}>${esc(o.name)}</option>`)].join('');
    return ctx.render(200, {
      title: 'Events',
      section: 'events',
      body: `<h1>Events</h1><p class="muted">Every change to organizations, applications, secrets and keys, and failed client authentications: who did it, from where.</p>
<section class="panel" aria-label="Events">
<form class="filters" method="get" action="/dashboard/events" aria-label="Filter events">
<div><label for="f-event">Event</label><input id="f-event" name="events" list="event-names" value="${esc(event)}" placeholder="e.g. connect_application_secret.created"><datalist id="event-names">${AUDIT_EVENT_NAMES.map((n) => `<option value="${n}"></option>`).join('')}</datalist></div>
<div><label for="f-org">Organization</label><select id="f-org" name="organization_id">${orgOptions}</select></div>
<div><label for="f-from">From (UTC)</label><input type="date" id="f-from" name="from" value="${esc(from)}"></div>
<div><label for="f-to">To (UTC)</label><input type="date" id="f-to" name="to" value="${esc(to)}"></div>
<button class="secondary" type="submit">Filter</button>${Object.keys(kept).length === 0 ? '' : '<a href="/dashboard/events">Clear</a>'}</form>
${table('Events', ['Event', 'About', 'Organization', 'By', 'When'], rows, Object.keys(kept).length === 0 ? 'No events yet.' : 'No event matches these filters.')}
${pager('/dashboard/events', kept, list.list_metadata, 'Events')}</section>`,
    });
  });
}
