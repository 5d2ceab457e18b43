import type { FastifyInstance } from 'fastify';
import { AUDIT_EVENT_NAMES } from '../domain/audit.ts';
import type { ApiError } from './api.ts';
import { encode, formRefusal, route, type Ctx } from './context.ts';
import type { DashboardDeps } from './deps.ts';
import { csrfInput, errorSummary, esc, field, fieldErrors, notice, pager, queryValue, table, timeAgo } from './html.ts';
import { flashOf, type ApiList } from './organizations.ts';
import { stashReveal, takeReveal } from './reveal.ts';

/** `/webhook_endpoints` items (issue #13): `secret` is masked in every answer the dashboard shows. */
interface ApiEndpoint {
  readonly id: string;
  readonly endpoint_url: string;
  readonly secret: string;
  readonly status: 'enabled' | 'disabled';
  readonly events: readonly string[];
  readonly created_at: string;
}

interface ApiDelivery {
  readonly event_id: string;
  readonly event: string;
  readonly status: 'pending' | 'delivered' | 'failed' | 'skipped';
  readonly in_flight: boolean;
  readonly attempts: number;
  readonly next_attempt_at: string | null;
  readonly last_attempt_at: string | null;
  readonly last_status_code: number | null;
  readonly last_error: string | null;
}

interface ApiAttempt {
  readonly attempt: number;
  readonly at: string;
  readonly status_code: number | null;
  readonly error: string | null;
  readonly response_excerpt: string | null;
  readonly duration_ms: number;
}

const FIELDS = { endpoint_url: 'wh-url', events: 'wh-events' };
const FLASH: Readonly<Record<string, string>> = {
  updated: 'Endpoint saved.',
  enabled: 'Endpoint enabled: events from now on are delivered to it.',
  disabled: 'Endpoint disabled: its pending deliveries were skipped.',
  deleted: 'Endpoint deleted, with its deliveries.',
  retried: 'Delivery queued to be sent again now.',
};
const STATUS_BADGE: Readonly<Record<ApiDelivery['status'], string>> = { pending: 'warn', delivered: 'ok', failed: 'bad', skipped: '' };

const idOf = (ctx: Ctx) => (ctx.request.params as { id: string }).id;
const base = (id: string) => `/dashboard/webhooks/${encode(id)}`;

/** URL and event checkboxes; shared by create and edit. */
function endpointForm(v: { action: string; submit: string; url: string; events: readonly string[]; error: ApiError | null; csrf: string }): string {
  const errors = fieldErrors(v.error, 'events');
  const boxes = AUDIT_EVENT_NAMES.map((name, i) => `<label class="choice compact" for="wh-event-${i}"><input type="checkbox" id="wh-event-${i}" name="events" value="${name}"${v.events.includes(name) ? ' checked' : ''}><code>${name}</code></label>`).join('');
  return `${errorSummary(v.error, FIELDS)}<form method="post" action="${esc(v.action)}" class="form-narrow">${csrfInput(v.csrf)}
${field({ id: 'wh-url', name: 'endpoint_url', label: 'Endpoint URL', value: v.url, type: 'url', required: true, hint: 'https only; Portico signs every delivery (WorkOS-Signature) with the endpoint secret.', errors: fieldErrors(v.error, 'endpoint_url') })}
<fieldset id="wh-events"${errors.length > 0 ? ' aria-invalid="true" aria-describedby="wh-events-error"' : ''}><legend>Events</legend><div class="event-grid">${boxes}</div>${errors.map((e, i) => `<p class="field-error"${i === 0 ? ' id="wh-events-error"' : ''}>${esc(e)}</p>`).join('')}</fieldset>
<div class="actions"><button class="primary" type="submit">${esc(v.submit)}</button></div></form>`;
}

const endpointBody = (ctx: Ctx) => ({ endpoint_url: (ctx.form.get('endpoint_url') ?? '').trim(), events: [...ctx.form.all('events')] });

