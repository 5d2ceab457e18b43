import type { FastifyInstance } from 'fastify';
import { MAX_SECRETS_PER_APPLICATION } from '../domain/client-secret.ts';
import { PageFailure } from '../domain/errors.ts';
import type { ApiApplication } from './app-form.ts';
import { encode, route, type Ctx } from './context.ts';
import type { DashboardDeps } from './deps.ts';
import { csrfInput, esc, notice, table, timeAgo } from './html.ts';
import { stashReveal, takeReveal } from './reveal.ts';

/** A listed client secret: the hint and dates, never the secret (`expires_at` where the server sets one). */
interface ApiSecret {
  readonly id: string;
  readonly secret_hint: string;
  readonly last_used_at: string | null;
  readonly created_at: string;
  readonly expires_at?: string | null;
}

/** Lifetimes offered for a new secret (issue #13's `expires_in`); the server's PORTICO_SECRET_MAX_LIFETIME_DAYS, if set, caps "no expiry". */
const EXPIRY_CHOICES: readonly (readonly [string, string])[] = [
  ['', 'No expiry (server default)'],
  ['30', 'In 30 days'],
  ['90', 'In 90 days'],
  ['365', 'In a year'],
];

const ids = (ctx: Ctx) => ctx.request.params as { id: string; secretId?: string };

/**
 * The client secrets of an application, on its page: hint, created, last
 * used, expiry; create (shown once on the next page) and delete; the limit
 * of five explained where the button is.
 */
export async function secretsPanel(ctx: Ctx, app: ApiApplication): Promise<string> {
  const secrets = await ctx.need<readonly ApiSecret[]>('GET', `/connect/applications/${encode(app.id)}/client_secrets`);
  const now = ctx.deps.clock.now();
  const anyExpiry = secrets.some((s) => s.expires_at != null);
  const columns = ['Secret', 'Created', 'Last used', ...(anyExpiry ? ['Expires'] : []), ''];
  const rows = secrets.map((s) => [
    `<code>…${esc(s.secret_hint)}</code>`,
    timeAgo(s.created_at, now),
    timeAgo(s.last_used_at, now),
    ...(anyExpiry ? [timeAgo(s.expires_at ?? null, now, 'Never')] : []),
    `<a href="/dashboard/applications/${encode(app.id)}/secrets/${encode(s.id)}/delete">Delete<span class="visually-hidden"> secret …${esc(s.secret_hint)}</span></a>`,
  ]);
  const full = secrets.length >= MAX_SECRETS_PER_APPLICATION;
  const limit = full
    ? `<p id="secret-limit"><strong>This application has ${MAX_SECRETS_PER_APPLICATION} of ${MAX_SECRETS_PER_APPLICATION} secrets, the most it can have.</strong> Delete one (the oldest, once nothing uses it) before creating another.</p>`
    : `<p id="secret-limit" class="muted">${secrets.length} of at most ${MAX_SECRETS_PER_APPLICATION} secrets. Rotate without downtime: create a new one, move your clients to it, then delete the old one.</p>`;
  const publicClient = app.application_type === 'oauth' && app.uses_pkce === true;
  return `<section class="panel" aria-labelledby="secrets"><h2 id="secrets">Client secrets</h2>
${publicClient ? '<p class="muted">This is a public client (PKCE): it signs users in without a secret.</p>' : ''}
${table('Client secrets', columns, rows, 'No client secrets yet.')}
${limit}
<form method="post" action="/dashboard/applications/${encode(app.id)}/secrets" class="inline-field">${csrfInput(ctx.session.csrf)}<div><label for="secret-expiry">Expires</label><select id="secret-expiry" name="expires_in_days"${full ? ' disabled' : ''}>${EXPIRY_CHOICES.map(([days, label]) => `<option value="${days}">${label}</option>`).join('')}</select></div><button class="primary" type="submit"${full ? ' disabled aria-describedby="secret-limit"' : ''}>Create client secret</button></form></section>`;
}

