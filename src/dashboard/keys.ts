import type { FastifyInstance } from 'fastify';
import { PageFailure } from '../domain/errors.ts';
import type { ApiError } from './api.ts';
import { encode, formRefusal, route, type Ctx } from './context.ts';
import type { DashboardDeps } from './deps.ts';
import { csrfInput, errorSummary, esc, field, fieldErrors, notice, queryValue, table, timeAgo } from './html.ts';
import { flashOf, type ApiList } from './organizations.ts';
import { stashReveal, takeReveal } from './reveal.ts';
import { setSessionCookie } from './session.ts';

interface ApiKeyItem {
  readonly id: string;
  readonly name: string;
  readonly obfuscated_value: string;
  readonly last_used_at: string | null;
  readonly expires_at: string | null;
  readonly created_at: string;
}

interface SigningKeyItem {
  readonly id: string;
  readonly alg: string;
  readonly state: 'signing' | 'pending' | 'published' | 'retired';
  readonly created_at: string;
  readonly active_from: string;
}

const STATE: Readonly<Record<SigningKeyItem['state'], { label: string; badge: string }>> = {
  signing: { label: 'Signing', badge: 'ok' },
  pending: { label: 'Published, signs soon', badge: 'warn' },
  published: { label: 'Retiring (still verifies)', badge: '' },
  retired: { label: 'Retired', badge: 'bad' },
};

const KEY_FLASH: Readonly<Record<string, string>> = { revoked: 'API key revoked: it authenticates nothing from now on.' };

async function apiKeysPage(ctx: Ctx, status: number, name: string, error: ApiError | null) {
  const list = await ctx.need<ApiList<ApiKeyItem>>('GET', '/portico/api_keys');
  const now = ctx.deps.clock.now();
  const rows = list.data.map((k) => [
    `${esc(k.name)}${k.id === ctx.session.keyId ? ' <span class="badge ok">This session</span>' : ''}`,
    `<code>${esc(k.obfuscated_value)}</code>`,
    timeAgo(k.created_at, now),
    timeAgo(k.expires_at, now, 'Never'),
    `<a href="/dashboard/api-keys/${encode(k.id)}/revoke">Revoke<span class="visually-hidden"> ${esc(k.name)}</span></a>`,
  ]);
  return ctx.render(status, {
    title: 'API keys',
    section: 'api-keys',
    body: `<h1>API keys</h1>${flashOf(ctx, KEY_FLASH)}
<p class="muted">Keys for the management API (<code>Authorization: Bearer sk_…</code>). Each dashboard sign-in has a key of its own that expires after 8 hours; revoking it signs that session out. <code>PORTICO_API_KEY</code>, if set, is not listed.</p>
<section class="panel" aria-label="API keys">${table('API keys', ['Name', 'Key', 'Created', 'Expires', ''], rows, 'No API keys.')}</section>
<section class="panel" aria-labelledby="new-key"><h2 id="new-key">Create an API key</h2>${errorSummary(error, { name: 'key-name' })}
<form method="post" action="/dashboard/api-keys" class="form-narrow">${csrfInput(ctx.session.csrf)}${field({ id: 'key-name', name: 'name', label: 'Name', value: name, required: true, hint: 'What uses it, e.g. "billing backend".', errors: fieldErrors(error, 'name') })}
<div class="actions"><button class="primary" type="submit">Create API key</button></div></form></section>`,
  });
}

async function signingKeysPage(ctx: Ctx) {
  const list = await ctx.need<ApiList<SigningKeyItem>>('GET', '/portico/signing_keys');
  const now = ctx.deps.clock.now();
  const rotated = queryValue(ctx.request.query, 'rotated') !== '';
  const rows = [...list.data].reverse().map((k) => [`<code>${esc(k.id)}</code>`, esc(k.alg), `<span class="badge ${STATE[k.state].badge}">${STATE[k.state].label}</span>`, timeAgo(k.created_at, now), timeAgo(k.active_from, now)]);
  return ctx.render(200, {
    title: 'Signing keys',
    section: 'signing-keys',
    body: `<h1>Signing keys</h1>${rotated ? notice('ok', 'New signing key added: it is in the JWKS now and signs once every verifier had time to fetch it.') : ''}
<p class="muted">Keys that sign the tokens, published at <a href="/oauth2/jwks">/oauth2/jwks</a>. A new key is published before it signs, and an old one stays published until every token it signed has expired.</p>
<section class="panel" aria-label="Signing keys">${table('Signing keys', ['Key ID', 'Algorithm', 'State', 'Created', 'Signs from'], rows, 'No signing keys.')}</section>
<section class="panel" aria-labelledby="rotate"><h2 id="rotate">Rotate</h2><p>Adds a key that is published now and starts signing after the publish delay (<code>PORTICO_KEY_PUBLISH_DELAY</code>). Nothing breaks: tokens signed by the current key keep verifying.</p>
<form method="post" action="/dashboard/signing-keys/rotate">${csrfInput(ctx.session.csrf)}<button class="primary" type="submit">Rotate signing key</button></form></section>`,
  });
}