async function listPage(ctx: Ctx, status: number, values: { url: string; events: readonly string[] }, error: ApiError | null) {
  const q = new URLSearchParams({ limit: '20', order: 'desc' });
  for (const key of ['before', 'after']) if (queryValue(ctx.request.query, key) !== '') q.set(key, queryValue(ctx.request.query, key));
  const list = await ctx.need<ApiList<ApiEndpoint>>('GET', `/webhook_endpoints?${q.toString()}`);
  const now = ctx.deps.clock.now();
  const rows = list.data.map((e) => [
    `<a href="${base(e.id)}">${esc(e.endpoint_url)}</a>`,
    `<span class="badge ${e.status === 'enabled' ? 'ok' : ''}">${e.status === 'enabled' ? 'Enabled' : 'Disabled'}</span>`,
    `${e.events.length} event${e.events.length === 1 ? '' : 's'}`,
    `<code>${esc(e.secret)}</code>`,
    timeAgo(e.created_at, now),
  ]);
  return ctx.render(status, {
    title: 'Webhooks',
    section: 'webhooks',
    body: `<h1>Webhooks</h1>${flashOf(ctx, FLASH)}<p class="muted">Portico sends the events you choose to your endpoints, signed, at least once, retrying with backoff.</p>
<section class="panel" aria-label="Webhook endpoints">${table('Webhook endpoints', ['Endpoint', 'Status', 'Events', 'Secret', 'Created'], rows, 'No webhook endpoints yet.')}${pager('/dashboard/webhooks', {}, list.list_metadata, 'Webhook endpoints')}</section>
<section class="panel" aria-labelledby="new-endpoint"><h2 id="new-endpoint">Add an endpoint</h2>${endpointForm({ action: '/dashboard/webhooks', submit: 'Add endpoint', url: values.url, events: values.events, error, csrf: ctx.session.csrf })}</section>`,
  });
}

/** Deliveries of one endpoint; "Retry now" only while it is enabled (the API refuses a retry to a disabled one). */
function deliveriesTable(endpointId: string, enabled: boolean, deliveries: readonly ApiDelivery[], csrf: string, now: Date): string {
  const rows = deliveries.map((d) => [
    `<code>${esc(d.event)}</code><br><a href="${base(endpointId)}/deliveries/${encode(d.event_id)}">${esc(d.event_id)}</a>`,
    `<span class="badge ${STATUS_BADGE[d.status]}">${d.in_flight ? 'Sending' : esc(d.status.charAt(0).toUpperCase() + d.status.slice(1))}</span>`,
    String(d.attempts),
    d.last_attempt_at === null ? '<span class="muted">Not yet</span>' : `${esc(d.last_status_code === null ? (d.last_error ?? 'error') : `HTTP ${d.last_status_code}`)} ${timeAgo(d.last_attempt_at, now)}`,
    d.status === 'pending' && !d.in_flight ? timeAgo(d.next_attempt_at, now, '') : '<span class="muted">None</span>',
    enabled && (d.status === 'failed' || (d.status === 'pending' && !d.in_flight))
      ? `<form method="post" action="${base(endpointId)}/deliveries/${encode(d.event_id)}/retry">${csrfInput(csrf)}<button class="secondary" type="submit">Retry now<span class="visually-hidden"> ${esc(d.event_id)}</span></button></form>`
      : '',
  ]);
  return table('Deliveries', ['Event', 'Status', 'Attempts', 'Last attempt', 'Next attempt', ''], rows, 'No deliveries yet: events this endpoint subscribes to appear here.');
}

