import { csrfInput, esc, notice } from './html.ts';
import type { DashboardView } from './layout.ts';

/** The sign-in page: an API key, or the dashboard password when one was set (`portico dashboard set-password`). */
export function signInPage(v: { csrf: string; passwordSet: boolean; message: { readonly text: string; readonly error: boolean } | null }): DashboardView {
  const message = v.message === null ? '' : v.message.error ? notice('error', esc(v.message.text), 'alert') : notice('ok', esc(v.message.text));
  const password = v.passwordSet
    ? `<section class="panel" aria-labelledby="with-password"><h2 id="with-password">With the dashboard password</h2>
<form method="post" action="/dashboard/sign-in">${csrfInput(v.csrf)}<input type="hidden" name="method" value="password">
<label for="password">Dashboard password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button class="primary" type="submit">Sign in with password</button></div></form></section>`
    : '';
  return {
    title: 'Sign in',
    section: null,
    body: `<div class="form-narrow"><h1>Sign in to the dashboard</h1>${message}
<section class="panel" aria-labelledby="with-key"><h2 id="with-key">With an API key</h2>
<form method="post" action="/dashboard/sign-in">${csrfInput(v.csrf)}<input type="hidden" name="method" value="api_key">
<label for="api_key">API key<span class="hint" id="api_key-hint">A management API key (sk_…), from <code>portico api-keys create</code> or the first start's output. It is checked, never stored: the session gets a key of its own that expires in 8 hours.</span></label>
<input type="password" id="api_key" name="api_key" autocomplete="off" spellcheck="false" required aria-describedby="api_key-hint"${v.passwordSet ? '' : ' autofocus'}>
<div class="actions"><button class="primary" type="submit">Sign in with API key</button></div></form></section>
${password}
${v.passwordSet ? '' : '<p class="muted">To sign in with a password instead, set one on the server: <code>portico dashboard set-password</code>.</p>'}</div>`,
  };
}
