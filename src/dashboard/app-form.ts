import type { Form } from '../http/form.ts';
import type { ApiError } from './api.ts';
import { csrfInput, errorSummary, esc, field, fieldErrors } from './html.ts';
import type { ApiOrganization } from './organizations.ts';

/** The management API's application object (one of its four shapes), as far as the dashboard reads it. */
export interface ApiApplication {
  readonly id: string;
  readonly client_id: string;
  readonly name: string;
  readonly description: string | null;
  readonly scopes: readonly string[];
  readonly application_type: 'oauth' | 'm2m';
  readonly organization_id?: string | null;
  readonly redirect_uris?: readonly { readonly uri: string; readonly default: boolean }[];
  readonly uses_pkce?: boolean;
  readonly is_first_party?: boolean;
  readonly was_dynamically_registered?: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

/** The three kinds of application an operator creates (WorkOS Connect's). */
export type AppKind = 'm2m' | 'oauth_third_party' | 'oauth_first_party';

export function kindOf(a: ApiApplication): string {
  if (a.application_type === 'm2m') return 'M2M';
  if (a.is_first_party) return 'OAuth, first-party';
  return a.was_dynamically_registered ? 'OAuth, self-registered' : 'OAuth, third-party';
}

/** What the application form holds, as typed (so a refused form comes back as it was sent). */
export interface AppFormValues {
  readonly name: string;
  readonly description: string;
  readonly kind: AppKind;
  readonly organizationId: string;
  readonly scopes: string;
  readonly redirectUris: string;
  readonly usesPkce: boolean;
}

export const EMPTY_APP: AppFormValues = { name: '', description: '', kind: 'm2m', organizationId: '', scopes: '', redirectUris: '', usesPkce: false };

export function appFormValues(form: Form): AppFormValues {
  const kind = form.get('kind');
  return {
    name: form.get('name') ?? '',
    description: form.get('description') ?? '',
    kind: kind === 'oauth_third_party' || kind === 'oauth_first_party' ? kind : 'm2m',
    organizationId: form.get('organization_id') ?? '',
    scopes: form.get('scopes') ?? '',
    redirectUris: form.get('redirect_uris') ?? '',
    usesPkce: form.get('uses_pkce') === 'on',
  };
}

export const splitScopes = (text: string): string[] => text.split(/[\s,]+/).filter((s) => s !== '');
const splitLines = (text: string): string[] => text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');

/** Redirect URIs, one per line; the first is the default. */
export function redirectUris(text: string): { uri: string; default: boolean }[] {
  return splitLines(text).map((uri, i) => ({ uri, default: i === 0 }));
}

/**
 * The create body for the management API. Only what the form holds is sent,
 * and the API decides: an organization on a first-party app, or redirect URIs
 * on an M2M app, come back as the API's own validation messages.
 */
export function createBody(v: AppFormValues): Record<string, unknown> {
  const common = {
    name: v.name,
    ...(v.description.trim() !== '' && { description: v.description }),
    scopes: splitScopes(v.scopes),
    ...(v.organizationId !== '' && { organization_id: v.organizationId }),
  };
  if (v.kind === 'm2m') {
    return { ...common, application_type: 'm2m', ...(v.redirectUris.trim() !== '' && { redirect_uris: redirectUris(v.redirectUris) }), ...(v.usesPkce && { uses_pkce: true }) };
  }
  return { ...common, application_type: 'oauth', is_first_party: v.kind === 'oauth_first_party', uses_pkce: v.usesPkce, redirect_uris: redirectUris(v.redirectUris) };
}

const KINDS: readonly { readonly value: AppKind; readonly label: string; readonly hint: string }[] = [
  { value: 'm2m', label: 'Machine-to-machine (M2M)', hint: "A customer's backend calling your API with a client ID and secret (client_credentials). Belongs to an organization." },
  { value: 'oauth_third_party', label: 'OAuth, third-party', hint: "A partner's application your users sign in to; they see a consent page. Belongs to an organization." },
  { value: 'oauth_first_party', label: 'OAuth, first-party', hint: 'Your own application: users sign in without a consent page. Belongs to no organization.' },
];

export const APP_FIELDS = { name: 'app-name', description: 'app-description', application_type: 'kind-m2m', organization_id: 'app-org', scopes: 'app-scopes', redirect_uris: 'app-redirects', uses_pkce: 'app-pkce', is_first_party: 'kind-m2m' };

/** The create form. Without script every field shows; the script hides (and disables) the OAuth-only ones for M2M. */
export function createForm(v: AppFormValues, orgs: readonly ApiOrganization[], error: ApiError | null, csrf: string): string {
  const options = [`<option value=""${v.organizationId === '' ? ' selected' : ''}>None (first-party applications)</option>`, ...orgs.map((o) => `<option value="${esc(o.id)}"${o.id === v.organizationId ? ' selected' : ''}>${esc(o.name)}</option>`)].join('');
  const orgErrors = fieldErrors(error, 'organization_id');
  const kinds = KINDS.map(
    (k) =>
      `<label class="choice" for="kind-${k.value}"><input type="radio" name="kind" id="kind-${k.value}" value="${k.value}"${v.kind === k.value ? ' checked' : ''} aria-describedby="kind-${k.value}-hint"><span><strong>${k.label}</strong><span class="hint" id="kind-${k.value}-hint">${esc(k.hint)}</span></span></label>`,
  ).join('');
  const typeErrors = [...fieldErrors(error, 'application_type'), ...fieldErrors(error, 'is_first_party')];
  return `${errorSummary(error, APP_FIELDS)}
<form method="post" action="/dashboard/applications" class="form-narrow" data-app-form>${csrfInput(csrf)}
${field({ id: 'app-name', name: 'name', label: 'Name', value: v.name, required: true, errors: fieldErrors(error, 'name'), hint: 'Shown to users on the consent page.' })}
<fieldset><legend>Type</legend>${kinds}${typeErrors.map((e) => `<p class="field-error">${esc(e)}</p>`).join('')}</fieldset>
<label for="app-org">Organization<span class="hint" id="app-org-hint">Required for M2M and third-party applications.</span></label>
<select id="app-org" name="organization_id" aria-describedby="app-org-hint${orgErrors.length > 0 ? ' app-org-error' : ''}"${orgErrors.length > 0 ? ' aria-invalid="true"' : ''}>${options}</select>${orgErrors.map((e, i) => `<p class="field-error"${i === 0 ? ' id="app-org-error"' : ''}>${esc(e)}</p>`).join('')}
${field({ id: 'app-scopes', name: 'scopes', label: 'Scopes (optional)', value: v.scopes, hint: 'Separated by spaces, e.g. notes:read notes:write. OIDC scopes need not be listed.', errors: fieldErrors(error, 'scopes') })}
${field({ id: 'app-description', name: 'description', label: 'Description (optional)', value: v.description, multiline: true, errors: fieldErrors(error, 'description') })}
<fieldset data-oauth-only><legend>OAuth</legend>
${field({ id: 'app-redirects', name: 'redirect_uris', label: 'Redirect URIs', value: v.redirectUris, multiline: true, hint: 'One per line; the first is the default. https, or http only for localhost.', errors: fieldErrors(error, 'redirect_uris') })}
<label class="choice" for="app-pkce"><input type="checkbox" id="app-pkce" name="uses_pkce"${v.usesPkce ? ' checked' : ''}><span>Public client: uses PKCE, no client secret (mobile, desktop and single-page apps)</span></label>${fieldErrors(error, 'uses_pkce').map((e) => `<p class="field-error">${esc(e)}</p>`).join('')}
</fieldset>
<div class="actions"><button class="primary" type="submit">Create application</button></div></form>`;
}

/** The edit form: name, description, scopes and (OAuth) redirect URIs: what the API lets change. */
export function editForm(app: ApiApplication, values: { name: string; description: string; scopes: string; redirectUris: string } | null, error: ApiError | null, csrf: string): string {
  const v = values ?? { name: app.name, description: app.description ?? '', scopes: app.scopes.join(' '), redirectUris: [...(app.redirect_uris ?? [])].sort((a, b) => Number(b.default) - Number(a.default)).map((r) => r.uri).join('\n') };
  return `${errorSummary(error, APP_FIELDS)}
<form method="post" action="/dashboard/applications/${encodeURIComponent(app.id)}" class="form-narrow">${csrfInput(csrf)}
${field({ id: 'app-name', name: 'name', label: 'Name', value: v.name, required: true, errors: fieldErrors(error, 'name') })}
${field({ id: 'app-description', name: 'description', label: 'Description', value: v.description, multiline: true, hint: 'Empty clears it.', errors: fieldErrors(error, 'description') })}
${field({ id: 'app-scopes', name: 'scopes', label: 'Scopes', value: v.scopes, hint: 'Separated by spaces. Tokens already issued keep their scopes until they expire.', errors: fieldErrors(error, 'scopes') })}
${app.application_type === 'oauth' ? field({ id: 'app-redirects', name: 'redirect_uris', label: 'Redirect URIs', value: v.redirectUris, multiline: true, hint: 'One per line; the first is the default.', errors: fieldErrors(error, 'redirect_uris') }) : ''}
<div class="actions"><button class="primary" type="submit">Save changes</button></div></form>`;
}