async function detailPage(ctx: Ctx, status: number, edit: { url: string; events: readonly string[]; error: ApiError } | null) {
  const id = idOf(ctx);
  const e = await ctx.need<ApiEndpoint>('GET', `/portico/webhook_endpoints/${encode(id)}`);
  const filter = queryValue(ctx.request.query, 'status', 20);
  const shown = ['pending', 'delivered', 'failed', 'skipped'].includes(filter) ? filter : '';
  const deliveries = await ctx.need<ApiList<ApiDelivery>>('GET', `/portico/webhook_endpoints/${encode(e.id)}/deliveries?limit=50${shown === '' ? '' : `&status=${shown}`}`);
  const now = ctx.deps.clock.now();
  const enabled = e.status === 'enabled';
  const options = [['', 'All'], ['pending', 'Pending'], ['delivered', 'Delivered'], ['failed', 'Failed'], ['skipped', 'Skipped']].map(([v, l]) => `<option value="${v}"${v === shown ? ' selected' : ''}>${l}</option>`).join('');
  return ctx.render(status, {
    title: e.endpoint_url,
    section: 'webhooks',
    body: `<p class="breadcrumb"><a href="/dashboard/webhooks">Webhooks</a></p>
<div class="page-head"><h1>${esc(e.endpoint_url)}</h1><a class="button danger" href="${base(e.id)}/delete">Delete endpoint</a></div>${flashOf(ctx, FLASH)}
<section class="panel" aria-labelledby="facts"><h2 id="facts">Details</h2><dl class="facts"><dt>ID</dt><dd><code>${esc(e.id)}</code></dd><dt>Status</dt><dd><span class="badge ${enabled ? 'ok' : ''}">${enabled ? 'Enabled' : 'Disabled'}</span></dd><dt>Signing secret</dt><dd><code>${esc(e.secret)}</code> <span class="muted">(shown in full once, when the endpoint was added)</span></dd><dt>Created</dt><dd>${timeAgo(e.created_at, now)}</dd></dl>
<form method="post" action="${base(e.id)}/status">${csrfInput(ctx.session.csrf)}<input type="hidden" name="status" value="${enabled ? 'disabled' : 'enabled'}"><div class="actions"><button class="secondary" type="submit">${enabled ? 'Disable endpoint' : 'Enable endpoint'}</button></div></form></section>
<section class="panel" aria-labelledby="deliveries"><h2 id="deliveries">Deliveries</h2>
<form class="filters" method="get" action="${base(e.id)}" aria-label="Filter deliveries"><div><label for="d-status">Status</label><select id="d-status" name="status">${options}</select></div><button class="secondary" type="submit">Filter</button></form>
${deliveriesTable(e.id, enabled, deliveries.data, ctx.session.csrf, now)}</section>
<section class="panel" aria-labelledby="edit"><h2 id="edit">Edit</h2>${endpointForm({ action: base(e.id), submit: 'Save changes', url: edit?.url ?? e.endpoint_url, events: edit?.events ?? e.events, error: edit?.error ?? null, csrf: ctx.session.csrf })}</section>`,
  });
}

