import { esc, type PageView } from './html.ts';

/**
 * `/device` (RFC 8628 §3.3): where the user types the code their device
 * shows, or confirms the one `verification_uri_complete` filled in. Nothing
 * is submitted on the user's behalf: the page has no script, and a prefilled
 * code still takes a click (§5.4, so a link alone approves nothing).
 */
export function deviceEntryPage(v: { csrf: string; userCode: string | null; message: string | null }): PageView {
  const value = v.userCode === null ? '' : ` value="${esc(v.userCode)}"`;
  const invalid = v.message === null ? '' : ' aria-invalid="true" aria-describedby="user_code_error"';
  return {
    title: 'Sign in on your device',
    body: `<h1>Sign in on your device</h1>
<p>Enter the code shown on your device (a CLI, a TV, an app without a browser).</p>
<form method="post" action="/device"><input type="hidden" name="csrf" value="${esc(v.csrf)}">
<label for="user_code">Code</label><input id="user_code" name="user_code" class="code-input" placeholder="XXXX-XXXX" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" maxlength="20" required autofocus${value}${invalid}>
${v.message === null ? '' : `<p class="field-error" id="user_code_error" role="alert">${esc(v.message)}</p>`}
<div class="actions"><button class="primary" type="submit">Continue</button></div></form>
<p class="muted">Next you sign in, then confirm that the code matches your device.</p>`,
  };
}

/** The end of a device sign-in: what happened, and what to do next. */
export function deviceDonePage(approved: boolean): PageView {
  return approved
    ? { title: 'You are signed in', body: '<h1>You are signed in</h1><p>You can return to your device: it finishes signing in by itself, and you can close this window.</p>' }
    : { title: 'Access denied', body: '<h1>Access denied</h1><p>The device was not signed in. If you did not mean to deny it, start again on your device.</p>' };
}
