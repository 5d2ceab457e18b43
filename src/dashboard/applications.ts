import type { FastifyInstance } from 'fastify';
import type { ApiError } from './api.ts';
import { appFormValues, createBody, createForm, EMPTY_APP, editForm, kindOf, redirectUris, splitScopes, type ApiApplication, type AppFormValues } from './app-form.ts';
import { encode, formRefusal, route, type Ctx } from './context.ts';
import type { DashboardDeps } from './deps.ts';
import { csrfInput, esc, pager, queryValue, table, timeAgo } from './html.ts';
import { flashOf, organizationChoices, type ApiList, type ApiOrganization } from './organizations.ts';
import { secretsPanel } from './secrets.ts';

const PAGE_SIZE = 20;
const FLASH: Readonly<Record<string, string>> = {
  created: 'Application created. Create a client secret below if it authenticates with one.',
  updated: 'Application saved.',
  deleted: 'Application deleted, with its client secrets.',
  secret_deleted: 'Client secret deleted: it authenticates nothing from now on.',
};

const idParam = (ctx: Ctx) => (ctx.request.params as { id: string }).id;

function orgName(orgs: readonly ApiOrganization[], id: string | null | undefined): string {
  if (id === null || id === undefined) return '<span class="muted">None</span>';
  const org = orgs.find((o) => o.id === id);
  return org === undefined ? `<code>${esc(id)}</code>` : `<a href="/dashboard/organizations/${encode(id)}">${esc(org.name)}</a>`;
}

function filters(orgs: readonly ApiOrganization[], organizationId: string, type: string): string {
  const orgOptions = [`<option value="">All organizations</option>`, ...orgs.map((o) => `<option value="${esc(o.id)}"${o.id === organizationId ? ' selected' : ''}>${esc(o.name)}</option>`)].join('');
  const typeOptions = [
    ['', 'All types'],
    ['m2m', 'M2M'],
    ['oauth', 'OAuth'],
  ]
    .map(([value, label]) => `<option value="${value}"${value === type ? ' selected' : ''}>${label}</option>`)
    .join('');
  return `<form class="filters" method="get" action="/dashboard/applications" aria-label="Filter applications"><div><label for="filter-org">Organization</label><select id="filter-org" name="organization_id">${orgOptions}</select></div><div><label for="filter-type">Type</label><select id="filter-type" name="application_type">${typeOptions}</select></div><button class="secondary" type="submit">Filter</button></form>`;
}

