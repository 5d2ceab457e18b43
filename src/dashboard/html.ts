import { esc } from '../pages/html.ts';
import type { ApiError } from './api.ts';

export { esc };

/** Words for the field codes the management API answers (`{field, code}`); anything else is spelled out from the code. */
const CODE_TEXT: ReadonlyMap<string, string> = new Map([
  ['name_required', 'Enter a name.'],
  ['name_too_long', 'The name is too long.'],
  ['name_invalid', 'The name must be one line of text.'],
  ['description_too_long', 'The description is too long (at most 2,000 characters).'],
  ['organization_id_required', 'Choose the organization that owns this application.'],
  ['organization_id_not_allowed_for_first_party', 'A first-party application belongs to no organization: choose "none".'],
  ['organization_not_found', 'That organization does not exist (any more).'],
  ['scopes_invalid', 'A scope may not contain spaces, quotes or backslashes.'],
  ['scopes_too_long', 'A scope is at most 200 characters.'],
  ['scopes_too_many', 'At most 100 scopes.'],
  ['redirect_uri_must_be_absolute', 'Each redirect URI must be an absolute URL (https://…).'],
  ['redirect_uri_must_not_have_fragment', 'A redirect URI may not contain a fragment (#…).'],
  ['redirect_uri_scheme_not_allowed', 'That scheme cannot be a redirect URI.'],
  ['redirect_uri_http_only_for_loopback', 'Use https; http is allowed only for localhost, 127.0.0.1 and [::1].'],
  ['redirect_uri_invalid', 'That is not a valid redirect URI.'],
  ['redirect_uri_duplicate', 'A redirect URI is listed twice.'],
  ['redirect_uris_too_many', 'At most 50 redirect URIs.'],
  ['redirect_uris_multiple_defaults', 'Only one redirect URI can be the default.'],
  ['domain_invalid', 'That is not a domain name (example.com).'],
  ['domain_already_used', 'One of the domains is already used by another organization.'],
  ['external_id_already_used', 'Another organization has this external ID.'],
  ['client_secret_limit_reached', 'This application already has 5 secrets: delete one first.'],
]);