/** Creating, revealing once, and deleting client secrets. */
export function secretPages(app: FastifyInstance, deps: DashboardDeps): void {
  route(app, deps, 'POST', '/dashboard/applications/:id/secrets', async (ctx) => {
    const appId = ids(ctx).id;
    const days = ctx.form.get('expires_in_days') ?? '';
    const body = EXPIRY_CHOICES.some(([d]) => d === days && d !== '') ? { expires_in: Number(days) * 86_400 } : {};
    const created = await ctx.need<{ id: string; secret: string }>('POST', `/connect/applications/${encode(appId)}/client_secrets`, body);
    stashReveal(ctx.deps, ctx.reply, ctx.session, { kind: 'client_secret', owner: appId, id: created.id, value: created.secret });
    return ctx.see(`/dashboard/applications/${encode(appId)}/secrets/new`);
  });

  // The one page that ever shows a secret, and only on its first load (reveal.ts); `no-store` like every page.
  route(app, deps, 'GET', '/dashboard/applications/:id/secrets/new', async (ctx) => {
    const a = await ctx.need<ApiApplication>('GET', `/connect/applications/${encode(ids(ctx).id)}`);
    const reveal = takeReveal(ctx.deps, ctx.request, ctx.reply, ctx.session, 'client_secret', a.id);
    const back = `<a class="button primary" href="/dashboard/applications/${encode(a.id)}">${reveal === null ? 'Back to the application' : 'Done: I have copied it'}</a>`;
    const body =
      reveal === null
        ? `<h1>This secret is no longer shown</h1><p>A new client secret is shown once, right after it is created; Portico stores only a digest of it, so nobody can show it again. If it was not copied, delete it and create another.</p><div class="actions">${back}</div>`
        : `<h1>Copy the new client secret now</h1>
${notice('warn', `<strong>This is the only time it is shown.</strong> Portico keeps only a digest of it. Store it in your secret manager now; if you leave this page without it, delete it and create another.`, 'alert')}
<label for="new-secret">Client secret of ${esc(a.name)}</label>
<div class="secret-box"><input id="new-secret" readonly value="${esc(reveal.value)}" spellcheck="false" autocomplete="off" data-select-on-focus><button class="secondary" type="button" data-copy="new-secret" hidden>Copy secret</button></div>
<p class="copy-status" role="status" data-copy-status></p>
<dl class="facts"><dt>Client ID</dt><dd><code>${esc(a.client_id)}</code></dd><dt>Token endpoint</dt><dd><code>${esc(`${ctx.deps.issuer}/oauth2/token`)}</code></dd></dl>
<div class="actions">${back}</div>`;
    return ctx.render(200, { title: reveal === null ? 'Secret no longer shown' : 'New client secret', section: 'applications', body: `<p class="breadcrumb"><a href="/dashboard/applications/${encode(a.id)}">${esc(a.name)}</a></p><div class="panel form-narrow">${body}</div>` });
  });

  const secretOf = async (ctx: Ctx) => {
    const { id, secretId } = ids(ctx);
    const [a, secrets] = await Promise.all([ctx.need<ApiApplication>('GET', `/connect/applications/${encode(id)}`), ctx.need<readonly ApiSecret[]>('GET', `/connect/applications/${encode(id)}/client_secrets`)]);
    const secret = secrets.find((s) => s.id === secretId);
    if (secret === undefined) throw new PageFailure(404, 'This client secret does not exist (any more)', 'Go back to the application.');
    return { a, secret };
  };

  route(app, deps, 'GET', '/dashboard/applications/:id/secrets/:secretId/delete', async (ctx) => {
    const { a, secret } = await secretOf(ctx);
    return ctx.render(200, {
      title: 'Delete client secret?',
      section: 'applications',
      body: `<p class="breadcrumb"><a href="/dashboard/applications/${encode(a.id)}">${esc(a.name)}</a></p><div class="panel form-narrow"><h1>Delete secret …${esc(secret.secret_hint)}?</h1>
<p>Clients using it stop authenticating at once: the token endpoint refuses it from the next request, on every node. Tokens it already obtained stay valid until they expire. It cannot be undone.</p>
<form method="post" action="/dashboard/applications/${encode(a.id)}/secrets/${encode(secret.id)}/delete">${csrfInput(ctx.session.csrf)}<div class="actions"><a class="button secondary" href="/dashboard/applications/${encode(a.id)}">Cancel</a><button class="danger" type="submit">Delete secret</button></div></form></div>`,
    });
  });

  route(app, deps, 'POST', '/dashboard/applications/:id/secrets/:secretId/delete', async (ctx) => {
    const { a, secret } = await secretOf(ctx);
    await ctx.need('DELETE', `/connect/client_secrets/${encode(secret.id)}`);
    return ctx.see(`/dashboard/applications/${encode(a.id)}?done=secret_deleted`);
  });
}
