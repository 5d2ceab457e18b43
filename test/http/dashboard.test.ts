// Issue #14: the operators' dashboard over real HTTP: sign-in with an API key, the session cookie's
// attributes, CSRF on every write, the page headers (CSP, framing, no-store), session expiry and
// sign-out, the client secret shown exactly once, and the API's validation messages in the forms.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { csrfOf, DashboardBrowser, revealedValue } from '../support/dashboard.ts';
import { dialectSuite, DIALECTS } from '../support/databases.ts';
import { tokenRequest } from '../support/seed.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

/** A clock the test moves. */
function manualClock(start: Date) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

const idIn = (location: string | null, prefix: string) => {
  const m = new RegExp(`/dashboard/${prefix}/([^/?]+)`).exec(location ?? '');
  assert.ok(m, `no ${prefix} id in ${location}`);
  return m[1]!;
};

for (const dialect of DIALECTS) {
  describe(`issue #14: dashboard over HTTP (${dialect})`, dialectSuite(dialect), () => {
    let server: TestServer;
    const clock = manualClock(new Date());
    before(async () => {
      server = await startServer(dialect, { clock });
    });
    after(async () => {
      await server.close();
    });

    it('issue #14: /dashboard sends a stranger to sign-in; every page is no-store, unframeable, and its CSP has no unsafe-inline', async () => {
      const b = new DashboardBrowser(server);
      const root = await b.get('/dashboard');
      assert.equal(root.status, 303);
      assert.equal(root.location, '/dashboard/sign-in');
      assert.equal((await b.get('/dashboard/organizations')).location, '/dashboard/sign-in');
      const page = await b.get('/dashboard/sign-in');
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('cache-control'), 'no-store');
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      // Chromium sends `Origin: null` with a form POST from a no-referrer page; the Origin check needs the real one.
      assert.equal(page.headers.get('referrer-policy'), 'same-origin');
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /form-action 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.doesNotMatch(page.html, /<script>|<style|style="/, 'no inline script or style');
      const signInCookie = page.headers.getSetCookie().find((c) => c.startsWith('portico_dashboard_signin='));
      assert.match(signInCookie ?? '', /HttpOnly; SameSite=Strict/);
    });

    it('issue #14: a wrong API key is refused on the page (401, nothing set); the right one gets an HttpOnly, SameSite=Strict session of 8 hours', async () => {
      const b = new DashboardBrowser(server);
      const page = await b.get('/dashboard/sign-in');
      const wrong = await b.post('/dashboard/sign-in', { csrf: csrfOf(page.html), method: 'api_key', api_key: `sk_${'x'.repeat(40)}` });
      assert.equal(wrong.status, 401);
      assert.match(wrong.html, /That API key is not valid/);
      assert.ok(!b.cookies.has('portico_dashboard'));

      const ok = await b.post('/dashboard/sign-in', { csrf: csrfOf(page.html), method: 'api_key', api_key: server.apiKey });
      assert.equal(ok.status, 303);
      const session = ok.headers.getSetCookie().find((c) => c.startsWith('portico_dashboard='));
      assert.match(session ?? '', /^portico_dashboard=sk_[A-Za-z0-9_-]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
      const orgs = await b.get('/dashboard/organizations');
      assert.equal(orgs.status, 200);
      assert.match(orgs.html, /<h1>Organizations<\/h1>/);
      assert.ok(!orgs.html.includes(server.apiKey), 'the API key used to sign in is never on a page');

      // The session's own key cannot start another session (a stolen cookie must not outlive 8 hours).
      const other = new DashboardBrowser(server);
      const form = await other.get('/dashboard/sign-in');
      const again = await other.post('/dashboard/sign-in', { csrf: csrfOf(form.html), method: 'api_key', api_key: b.cookies.get('portico_dashboard')! });
      assert.equal(again.status, 401);
    });

    it('issue #14: the sign-in form itself needs its CSRF token; a write without the session token, or from another origin, is 403 and changes nothing', async () => {
      const stranger = new DashboardBrowser(server);
      await stranger.get('/dashboard/sign-in');
      const forged = await stranger.post('/dashboard/sign-in', { method: 'api_key', api_key: server.apiKey });
      assert.equal(forged.status, 403);
      assert.ok(!stranger.cookies.has('portico_dashboard'));

      const b = new DashboardBrowser(server);
      await b.signIn();
      const csrf = await b.csrf();
      const name = `CSRF probe ${dialect}`;
      const without = await b.post('/dashboard/organizations', { name });
      assert.equal(without.status, 403);
      assert.match(without.html, /Request refused/);
      const wrongToken = await b.post('/dashboard/organizations', { name, csrf: `${csrf.slice(0, -2)}xx` });
      assert.equal(wrongToken.status, 403);
      const crossSite = await b.post('/dashboard/organizations', { name, csrf }, { origin: 'https://evil.example' });
      assert.equal(crossSite.status, 403);
      // An opaque origin (a sandboxed frame, a data: URL) is not Portico's either.
      assert.equal((await b.post('/dashboard/organizations', { name, csrf }, { origin: 'null' })).status, 403);
      // Another session's token is not this session's.
      const other = new DashboardBrowser(server);
      await other.signIn();
      assert.equal((await other.post('/dashboard/organizations', { name, csrf })).status, 403);
      const found = (await (await api(server, `/organizations?search=${encodeURIComponent(name)}`)).json()) as { data: unknown[] };
      assert.equal(found.data.length, 0, 'no refused write created anything');

      const sameOrigin = await b.post('/dashboard/organizations', { name, csrf }, { origin: server.baseUrl });
      assert.equal(sameOrigin.status, 303);
    });

    it('issue #14: create an M2M app and a secret: shown once (no-store), it works at /oauth2/token, a reload shows nothing; deleting it makes the token endpoint refuse it', async () => {
      const b = new DashboardBrowser(server);
      await b.signIn();
      const csrf = await b.csrf();
      const org = await b.post('/dashboard/organizations', { csrf, name: `Initech ${dialect}`, external_id: '' });
      const orgId = idIn(org.location, 'organizations');
      const app = await b.post('/dashboard/applications', { csrf, name: 'Billing sync', kind: 'm2m', organization_id: orgId, scopes: 'invoices:read', description: '' });
      assert.equal(app.status, 303, app.html.slice(0, 500));
      const appId = idIn(app.location, 'applications');
      const detail = await b.get(`/dashboard/applications/${appId}`);
      const clientId = /id="client-id">([^<]+)</.exec(detail.html)?.[1];
      assert.ok(clientId?.startsWith('client_'));
      assert.match(detail.html, /0 of at most 5 secrets/);

      const created = await b.post(`/dashboard/applications/${appId}/secrets`, { csrf });
      assert.equal(created.status, 303);
      assert.equal(created.location, `/dashboard/applications/${appId}/secrets/new`);
      assert.ok(!created.html.includes('secret'), 'the redirect carries no secret in its body');
      const reveal = await b.get(created.location!);
      assert.equal(reveal.status, 200);
      assert.equal(reveal.headers.get('cache-control'), 'no-store');
      const secret = revealedValue(reveal.html);
      assert.match(secret ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.match(reveal.html, /only time it is shown/);

      const token = await tokenRequest(server, { grant_type: 'client_credentials' }, { id: clientId!, secret: secret! });
      assert.equal(token.status, 200);

      const reload = await b.get(created.location!);
      assert.equal(reload.status, 200);
      assert.equal(revealedValue(reload.html), null);
      assert.ok(!reload.html.includes(secret!), 'a reload never shows the secret again');
      assert.match(reload.html, /no longer shown/);
      const after = await b.get(`/dashboard/applications/${appId}`);
      assert.ok(!after.html.includes(secret!), 'the application page never shows it');
      assert.match(after.html, new RegExp(`…${secret!.slice(-6)}`), 'the list shows its hint');
      assert.match(after.html, /1 of at most 5 secrets/);
      assert.match(after.html, /<time datetime="[^"]+" title="[^"]+">just now<\/time>/, 'last used, in relative time');

      const secretId = /secrets\/(secret_[A-Z0-9]+)\/delete/.exec(after.html)?.[1];
      assert.ok(secretId);
      const confirm = await b.get(`/dashboard/applications/${appId}/secrets/${secretId}/delete`);
      assert.match(confirm.html, /Delete secret …/);
      assert.equal((await tokenRequest(server, { grant_type: 'client_credentials' }, { id: clientId!, secret: secret! })).status, 200, 'the confirmation page deletes nothing');
      const deleted = await b.post(`/dashboard/applications/${appId}/secrets/${secretId}/delete`, { csrf });
      assert.equal(deleted.status, 303);
      const refused = await tokenRequest(server, { grant_type: 'client_credentials' }, { id: clientId!, secret: secret! });
      assert.equal(refused.status, 401);
    });

    it('issue #14: the sixth secret is explained in place and refused; the API says why on a forced post', async () => {
      const b = new DashboardBrowser(server);
      await b.signIn();
      const csrf = await b.csrf();
      const org = idIn((await b.post('/dashboard/organizations', { csrf, name: `Limits ${dialect}` })).location, 'organizations');
      const appId = idIn((await b.post('/dashboard/applications', { csrf, name: 'Five', kind: 'm2m', organization_id: org })).location, 'applications');
      for (let i = 0; i < 5; i++) assert.equal((await b.post(`/dashboard/applications/${appId}/secrets`, { csrf })).status, 303);
      const page = await b.get(`/dashboard/applications/${appId}`);
      assert.match(page.html, /5 of 5 secrets, the most it can have/);
      assert.match(page.html, /<button class="primary" type="submit" disabled aria-describedby="secret-limit">Create client secret/);
      const sixth = await b.post(`/dashboard/applications/${appId}/secrets`, { csrf });
      assert.equal(sixth.status, 422);
      assert.match(sixth.html, /at most 5 client secrets/);
    });

    it('issue #14: a refused form shows the API\'s validation messages next to the fields, with what was typed', async () => {
      const b = new DashboardBrowser(server);
      await b.signIn();
      const csrf = await b.csrf();
      const res = await b.post('/dashboard/applications', { csrf, name: 'Needs an org', kind: 'oauth_third_party', organization_id: '', redirect_uris: 'http://example.com/cb\njavascript:alert(1)', scopes: '' });
      assert.equal(res.status, 422);
      assert.match(res.html, /id="form-errors"/);
      assert.match(res.html, /Choose the organization that owns this application\./);
      assert.match(res.html, /http is allowed only for localhost|That scheme cannot be a redirect URI/);
      assert.match(res.html, /value="Needs an org"/, 'what was typed comes back');
      assert.match(res.html, /aria-invalid="true"/);
      const empty = await b.post('/dashboard/organizations', { csrf, name: '' });
      assert.equal(empty.status, 422);
      assert.match(empty.html, /<a href="#org-name">/);
    });

    it('issue #14: unknown objects are a 404 page, never a 5xx; a stale cursor or odd query is harmless', async () => {
      const b = new DashboardBrowser(server);
      await b.signIn();
      for (const path of ['/dashboard/organizations/org_01NOPE', '/dashboard/applications/conn_app_01NOPE', '/dashboard/applications/%00/delete', '/dashboard/api-keys/sk_nope/revoke']) {
        const res = await b.get(path);
        assert.equal(res.status, 404, path);
        assert.match(res.html, /Back to the dashboard/);
      }
      const odd = await b.get('/dashboard/organizations?search=%3Cscript%3E&after=zzz&before=');
      assert.ok(odd.status < 500, String(odd.status));
      assert.ok(!odd.html.includes('<script>'), 'the search is escaped');
      assert.ok((await b.get('/dashboard/events?from=2020-13-45&to=x&organization_id=nope')).status < 500);
    });

    it('issue #14: sign-out revokes the session key everywhere; a session ends by itself after 8 hours', async () => {
      const b = new DashboardBrowser(server);
      await b.signIn();
      const key = b.cookies.get('portico_dashboard')!;
      const out = await b.post('/dashboard/sign-out', { csrf: await b.csrf() });
      assert.equal(out.status, 303);
      assert.equal(out.location, '/dashboard/sign-in?signed_out=1');
      assert.ok(!b.cookies.has('portico_dashboard'));
      const withOldKey = await fetch(`${server.baseUrl}/organizations`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(withOldKey.status, 401, 'the session key no longer works at the API');
      b.cookies.set('portico_dashboard', key);
      assert.equal((await b.get('/dashboard/organizations')).location, '/dashboard/sign-in');

      const later = new DashboardBrowser(server);
      await later.signIn();
      clock.advance(8 * 60 * 60_000 - 60_000);
      assert.equal((await later.get('/dashboard/organizations')).status, 200);
      clock.advance(2 * 60_000);
      const expired = await later.get('/dashboard/organizations');
      assert.equal(expired.status, 303);
      assert.equal(expired.location, '/dashboard/sign-in');
      const post = await later.post('/dashboard/organizations', { csrf: 'x', name: 'late' });
      assert.equal(post.status, 303, 'a write from an ended session goes back to sign-in');
      assert.equal(post.location, '/dashboard/sign-in?ended=1');
    });

    it('issue #14: ten wrong API keys a minute from one address, then the sign-in page answers 429 even for the right one', async () => {
      const b = new DashboardBrowser(server);
      const csrf = csrfOf((await b.get('/dashboard/sign-in')).html);
      clock.advance(5 * 60_000);
      for (let i = 0; i < 10; i++) assert.equal((await b.post('/dashboard/sign-in', { csrf, method: 'api_key', api_key: `sk_${'w'.repeat(40)}${i}` })).status, 401);
      const limited = await b.post('/dashboard/sign-in', { csrf, method: 'api_key', api_key: server.apiKey });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '60');
      clock.advance(61_000);
      assert.equal((await b.post('/dashboard/sign-in', { csrf, method: 'api_key', api_key: server.apiKey })).status, 303);
    });
  });
}