/** Words for one problem: ours for the codes we know, else the API's own message, else the code spelled out. */
export function describeCode(code: string, apiMessage?: string): string {
  const known = CODE_TEXT.get(code);
  if (known === undefined && apiMessage !== undefined) return apiMessage;
  if (known !== undefined) return known;
  const words = code.replace(/_/g, ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}.`;
}

/** Field name in the form (`redirect_uris[2].uri` -> `redirect_uris`) for an API field. */
export function formField(apiField: string): string {
  return apiField.replace(/\[.*$/, '').replace(/\..*$/, '');
}

/** The errors of one form field, from an API answer. */
export function fieldErrors(error: ApiError | null, field: string): string[] {
  if (error === null) return [];
  return [...new Set(error.errors.filter((e) => formField(e.field) === field).map((e) => describeCode(e.code, e.message)))];
}

/**
 * The summary at the top of a refused form: the API's own message, then
 * one line per problem, each linking to its field (WCAG 3.3.1).
 */
export function errorSummary(error: ApiError | null, fields: Readonly<Record<string, string>>): string {
  if (error === null) return '';
  const items = error.errors.map((e) => {
    const field = formField(e.field);
    const id = fields[field];
    const text = esc(describeCode(e.code, e.message));
    return `<li>${id === undefined ? text : `<a href="#${esc(id)}">${text}</a>`}</li>`;
  });
  return `<div class="notice notice-error" role="alert" tabindex="-1" id="form-errors"><strong>${esc(error.message)}</strong>${items.length > 0 ? `<ul>${[...new Set(items)].join('')}</ul>` : ''}</div>`;
}

export interface FieldOptions {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly value?: string;
  readonly type?: string;
  readonly hint?: string;
  readonly errors?: readonly string[];
  readonly required?: boolean;
  readonly autocomplete?: string;
  readonly multiline?: boolean;
  readonly extra?: string;
}

/** A labelled control with its hint and errors tied to it (aria-describedby, aria-invalid). */
export function field(o: FieldOptions): string {
  const errors = o.errors ?? [];
  const described = [o.hint ? `${o.id}-hint` : null, errors.length > 0 ? `${o.id}-error` : null].filter((x) => x !== null).join(' ');
  const attrs = `id="${esc(o.id)}" name="${esc(o.name)}"${o.required ? ' required' : ''}${o.autocomplete ? ` autocomplete="${esc(o.autocomplete)}"` : ''}${described ? ` aria-describedby="${described}"` : ''}${errors.length > 0 ? ' aria-invalid="true"' : ''}${o.extra ? ` ${o.extra}` : ''}`;
  const control = o.multiline ? `<textarea ${attrs}>${esc(o.value ?? '')}</textarea>` : `<input type="${o.type ?? 'text'}" ${attrs} value="${esc(o.value ?? '')}">`;
  return `<label for="${esc(o.id)}">${esc(o.label)}${o.hint ? `<span class="hint" id="${esc(o.id)}-hint">${esc(o.hint)}</span>` : ''}</label>${control}${errors.map((e, i) => `<p class="field-error"${i === 0 ? ` id="${esc(o.id)}-error"` : ''}>${esc(e)}</p>`).join('')}`;
}

export function csrfInput(csrf: string): string {
  return `<input type="hidden" name="csrf" value="${esc(csrf)}">`;
}

/** "3 minutes ago", "in 2 hours", with the exact UTC time in `datetime` and `title`. */
export function timeAgo(iso: string | null, now: Date, never = 'Never'): string {
  if (iso === null) return `<span class="muted">${esc(never)}</span>`;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return esc(iso);
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const [n, unit] =
    abs < 45 ? [0, 'now'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86_400 ? [Math.round(abs / 3600), 'hour'] : abs < 86_400 * 45 ? [Math.round(abs / 86_400), 'day'] : abs < 86_400 * 365 ? [Math.round(abs / (86_400 * 30)), 'month'] : [Math.round(abs / (86_400 * 365)), 'year'];
  const words = unit === 'now' ? 'just now' : `${n} ${unit}${n === 1 ? '' : 's'}`;
  const text = unit === 'now' ? words : seconds < 0 ? `${words} ago` : `in ${words}`;
  const exact = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `<time datetime="${esc(at.toISOString())}" title="${esc(exact)}">${esc(text)}</time>`;
}

/** A table that becomes one card per row at 390 px (each cell labelled by its column, CSS only; one wrapper per cell, so the card's grid has two columns whatever the cell holds). */
export function table(caption: string, columns: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  const head = columns.map((c) => (c === '' ? '<th scope="col"><span class="visually-hidden">Actions</span></th>' : `<th scope="col">${esc(c)}</th>`)).join('');
  const body = rows
    .map((cells) => `<tr>${cells.map((cell, i) => `<td data-label="${esc(columns[i] || 'Actions')}"${columns[i] === '' ? ' class="actions-cell"' : ''}><div class="cell">${cell}</div></td>`).join('')}</tr>`)
    .join('');
  return `<table class="cards"><caption class="visually-hidden">${esc(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Previous / next links from a WorkOS `list_metadata`, keeping the other query parameters. */
export function pager(path: string, query: Readonly<Record<string, string>>, meta: { before: string | null; after: string | null } | undefined, label: string): string {
  if (!meta || (meta.before === null && meta.after === null)) return '';
  const link = (key: 'before' | 'after', cursor: string | null, text: string) => {
    if (cursor === null) return '<span></span>';
    const q = new URLSearchParams({ ...query, [key]: cursor });
    q.delete(key === 'before' ? 'after' : 'before');
    return `<a href="${esc(`${path}?${q.toString()}`)}" rel="${key === 'before' ? 'prev' : 'next'}">${text}</a>`;
  };
  return `<nav class="pager" aria-label="${esc(label)} pages">${link('before', meta.before, '← Previous page')}${link('after', meta.after, 'Next page →')}</nav>`;
}

export function notice(kind: 'ok' | 'error' | 'warn', html: string, role: 'status' | 'alert' = 'status'): string {
  return `<div class="notice notice-${kind}" role="${role}">${html}</div>`;
}

/** Values of a query string the dashboard passes on: strings only, trimmed, bounded. */
export function queryValue(query: unknown, key: string, max = 200): string {
  const v = (query as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}