/** API keys (list, create shown once, revoke) and signing keys (list, rotate). */
export function keyPages(app: FastifyInstance, deps: DashboardDeps): void {
  route(app, deps, 'GET', '/dashboard/api-keys', async (ctx) => apiKeysPage(ctx, 200, '', null));

  route(app, deps, 'POST', '/dashboard/api-keys', async (ctx) => {
    const name = ctx.form.get('name') ?? '';
    const answer = await ctx.call('POST', '/portico/api_keys', { name });
    if (answer.status !== 201) return apiKeysPage(ctx, answer.status, name, formRefusal(answer));
    const key = answer.body as ApiKeyItem & { value: string };
    stashReveal(ctx.deps, ctx.reply, ctx.session, { kind: 'api_key', owner: key.id, id: key.id, value: key.value });
    return ctx.see(`/dashboard/api-keys/${encode(key.id)}/new`);
  });

  route(app, deps, 'GET', '/dashboard/api-keys/:id/new', async (ctx) => {
    const id = (ctx.request.params as { id: string }).id;
    const reveal = takeReveal(ctx.deps, ctx.request, ctx.reply, ctx.session, 'api_key', id);
    const body =
      reveal === null
        ? '<h1>This key is no longer shown</h1><p>A new API key is shown once, right after it is created; Portico stores only a digest of it. If it was not copied, revoke it and create another.</p>'
        : `<h1>Copy the new API key now</h1>${notice('warn', '<strong>This is the only time it is shown.</strong> Portico keeps only a digest of it. Store it in your secret manager now.', 'alert')}
<label for="new-secret">API key</label><div class="secret-box"><input id="new-secret" readonly value="${esc(reveal.value)}" spellcheck="false" autocomplete="off" data-select-on-focus><button class="secondary" type="button" data-copy="new-secret" hidden>Copy key</button></div><p class="copy-status" role="status" data-copy-status></p>`;
    return ctx.render(200, { title: reveal === null ? 'Key no longer shown' : 'New API key', section: 'api-keys', body: `<div class="panel form-narrow">${body}<div class="actions"><a class="button primary" href="/dashboard/api-keys">${reveal === null ? 'Back to API keys' : 'Done: I have copied it'}</a></div></div>` });
  });

  route(app, deps, 'GET', '/dashboard/api-keys/:id/revoke', async (ctx) => {
    const id = (ctx.request.params as { id: string }).id;
    const list = await ctx.need<ApiList<ApiKeyItem>>('GET', '/portico/api_keys');
    const key = list.data.find((k) => k.id === id);
    if (key === undefined) throw new PageFailure(404, 'This API key does not exist or was revoked', 'Go back to the API keys.');
    const own = key.id === ctx.session.keyId;
    return ctx.render(200, {
      title: `Revoke ${key.name}?`,
      section: 'api-keys',
      body: `<div class="panel form-narrow"><h1>Revoke ${esc(key.name)}?</h1><p>Requests with <code>${esc(key.obfuscated_value)}</code> are refused from the next one on.${own ? ' <strong>This is the key of your current session: revoking it signs you out.</strong>' : ''} It cannot be undone.</p>
<form method="post" action="/dashboard/api-keys/${encode(key.id)}/revoke">${csrfInput(ctx.session.csrf)}<div class="actions"><a class="button secondary" href="/dashboard/api-keys">Cancel</a><button class="danger" type="submit">Revoke key</button></div></form></div>`,
    });
  });

  route(app, deps, 'POST', '/dashboard/api-keys/:id/revoke', async (ctx) => {
    const id = (ctx.request.params as { id: string }).id;
    await ctx.need('DELETE', `/portico/api_keys/${encode(id)}`);
    if (id === ctx.session.keyId) {
      setSessionCookie(ctx.deps, ctx.reply, null);
      return ctx.see('/dashboard/sign-in?signed_out=1');
    }
    return ctx.see('/dashboard/api-keys?done=revoked');
  });

  route(app, deps, 'GET', '/dashboard/signing-keys', async (ctx) => signingKeysPage(ctx));

  route(app, deps, 'POST', '/dashboard/signing-keys/rotate', async (ctx) => {
    const key = await ctx.need<SigningKeyItem>('POST', '/portico/signing_keys/rotate', {});
    return ctx.see(`/dashboard/signing-keys?rotated=${encode(key.id)}`);
  });
}
