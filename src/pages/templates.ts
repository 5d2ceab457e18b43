import type { ConsentOption } from '../domain/user.ts';
import { esc, layout } from './html.ts';

/** Plain-language descriptions of the OIDC scopes; app scopes show as their slug. A Map: a scope may be called "constructor". */
const SCOPE_TEXT = new Map([
  ['openid', 'Sign you in with your account'],
  ['profile', 'See your name'],
  ['email', 'See your email address'],
  ['offline_access', 'Stay signed in (keep access when you are not using it)'],
]);

export interface ConsentView {
  readonly interactionId: string;
  readonly csrf: string;
  readonly appName: string;
  readonly redirectHost: string;
  readonly scopes: readonly string[];
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

export function consentPage(v: ConsentView): string {
  const scopes = v.scopes
    .map((s) => {
      const text = SCOPE_TEXT.get(s);
      return `<li>${esc(text ?? s)}${text === undefined ? ` <span class="muted">(${esc(s)})</span>` : ''}</li>`;
    })
    .join('');
  const options = v.consentOptions
    .map(
      (o, i) =>
        `<label for="opt${i}">${esc(o.label)}</label><select id="opt${i}" name="claim:${esc(o.claim)}" required>${o.choices
          .map((c) => `<option value="${esc(c.value)}">${esc(c.label)}</option>`)
          .join('')}</select>`,
    )
    .join('');
  const device = v.deviceUserCode;
  const heading = device !== null ? `Sign in to ${esc(v.appName)} on a device?` : v.optionsOnly ? `Continue to ${esc(v.appName)}` : `${esc(v.appName)} wants to access your account`;
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
        : '<p class="muted">This application registered itself with this server: its name has not been verified.</p>';
  const body = `<h1>${heading}</h1>
${provenance}
<p class="muted">Signed in as ${esc(v.userEmail)}${v.organizationName ? ` · ${esc(v.organizationName)}` : ''}</p>
${v.optionsOnly ? '' : `<p>It will be able to:</p><ul>${scopes}</ul>`}
${where}
<form method="post" action="/oauth2/authorize/consent">
<input type="hidden" name="interaction" value="${esc(v.interactionId)}"><input type="hidden" name="csrf" value="${esc(v.csrf)}">
${options}
<div class="actions"><button class="secondary" type="submit" name="decision" value="deny">${device !== null ? 'Deny' : 'Cancel'}</button><button class="primary" type="submit" name="decision" value="allow">Allow</button></div>
</form>`;
  return layout(`Authorize ${v.appName}`, body);
}

export function organizationPage(v: { interactionId: string; csrf: string; appName: string; organizations: readonly { id: string; name: string }[] }): string {
  const choices = v.organizations.map((o) => `<option value="${esc(o.id)}">${esc(o.name)}</option>`).join('');
  return layout(
    'Choose an organization',
    `<h1>Choose an organization</h1><p>Which organization should ${esc(v.appName)} act for?</p>
<form method="post" action="/oauth2/authorize/organization">
<input type="hidden" name="interaction" value="${esc(v.interactionId)}"><input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="org">Organization</label><select id="org" name="organization_id" required>${choices}</select>
<div class="actions"><button class="primary" type="submit">Continue</button></div></form>`,
  );
}

export function devLoginPage(v: { externalAuthId: string; csrf: string; appName: string; loginHint: string | null }): string {
  return layout(
    'Development login',
    `<h1>Development login</h1><p>Sign in to continue to <strong>${esc(v.appName)}</strong>.</p>
<p class="muted">This page stands in for your company's login (set PORTICO_LOGIN_URL). It trusts whatever you type and is served only for a loopback issuer or with PORTICO_DEV_LOGIN=on.</p>
<form method="post" action="/dev/login"><input type="hidden" name="external_auth_id" value="${esc(v.externalAuthId)}"><input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required autofocus${v.loginHint !== null ? ` value="${esc(v.loginHint)}"` : ''}>
<label for="first_name">First name (optional)</label><input id="first_name" name="first_name" autocomplete="given-name">
<label for="last_name">Last name (optional)</label><input id="last_name" name="last_name" autocomplete="family-name">
<div class="actions"><button class="primary" type="submit">Sign in</button></div></form>`,
  );
}

/** Asked when a sign-in would replace the browser's session of another user (issue #7). */
export function switchAccountPage(v: { state: string; csrf: string; appName: string; currentEmail: string; nextEmail: string }): string {
  return layout(
    `Continue as ${v.nextEmail}?`,
    `<h1>Continue as ${esc(v.nextEmail)}?</h1>
<p>This browser is signed in as <strong>${esc(v.currentEmail)}</strong>. Continuing signs you in to ${esc(v.appName)} as <strong>${esc(v.nextEmail)}</strong> and signs ${esc(v.currentEmail)} out.</p>
<p class="muted">If you did not just sign in as ${esc(v.nextEmail)}, someone may be trying to sign you in to their account: choose "Stay".</p>
<form method="post" action="/oauth2/authorize/complete">
<input type="hidden" name="state" value="${esc(v.state)}"><input type="hidden" name="csrf" value="${esc(v.csrf)}">
<div class="actions"><button class="secondary" type="submit" name="decision" value="stay">Stay as ${esc(v.currentEmail)}</button><button class="primary" type="submit" name="decision" value="switch">Continue as ${esc(v.nextEmail)}</button></div>
</form>`,
  );
}

/** RP-Initiated Logout: asked when the request does not prove it comes from the signed-in user's client. */
export function logoutPage(v: { email: string; csrf: string; hidden: Readonly<Record<string, string | undefined>> }): string {
  const hidden = Object.entries(v.hidden)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, value]) => `<input type="hidden" name="${esc(k)}" value="${esc(value)}">`)
    .join('');
  return layout(
    'Sign out?',
    `<h1>Sign out?</h1><p>You are signed in as <strong>${esc(v.email)}</strong>.</p>
<form method="post" action="/oauth2/logout">${hidden}<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<div class="actions"><button class="secondary" type="submit" name="decision" value="stay">Stay signed in</button><button class="primary" type="submit" name="decision" value="signout">Sign out</button></div>
</form>`,
  );
}
