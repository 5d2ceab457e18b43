import type { FastifyInstance } from 'fastify';
import type { ApiError } from './api.ts';
import { encode, formRefusal, route, type Ctx } from './context.ts';
import type { DashboardDeps } from './deps.ts';
import { csrfInput, errorSummary, esc, field, fieldErrors, notice, pager, queryValue, table, timeAgo } from './html.ts';

/** The management API's organization object, as far as the dashboard reads it. */
export interface ApiOrganization {
  readonly id: string;
  readonly name: string;
  readonly external_id: string | null;
  readonly domains: readonly { readonly domain: string; readonly state: string }[];
  readonly created_at: string;
  readonly updated_at: string;
}

export interface ApiList<T> {
  readonly data: readonly T[];
  readonly list_metadata: { readonly before: string | null; readonly after: string | null };
}

const PAGE_SIZE = 20;

/** Up to 100 organizations by name, for the filters and selects of other pages. */
export async function organizationChoices(ctx: Ctx): Promise<readonly ApiOrganization[]> {
  const list = await ctx.need<ApiList<ApiOrganization>>('GET', '/organizations?limit=100&order=desc');
  return [...list.data].sort((a, b) => a.name.localeCompare(b.name));
}

function organizationForm(v: { action: string; submit: string; name: string; externalId: string; error: ApiError | null; csrf: string }): string {
  return `${errorSummary(v.error, { name: 'org-name', external_id: 'org-external-id' })}
<form method="post" action="${esc(v.action)}" class="form-narrow">${csrfInput(v.csrf)}
${field({ id: 'org-name', name: 'name', label: 'Name', value: v.name, required: true, errors: fieldErrors(v.error, 'name'), autocomplete: 'organization' })}
${field({ id: 'org-external-id', name: 'external_id', label: 'External ID (optional)', value: v.externalId, hint: 'Your own identifier for this customer, unique across organizations.', errors: fieldErrors(v.error, 'external_id') })}
<div class="actions"><button class="primary" type="submit">${esc(v.submit)}</button></div></form>`;
}

