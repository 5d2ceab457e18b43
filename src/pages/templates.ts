import { imageOrigin } from '../domain/brand.ts';
import type { ConsentOption } from '../domain/user.ts';
import { esc, type PageView } from './html.ts';

/** Where "Not you?" posts: signs the browser out and starts the same authorization again. */
export const SWITCH_ACCOUNT_PATH = '/oauth2/authorize/switch-account';

/** What the consent page shows about the application, from its row (and, for dynamic clients, its metadata). */
export interface ClientView {
  readonly name: string;
  /** RFC 7591 `logo_uri`, `client_uri`, `tos_uri`, `policy_uri`: untrusted, https only (checked again here). */
  readonly logoUri: string | null;
  readonly clientUri: string | null;
  readonly tosUri: string | null;
  readonly policyUri: string | null;
}

export interface ConsentView {
  readonly interactionId: string;
  readonly csrf: string;
  readonly client: ClientView;
  readonly redirectHost: string;
  /** Each requested scope with what it means to the user (null: nobody described it). */
  readonly scopes: readonly { readonly scope: string; readonly description: string | null }[];
  readonly organizationName: string | null;
  readonly userEmail: string;
  readonly consentOptions: readonly ConsentOption[];
  /** Only consent options, because a first-party app skips the permission question. */
  readonly optionsOnly: boolean;
  /**
   * Issue #10: who vouches for the name. A metadata-document client is named by its document, so the
   * page also shows the document's host; a self-registered client is marked as unverified.
   */
  readonly provenance: { readonly kind: 'document'; readonly host: string } | { readonly kind: 'registered' } | null;
  /** A device sign-in (RFC 8628): the user code, shown so the user can compare it with their device (§5.4). */
  readonly deviceUserCode: string | null;
}

/** A URL a client supplied, if it may become a link or an image here: https, parsable, of sane length. */
function safeHttps(uri: string | null): string | null {
  if (uri === null || uri.length > 2048) return null;
  try {
    return new URL(uri).protocol === 'https:' ? uri : null;
  } catch {
    return null;
  }
}

const hidden = (interactionId: string, csrf: string) =>
  `<input type="hidden" name="interaction" value="${esc(interactionId)}"><input type="hidden" name="csrf" value="${esc(csrf)}">`;

/** "Signed in as … — not you?": a button that signs out and restarts the authorization (issue #14). */
function whoAmI(v: { interactionId: string; csrf: string; userEmail: string; organizationName?: string | null }): string {
  const org = v.organizationName ? ` <span class="muted">· ${esc(v.organizationName)}</span>` : '';
  return `<div class="whoami"><span>Signed in as <strong>${esc(v.userEmail)}</strong>${org}</span>
<form method="post" action="${SWITCH_ACCOUNT_PATH}" class="inline">${hidden(v.interactionId, v.csrf)}<button class="link" type="submit">Not you? Use another account</button></form></div>`;
}

function clientHead(client: ClientView, heading: string): { html: string; imageOrigins: string[] } {
  const logo = safeHttps(client.logoUri);
  const origin = logo === null ? null : imageOrigin(logo);
  const img = logo !== null && origin !== null ? `<img class="app-logo" src="${esc(logo)}" alt="" width="56" height="56" referrerpolicy="no-referrer">` : '';
  const links = [
    ['Website', safeHttps(client.clientUri)],
    ['Terms of service', safeHttps(client.tosUri)],
    ['Privacy policy', safeHttps(client.policyUri)],
  ]
    .filter((l): l is [string, string] => l[1] !== null)
    // rel=noreferrer: the consent URL carries the interaction ID; noopener: the app's page gets no handle on this one.
    .map(([label, href]) => `<li><a href="${esc(href)}" rel="noopener noreferrer" target="_blank">${label}<span class="visually-hidden"> of ${esc(client.name)} (opens in a new tab)</span></a></li>`)
    .join('');
  return {
    html: `<div class="app-head">${img}<h1>${heading}</h1></div>${links === '' ? '' : `<ul class="app-links" aria-label="About ${esc(client.name)}">${links}</ul>`}`,
    imageOrigins: img === '' ? [] : [origin!],
  };
}

export function consentPage(v: ConsentView): PageView {
  const name = esc(v.client.name);
  // Issue #14: a described scope reads as its description alone, an undescribed one as its name once.
  const scopes = v.scopes.map((s) => `<li>${s.description === null ? `<code>${esc(s.scope)}</code>` : esc(s.description)}</li>`).join('');
  const options = v.consentOptions
    .map(
      (o, i) =>
        `<label for="opt${i}">${esc(o.label)}</label><select id="opt${i}" name="claim:${esc(o.claim)}" required>${o.choices
          .map((c) => `<option value="${esc(c.value)}">${esc(c.label)}</option>`)
          .join('')}</select>`,
    )
    .join('');
  const device = v.deviceUserCode;
  const heading = device !== null ? `Sign in to ${name} on a device?` : v.optionsOnly ? `Continue to ${name}` : `${name} wants to access your account`;
  const head = clientHead(v.client, heading);
  const where =
    device !== null
      ? `<p>Confirm that your device shows this code:</p><p class="code">${esc(device)}</p>
<p class="muted">Only allow this if you started the sign-in on your own device just now. If someone sent you this code or link, choose Deny.</p>`
      : `<p class="muted">You will be sent back to <strong>${esc(v.redirectHost)}</strong>.</p>`;
  const provenance =
    v.provenance === null
      ? ''
      : v.provenance.kind === 'document'
        ? `<p class="muted">This application describes itself at <strong>${esc(v.provenance.host)}</strong>. Only continue if you expected an application from there.</p>`
        : '<p class="muted">This application registered itself with this server: its name, logo and links have not been verified.</p>';
  const body = `${head.html}
${provenance}
${whoAmI({ interactionId: v.interactionId, csrf: v.csrf, userEmail: v.userEmail, organizationName: v.organizationName })}
${v.optionsOnly ? '' : `<p>It will be able to:</p><ul class="scopes">${scopes}</ul>`}
${where}
<form method="post" action="/oauth2/authorize/consent">
${hidden(v.interactionId, v.csrf)}
${options}
<div class="actions"><button class="secondary" type="submit" name="decision" value="deny">${device !== null ? 'Deny' : 'Cancel'}</button><button class="primary" type="submit" name="decision" value="allow">Allow</button></div>
</form>`;
  return { title: `Authorize ${v.client.name}`, body, imageOrigins: head.imageOrigins };
}