/** Webhook endpoints (issue #13's API): list, add (secret shown once), edit, enable/disable, delete; deliveries with their attempts. */
export function webhookPages(app: FastifyInstance, deps: DashboardDeps): void {
  route(app, deps, 'GET', '/dashboard/webhooks', async (ctx) => listPage(ctx, 200, { url: '', events: [] }, null));

  route(app, deps, 'POST', '/dashboard/webhooks', async (ctx) => {
    const body = endpointBody(ctx);
    const answer = await ctx.call('POST', '/webhook_endpoints', body);
    if (answer.status !== 201) return listPage(ctx, answer.status, { url: body.endpoint_url, events: body.events }, formRefusal(answer));
    const created = answer.body as ApiEndpoint;
    stashReveal(ctx.deps, ctx.reply, ctx.session, { kind: 'webhook_secret', owner: created.id, id: created.id, value: created.secret });
    return ctx.see(`${base(created.id)}/new`);
  });

  route(app, deps, 'GET', '/dashboard/webhooks/:id/new', async (ctx) => {
    const e = await ctx.need<ApiEndpoint>('GET', `/portico/webhook_endpoints/${encode(idOf(ctx))}`);
    const reveal = takeReveal(ctx.deps, ctx.request, ctx.reply, ctx.session, 'webhook_secret', e.id);
    const body =
      reveal === null
        ? '<h1>This secret is no longer shown</h1><p>An endpoint\'s signing secret is shown once, right after the endpoint is added. If it was not copied, delete the endpoint and add it again.</p>'
        : `<h1>Copy the endpoint's signing secret now</h1>${notice('warn', '<strong>This is the only time the dashboard shows it.</strong> Your endpoint needs it to verify the WorkOS-Signature header of each delivery.', 'alert')}
<label for="new-secret">Signing secret of ${esc(e.endpoint_url)}</label><div class="secret-box"><input id="new-secret" readonly value="${esc(reveal.value)}" spellcheck="false" autocomplete="off" data-select-on-focus><button class="secondary" type="button" data-copy="new-secret" hidden>Copy secret</button></div><p class="copy-status" role="status" data-copy-status></p>`;
    return ctx.render(200, { title: reveal === null ? 'Secret no longer shown' : 'New webhook secret', section: 'webhooks', body: `<div class="panel form-narrow">${body}<div class="actions"><a class="button primary" href="${base(e.id)}">${reveal === null ? 'Back to the endpoint' : 'Done: I have copied it'}</a></div></div>` });
  });

  route(app, deps, 'GET', '/dashboard/webhooks/:id', async (ctx) => detailPage(ctx, 200, null));

  // The API answers an update with the endpoint's secret; the dashboard never shows it (it redirects).
  route(app, deps, 'POST', '/dashboard/webhooks/:id', async (ctx) => {
    const body = endpointBody(ctx);
    const answer = await ctx.call('PATCH', `/webhook_endpoints/${encode(idOf(ctx))}`, body);
    if (answer.status === 200) return ctx.see(`${base(idOf(ctx))}?done=updated`);
    return detailPage(ctx, answer.status, { url: body.endpoint_url, events: body.events, error: formRefusal(answer) });
  });

  route(app, deps, 'POST', '/dashboard/webhooks/:id/status', async (ctx) => {
    const status = ctx.form.get('status') === 'enabled' ? 'enabled' : 'disabled';
    await ctx.need('PATCH', `/webhook_endpoints/${encode(idOf(ctx))}`, { status });
    return ctx.see(`${base(idOf(ctx))}?done=${status}`);
  });

  route(app, deps, 'GET', '/dashboard/webhooks/:id/delete', async (ctx) => {
    const e = await ctx.need<ApiEndpoint>('GET', `/portico/webhook_endpoints/${encode(idOf(ctx))}`);
    return ctx.render(200, {
      title: 'Delete webhook endpoint?',
      section: 'webhooks',
      body: `<p class="breadcrumb"><a href="${base(e.id)}">${esc(e.endpoint_url)}</a></p><div class="panel form-narrow"><h1>Delete this webhook endpoint?</h1><p>Nothing more is sent to <strong>${esc(e.endpoint_url)}</strong>; its pending deliveries and their history are deleted with it. It cannot be undone.</p>
<form method="post" action="${base(e.id)}/delete">${csrfInput(ctx.session.csrf)}<div class="actions"><a class="button secondary" href="${base(e.id)}">Cancel</a><button class="danger" type="submit">Delete endpoint</button></div></form></div>`,
    });
  });

  route(app, deps, 'POST', '/dashboard/webhooks/:id/delete', async (ctx) => {
    await ctx.need('DELETE', `/webhook_endpoints/${encode(idOf(ctx))}`);
    return ctx.see('/dashboard/webhooks?done=deleted');
  });

  route(app, deps, 'GET', '/dashboard/webhooks/:id/deliveries/:eventId', async (ctx) => {
    const { id, eventId } = ctx.request.params as { id: string; eventId: string };
    const e = await ctx.need<ApiEndpoint>('GET', `/portico/webhook_endpoints/${encode(id)}`);
    const attempts = await ctx.need<ApiList<ApiAttempt>>('GET', `/portico/webhook_endpoints/${encode(e.id)}/deliveries/${encode(eventId)}/attempts`);
    const now = ctx.deps.clock.now();
    const rows = attempts.data.map((a) => [String(a.attempt), timeAgo(a.at, now), esc(a.status_code === null ? (a.error ?? 'error') : `HTTP ${a.status_code}`), `${a.duration_ms} ms`, a.response_excerpt === null ? '' : `<pre class="json">${esc(a.response_excerpt)}</pre>`]);
    return ctx.render(200, {
      title: `Delivery ${eventId}`,
      section: 'webhooks',
      body: `<p class="breadcrumb"><a href="${base(e.id)}">${esc(e.endpoint_url)}</a></p><h1>Attempts of <code>${esc(eventId)}</code></h1>
<section class="panel" aria-label="Attempts">${table('Attempts', ['#', 'When', 'Answer', 'Took', 'Response (excerpt)'], rows, 'No attempt yet.')}</section>`,
    });
  });

  route(app, deps, 'POST', '/dashboard/webhooks/:id/deliveries/:eventId/retry', async (ctx) => {
    const { id, eventId } = ctx.request.params as { id: string; eventId: string };
    await ctx.need('POST', `/portico/webhook_endpoints/${encode(id)}/deliveries/${encode(eventId)}/retry`, {});
    return ctx.see(`${base(id)}?done=retried`);
  });
}