function listPage(ctx: Ctx, list: ApiList<ApiOrganization>, search: string, flash: string): string {
  const rows = list.data.map((o) => [
    `<a href="/dashboard/organizations/${encode(o.id)}">${esc(o.name)}</a>`,
    `<code>${esc(o.id)}</code>`,
    o.domains.length === 0 ? '<span class="muted">None</span>' : esc(o.domains.map((d) => d.domain).join(', ')),
    timeAgo(o.created_at, ctx.deps.clock.now()),
  ]);
  const query: Record<string, string> = search === '' ? {} : { search };
  return `<div class="page-head"><h1>Organizations</h1><a class="button primary" href="/dashboard/organizations/new">New organization</a></div>${flash}
<section class="panel" aria-label="Organizations">
<form class="filters" method="get" action="/dashboard/organizations" role="search"><div><label for="search">Search by name</label><input type="search" id="search" name="search" value="${esc(search)}"></div><button class="secondary" type="submit">Search</button>${search === '' ? '' : '<a href="/dashboard/organizations">Clear</a>'}</form>
${table('Organizations', ['Name', 'ID', 'Domains', 'Created'], rows, search === '' ? 'No organizations yet. Create the first one.' : `No organization's name contains "${search}".`)}
${pager('/dashboard/organizations', query, list.list_metadata, 'Organizations')}</section>`;
}

const FLASH: Readonly<Record<string, string>> = { created: 'Organization created.', updated: 'Organization saved.', deleted: 'Organization deleted, with its applications and their secrets.' };

/** The flash line a redirect asked for (`?done=created`): fixed texts only, never echoed input. */
export function flashOf(ctx: Ctx, texts: Readonly<Record<string, string>>): string {
  const key = queryValue(ctx.request.query, 'done', 40);
  const text = Object.hasOwn(texts, key) ? texts[key] : undefined;
  return text === undefined ? '' : notice('ok', esc(text));
}

/** Organizations: list (search, pages), create, edit, delete with confirmation. */
export function organizationPages(app: FastifyInstance, deps: DashboardDeps): void {
  route(app, deps, 'GET', '/dashboard/organizations', async (ctx) => {
    const search = queryValue(ctx.request.query, 'search');
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), order: 'desc' });
    for (const key of ['search', 'before', 'after']) if (queryValue(ctx.request.query, key) !== '') q.set(key, queryValue(ctx.request.query, key));
    const list = await ctx.need<ApiList<ApiOrganization>>('GET', `/organizations?${q.toString()}`);
    return ctx.render(200, { title: 'Organizations', section: 'organizations', body: listPage(ctx, list, search, flashOf(ctx, FLASH)) });
  });

  const newPage = (ctx: Ctx, status: number, name: string, externalId: string, error: ApiError | null) =>
    ctx.render(status, {
      title: 'New organization',
      section: 'organizations',
      body: `<p class="breadcrumb"><a href="/dashboard/organizations">Organizations</a></p><h1>New organization</h1><div class="panel">${organizationForm({ action: '/dashboard/organizations', submit: 'Create organization', name, externalId, error, csrf: ctx.session.csrf })}</div>`,
    });

  route(app, deps, 'GET', '/dashboard/organizations/new', async (ctx) => newPage(ctx, 200, '', '', null));

  route(app, deps, 'POST', '/dashboard/organizations', async (ctx) => {
    const name = ctx.form.get('name') ?? '';
    const externalId = (ctx.form.get('external_id') ?? '').trim();
    const answer = await ctx.call('POST', '/organizations', { name, ...(externalId !== '' && { external_id: externalId }) });
    if (answer.status === 201) return ctx.see(`/dashboard/organizations/${encode((answer.body as ApiOrganization).id)}?done=created`);
    return newPage(ctx, answer.status, name, externalId, formRefusal(answer));
  });

  const detailPage = async (ctx: Ctx, id: string, status: number, edit: { name: string; externalId: string; error: ApiError | null } | null) => {
    const org = await ctx.need<ApiOrganization>('GET', `/organizations/${encode(id)}`);
    const apps = await ctx.need<ApiList<{ id: string; name: string; application_type: string }>>('GET', `/connect/applications?organization_id=${encode(org.id)}&limit=100`);
    const now = ctx.deps.clock.now();
    const domains = org.domains.length === 0 ? '<span class="muted">None</span>' : org.domains.map((d) => `${esc(d.domain)} <span class="badge${d.state === 'verified' ? ' ok' : ' warn'}">${esc(d.state)}</span>`).join(', ');
    const appList =
      apps.data.length === 0
        ? '<p class="empty">No applications belong to this organization.</p>'
        : `<ul>${apps.data.map((a) => `<li><a href="/dashboard/applications/${encode(a.id)}">${esc(a.name)}</a> <span class="badge">${a.application_type === 'm2m' ? 'M2M' : 'OAuth'}</span></li>`).join('')}</ul>`;
    return ctx.render(status, {
      title: org.name,
      section: 'organizations',
      body: `<p class="breadcrumb"><a href="/dashboard/organizations">Organizations</a></p>
<div class="page-head"><h1>${esc(org.name)}</h1><a class="button danger" href="/dashboard/organizations/${encode(org.id)}/delete">Delete organization</a></div>${flashOf(ctx, FLASH)}
<section class="panel" aria-labelledby="facts"><h2 id="facts">Details</h2><dl class="facts"><dt>ID</dt><dd><code>${esc(org.id)}</code></dd><dt>External ID</dt><dd>${org.external_id === null ? '<span class="muted">None</span>' : esc(org.external_id)}</dd><dt>Domains</dt><dd>${domains}</dd><dt>Created</dt><dd>${timeAgo(org.created_at, now)}</dd><dt>Updated</dt><dd>${timeAgo(org.updated_at, now)}</dd></dl></section>
<section class="panel" aria-labelledby="edit"><h2 id="edit">Edit</h2>${organizationForm({ action: `/dashboard/organizations/${encode(org.id)}`, submit: 'Save changes', name: edit?.name ?? org.name, externalId: edit?.externalId ?? org.external_id ?? '', error: edit?.error ?? null, csrf: ctx.session.csrf })}</section>
<section class="panel" aria-labelledby="apps"><div class="page-head"><h2 id="apps">Applications</h2><a class="button secondary" href="/dashboard/applications/new?organization_id=${encode(org.id)}">New application</a></div>${appList}</section>`,
    });
  };

  route(app, deps, 'GET', '/dashboard/organizations/:id', async (ctx) => detailPage(ctx, (ctx.request.params as { id: string }).id, 200, null));

  route(app, deps, 'POST', '/dashboard/organizations/:id', async (ctx) => {
    const id = (ctx.request.params as { id: string }).id;
    const name = ctx.form.get('name') ?? '';
    const externalId = (ctx.form.get('external_id') ?? '').trim();
    // An emptied external ID clears it (the API reads null as "clear" for this field).
    const answer = await ctx.call('PUT', `/organizations/${encode(id)}`, { name, external_id: externalId === '' ? null : externalId });
    if (answer.status === 200) return ctx.see(`/dashboard/organizations/${encode(id)}?done=updated`);
    return detailPage(ctx, id, answer.status, { name, externalId, error: formRefusal(answer) });
  });

  route(app, deps, 'GET', '/dashboard/organizations/:id/delete', async (ctx) => {
    const id = (ctx.request.params as { id: string }).id;
    const org = await ctx.need<ApiOrganization>('GET', `/organizations/${encode(id)}`);
    const apps = await ctx.need<ApiList<unknown>>('GET', `/connect/applications?organization_id=${encode(org.id)}&limit=100`);
    const n = apps.data.length;
    return ctx.render(200, {
      title: `Delete ${org.name}?`,
      section: 'organizations',
      body: `<p class="breadcrumb"><a href="/dashboard/organizations/${encode(org.id)}">${esc(org.name)}</a></p><div class="panel form-narrow"><h1>Delete ${esc(org.name)}?</h1>
<p>This deletes the organization${n === 0 ? '' : ` and its <strong>${n}${n === 100 ? '+' : ''} application${n === 1 ? '' : 's'}</strong> with all their client secrets: their tokens can no longer be renewed`}. It cannot be undone.</p>
<form method="post" action="/dashboard/organizations/${encode(org.id)}/delete">${csrfInput(ctx.session.csrf)}<div class="actions"><a class="button secondary" href="/dashboard/organizations/${encode(org.id)}">Cancel</a><button class="danger" type="submit">Delete organization</button></div></form></div>`,
    });
  });

  route(app, deps, 'POST', '/dashboard/organizations/:id/delete', async (ctx) => {
    await ctx.need('DELETE', `/organizations/${encode((ctx.request.params as { id: string }).id)}`);
    return ctx.see('/dashboard/organizations?done=deleted');
  });
}