/** The organization chooser (issue #14: one card per organization, and a way out). */
export function organizationPage(v: { interactionId: string; csrf: string; appName: string; userEmail: string; organizations: readonly { id: string; name: string }[]; message?: string }): PageView {
  const choices = v.organizations
    .map((o, i) => `<li><label for="org${i}"><input type="radio" id="org${i}" name="organization_id" value="${esc(o.id)}" required><span>${esc(o.name)}</span></label></li>`)
    .join('');
  return {
    title: 'Choose an organization',
    body: `<h1>Choose an organization</h1>
${whoAmI({ interactionId: v.interactionId, csrf: v.csrf, userEmail: v.userEmail })}
${v.message === undefined ? '' : `<p class="error" role="alert">${esc(v.message)}</p>`}
<form method="post" action="/oauth2/authorize/organization">
${hidden(v.interactionId, v.csrf)}
<fieldset><legend>Which organization should ${esc(v.appName)} act for?</legend><ul class="org-list">${choices}</ul></fieldset>
<div class="actions"><button class="secondary" type="submit" name="decision" value="cancel" formnovalidate>Cancel</button><button class="primary" type="submit" name="decision" value="continue">Continue</button></div></form>`,
  };
}

export function devLoginPage(v: { externalAuthId: string; csrf: string; appName: string; loginHint: string | null }): PageView {
  return {
    title: 'Development login',
    body: `<h1>Development login</h1><p>Sign in to continue to <strong>${esc(v.appName)}</strong>.</p>
<p class="muted">This page stands in for your company's login (set PORTICO_LOGIN_URL). It trusts whatever you type and is served only for a loopback issuer or with PORTICO_DEV_LOGIN=on.</p>
<form method="post" action="/dev/login"><input type="hidden" name="external_auth_id" value="${esc(v.externalAuthId)}"><input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required autofocus${v.loginHint !== null ? ` value="${esc(v.loginHint)}"` : ''}>
<label for="first_name">First name (optional)</label><input id="first_name" name="first_name" autocomplete="given-name">
<label for="last_name">Last name (optional)</label><input id="last_name" name="last_name" autocomplete="family-name">
<div class="actions"><button class="primary" type="submit">Sign in</button></div></form>`,
  };
}

/** Asked when a sign-in would replace the browser's session of another user (issue #7). */
export function switchAccountPage(v: { state: string; csrf: string; appName: string; currentEmail: string; nextEmail: string }): PageView {
  return {
    title: `Continue as ${v.nextEmail}?`,
    body: `<h1>Continue as ${esc(v.nextEmail)}?</h1>
<p>This browser is signed in as <strong>${esc(v.currentEmail)}</strong>. Continuing signs you in to ${esc(v.appName)} as <strong>${esc(v.nextEmail)}</strong> and signs ${esc(v.currentEmail)} out.</p>
<p class="muted">If you did not just sign in as ${esc(v.nextEmail)}, someone may be trying to sign you in to their account: choose "Stay".</p>
<form method="post" action="/oauth2/authorize/complete">
<input type="hidden" name="state" value="${esc(v.state)}"><input type="hidden" name="csrf" value="${esc(v.csrf)}">
<div class="actions"><button class="secondary" type="submit" name="decision" value="stay">Stay as ${esc(v.currentEmail)}</button><button class="primary" type="submit" name="decision" value="switch">Continue as ${esc(v.nextEmail)}</button></div>
</form>`,
  };
}

/** RP-Initiated Logout: asked when the request does not prove it comes from the signed-in user's client. */
export function logoutPage(v: { email: string; csrf: string; hidden: Readonly<Record<string, string | undefined>> }): PageView {
  const fields = Object.entries(v.hidden)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, value]) => `<input type="hidden" name="${esc(k)}" value="${esc(value)}">`)
    .join('');
  return {
    title: 'Sign out?',
    body: `<h1>Sign out?</h1><p>You are signed in as <strong>${esc(v.email)}</strong>.</p>
<form method="post" action="/oauth2/logout">${fields}<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<div class="actions"><button class="secondary" type="submit" name="decision" value="stay">Stay signed in</button><button class="primary" type="submit" name="decision" value="signout">Sign out</button></div>
</form>`,
  };
}