/** Connect applications: list by organization and type, create, edit, delete (secrets: secrets.ts). */
export function applicationPages(app: FastifyInstance, deps: DashboardDeps): void {
  route(app, deps, 'GET', '/dashboard/applications', async (ctx) => {
    const organizationId = queryValue(ctx.request.query, 'organization_id', 100);
    const type = queryValue(ctx.request.query, 'application_type', 10);
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), order: 'desc' });
    const kept: Record<string, string> = {};
    for (const [key, value] of [['organization_id', organizationId], ['application_type', type]] as const) {
      if (value !== '') {
        q.set(key, value);
        kept[key] = value;
      }
    }
    for (const key of ['before', 'after']) if (queryValue(ctx.request.query, key) !== '') q.set(key, queryValue(ctx.request.query, key));
    const [orgs, list] = await Promise.all([organizationChoices(ctx), ctx.need<ApiList<ApiApplication>>('GET', `/connect/applications?${q.toString()}`)]);
    const now = ctx.deps.clock.now();
    const rows = list.data.map((a) => [
      `<a href="/dashboard/applications/${encode(a.id)}">${esc(a.name)}</a>`,
      `<span class="badge">${esc(kindOf(a))}</span>`,
      orgName(orgs, a.organization_id),
      `<code>${esc(a.client_id)}</code>`,
      timeAgo(a.created_at, now),
    ]);
    const newLink = `/dashboard/applications/new${organizationId === '' ? '' : `?organization_id=${encode(organizationId)}`}`;
    return ctx.render(200, {
      title: 'Applications',
      section: 'applications',
      body: `<div class="page-head"><h1>Applications</h1><a class="button primary" href="${esc(newLink)}">New application</a></div>${flashOf(ctx, FLASH)}
<section class="panel" aria-label="Applications">${filters(orgs, organizationId, type)}
${table('Applications', ['Name', 'Type', 'Organization', 'Client ID', 'Created'], rows, Object.keys(kept).length === 0 ? 'No applications yet.' : 'No application matches these filters.')}
${pager('/dashboard/applications', kept, list.list_metadata, 'Applications')}</section>`,
    });
  });

  const newPage = async (ctx: Ctx, status: number, values: AppFormValues, error: ApiError | null) => {
    const orgs = await organizationChoices(ctx);
    return ctx.render(status, {
      title: 'New application',
      section: 'applications',
      body: `<p class="breadcrumb"><a href="/dashboard/applications">Applications</a></p><h1>New application</h1><div class="panel">${createForm(values, orgs, error, ctx.session.csrf)}</div>`,
    });
  };

  route(app, deps, 'GET', '/dashboard/applications/new', async (ctx) => newPage(ctx, 200, { ...EMPTY_APP, organizationId: queryValue(ctx.request.query, 'organization_id', 100) }, null));

  route(app, deps, 'POST', '/dashboard/applications', async (ctx) => {
    const values = appFormValues(ctx.form);
    const answer = await ctx.call('POST', '/connect/applications', createBody(values));
    if (answer.status === 201) return ctx.see(`/dashboard/applications/${encode((answer.body as ApiApplication).id)}?done=created`);
    return newPage(ctx, answer.status, values, formRefusal(answer));
  });

  const detailPage = async (ctx: Ctx, status: number, edit: { values: { name: string; description: string; scopes: string; redirectUris: string }; error: ApiError } | null) => {
    const a = await ctx.need<ApiApplication>('GET', `/connect/applications/${encode(idParam(ctx))}`);
    const orgs = a.organization_id ? await organizationChoices(ctx) : [];
    const now = ctx.deps.clock.now();
    const facts = [
      ['Type', esc(kindOf(a))],
      ['Client ID', `<code id="client-id">${esc(a.client_id)}</code> <button class="secondary" type="button" data-copy="client-id" hidden>Copy</button>`],
      ['Application ID', `<code>${esc(a.id)}</code>`],
      ['Organization', orgName(orgs, a.organization_id)],
      ...(a.application_type === 'oauth' ? [['Public client (PKCE)', a.uses_pkce ? 'Yes' : 'No']] : []),
      ['Scopes', a.scopes.length === 0 ? '<span class="muted">None</span>' : a.scopes.map((s) => `<code>${esc(s)}</code>`).join(' ')],
      ['Created', timeAgo(a.created_at, now)],
      ['Updated', timeAgo(a.updated_at, now)],
    ];
    return ctx.render(status, {
      title: a.name,
      section: 'applications',
      body: `<p class="breadcrumb"><a href="/dashboard/applications">Applications</a></p>
<div class="page-head"><h1>${esc(a.name)}</h1><a class="button danger" href="/dashboard/applications/${encode(a.id)}/delete">Delete application</a></div>${flashOf(ctx, FLASH)}
<section class="panel" aria-labelledby="facts"><h2 id="facts">Details</h2><dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl><p class="copy-status" role="status" data-copy-status></p></section>
${await secretsPanel(ctx, a)}
<section class="panel" aria-labelledby="edit"><h2 id="edit">Edit</h2>${editForm(a, edit?.values ?? null, edit?.error ?? null, ctx.session.csrf)}</section>`,
    });
  };

  route(app, deps, 'GET', '/dashboard/applications/:id', async (ctx) => detailPage(ctx, 200, null));

  route(app, deps, 'POST', '/dashboard/applications/:id', async (ctx) => {
    const values = { name: ctx.form.get('name') ?? '', description: ctx.form.get('description') ?? '', scopes: ctx.form.get('scopes') ?? '', redirectUris: ctx.form.get('redirect_uris') ?? '' };
    const body: Record<string, unknown> = { name: values.name, description: values.description, scopes: splitScopes(values.scopes) };
    // The form has redirect URIs only for OAuth apps; an M2M app's form never sends the field.
    if (ctx.form.get('redirect_uris') !== undefined) body.redirect_uris = redirectUris(values.redirectUris);
    const answer = await ctx.call('PUT', `/connect/applications/${encode(idParam(ctx))}`, body);
    if (answer.status === 200) return ctx.see(`/dashboard/applications/${encode(idParam(ctx))}?done=updated`);
    return detailPage(ctx, answer.status, { values, error: formRefusal(answer) });
  });

  route(app, deps, 'GET', '/dashboard/applications/:id/delete', async (ctx) => {
    const a = await ctx.need<ApiApplication>('GET', `/connect/applications/${encode(idParam(ctx))}`);
    return ctx.render(200, {
      title: `Delete ${a.name}?`,
      section: 'applications',
      body: `<p class="breadcrumb"><a href="/dashboard/applications/${encode(a.id)}">${esc(a.name)}</a></p><div class="panel form-narrow"><h1>Delete ${esc(a.name)}?</h1>
<p>Its client secrets are deleted with it: from that moment <strong>${esc(a.client_id)}</strong> can get no new tokens. It cannot be undone.</p>
<form method="post" action="/dashboard/applications/${encode(a.id)}/delete">${csrfInput(ctx.session.csrf)}<div class="actions"><a class="button secondary" href="/dashboard/applications/${encode(a.id)}">Cancel</a><button class="danger" type="submit">Delete application</button></div></form></div>`,
    });
  });

  route(app, deps, 'POST', '/dashboard/applications/:id/delete', async (ctx) => {
    await ctx.need('DELETE', `/connect/applications/${encode(idParam(ctx))}`);
    return ctx.see('/dashboard/applications?done=deleted');
  });
}
