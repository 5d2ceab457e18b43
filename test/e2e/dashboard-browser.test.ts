// Issue #14: the dashboard in Debian's Chromium (playwright-core): an operator signs in, creates an
// organization, an M2M application and a client secret, copies the secret from the page and uses it at
// /oauth2/token, reloads (the secret is gone from the DOM and the response), goes Back to a left reveal page
// (no cached copy), deletes it (the token endpoint refuses it); CSRF refused without the token; a keyboard-only
// pass; edits and deletes an organization, edits an application, creates a first-party app, pages through a
// list (each checked through the management API); the brand on dashboard pages; axe-core and screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserSuiteOptions, chromiumPath, CHROMIUM_ARGS } from '../support/browser.ts';
import { startMetadataServer } from '../support/metadata-server.ts';
import { auditPage, cspViolations, writeAudits, type PageAudit } from '../support/page-audit.ts';
import { tokenRequest } from '../support/seed.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const STEP_TIMEOUT = 10_000;
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#0f766e"/><path d="M9 22V10h8a5 5 0 010 10h-4" stroke="#fff" stroke-width="3" fill="none"/></svg>';

describe('issue #14: the dashboard in Chromium', browserSuiteOptions(), () => {
  let server: TestServer;
  let assets: Awaited<ReturnType<typeof startMetadataServer>>;
  let browser: Browser;
  let logoUrl: string;
  const contexts: BrowserContext[] = [];
  const audits: PageAudit[] = [];
  const refused: string[] = [];

  before(async () => {
    assets = await startMetadataServer();
    logoUrl = assets.serve('/brand.svg', { body: LOGO, headers: { 'content-type': 'image/svg+xml' } });
    server = await startServer('sqlite', { env: { PORTICO_BRAND_NAME: 'Acme Notes', PORTICO_BRAND_PRIMARY_COLOR: '#0f766e', PORTICO_BRAND_LOGO_URL: logoUrl, PORTICO_BRAND_SUPPORT_URL: 'mailto:support@acme.example' } });
    for (const name of ['Globex', 'Umbrella', 'Soylent']) await api(server, '/organizations', { method: 'POST', body: { name, domain_data: [{ domain: `${name.toLowerCase()}.example`, state: 'verified' }] } });
    // The logo's https server has a certificate of its own; nothing else is fetched from outside.
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'] });
  });
  after(async () => {
    writeAudits('dashboard', audits);
    for (const c of contexts) await c.close();
    await browser?.close();
    await server?.close();
    await assets?.close();
  });

  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    context.setDefaultTimeout(STEP_TIMEOUT);
    contexts.push(context);
    const page = await context.newPage();
    cspViolations(page, refused);
    return page;
  };

  const signIn = async (page: Page) => {
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.locator('#api_key').fill(server.apiKey);
    await page.getByRole('button', { name: 'Sign in with API key' }).click();
    await page.waitForURL('**/dashboard/organizations');
  };

  it('issue #14: sign in, create an organization, an M2M app and a secret; the copied secret works at /oauth2/token; after a reload it is gone; once deleted it is refused', async () => {
    const page = await newPage();
    await page.goto(`${server.baseUrl}/dashboard`);
    assert.match(page.url(), /\/dashboard\/sign-in$/);
    await auditPage(page, 'dashboard-sign-in', audits);
    await page.locator('#api_key').fill(server.apiKey);
    await page.getByRole('button', { name: 'Sign in with API key' }).click();
    await page.waitForURL('**/dashboard/organizations');
    await auditPage(page, 'dashboard-organizations', audits);

    await page.getByRole('link', { name: 'New organization' }).click();
    await auditPage(page, 'dashboard-organization-new', audits);
    await page.getByLabel('Name').fill('Initech');
    await page.getByLabel('External ID (optional)').fill('initech');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.waitForURL(/\/dashboard\/organizations\/org_[0-9A-Z]{26}\?done=created$/);
    assert.match(await page.locator('main').innerText(), /Organization created\./);
    await auditPage(page, 'dashboard-organization', audits);

    await page.getByRole('link', { name: 'New application' }).click();
    await page.locator('#app-name').fill('Billing sync');
    await page.getByLabel('Machine-to-machine (M2M)').check();
    assert.equal(await page.getByLabel('Redirect URIs').isVisible(), false, 'the OAuth-only fields hide for an M2M app');
    assert.equal(await page.locator('#app-org').inputValue(), new URL(page.url()).searchParams.get('organization_id'), 'the organization it came from is chosen');
    await page.getByLabel('Scopes (optional)').fill('invoices:read invoices:write');
    await auditPage(page, 'dashboard-application-new', audits);
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.waitForURL(/\/dashboard\/applications\/conn_app_[0-9A-Z]{26}\?done=created$/);
    const appUrl = page.url().replace(/\?.*$/, '');
    const clientId = await page.locator('#client-id').innerText();
    assert.match(await page.locator('#secret-limit').innerText(), /0 of at most 5 secrets/);
    await auditPage(page, 'dashboard-application', audits);

    await page.getByRole('button', { name: 'Create client secret' }).click();
    await page.waitForURL('**/secrets/new');
    assert.match(await page.getByRole('alert').innerText(), /only time it is shown/);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    // The copy is asynchronous (navigator.clipboard.writeText): wait for the status the page announces, whichever it
    // is, then require the success one. Reading it at once raced the write and failed CI on a loaded machine.
    const status = page.locator('[data-copy-status]').last();
    await page.waitForFunction((el) => (el?.textContent ?? '') !== '', await status.elementHandle());
    assert.equal(await status.innerText(), 'Copied to the clipboard.');
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    assert.match(copied, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(copied, await page.locator('#new-secret').inputValue());
    await auditPage(page, 'dashboard-secret-new', audits);

    const token = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'invoices:read' }, { id: clientId, secret: copied });
    assert.equal(token.status, 200, await token.clone().text());

    const reloaded = await page.reload();
    assert.equal(reloaded?.headers()['cache-control'], 'no-store');
    assert.ok(!(await reloaded!.text()).includes(copied), 'the reloaded response does not carry the secret');
    assert.ok(!(await page.content()).includes(copied), 'nor does the DOM');
    assert.equal(await page.locator('#new-secret').count(), 0);
    assert.match(await page.locator('h1').innerText(), /no longer shown/);

    // Back to a reveal page after leaving it: a second secret, shown, then "Done"; Back returns to /secrets/new.
    // The reveal was no-store, so Chromium asks the server again (no HTTP or back/forward cache copy), and the
    // server has nothing left to show.
    await page.goto(appUrl);
    await page.getByRole('button', { name: 'Create client secret' }).click();
    await page.waitForURL('**/secrets/new');
    const second = await page.locator('#new-secret').inputValue();
    assert.match(second, /^[A-Za-z0-9_-]{43}$/);
    await page.getByRole('link', { name: 'Done: I have copied it' }).click();
    await page.waitForURL(appUrl);
    assert.ok(!(await page.content()).includes(second));
    await page.goBack();
    await page.waitForURL('**/secrets/new');
    await page.waitForLoadState();
    assert.ok(!(await page.content()).includes(second), 'going back shows no cached copy either');
    assert.equal(await page.locator('#new-secret').count(), 0);
    assert.match(await page.locator('h1').innerText(), /no longer shown/);

    await page.goto(appUrl);
    const row = page.locator('tbody tr', { hasText: copied.slice(-6) });
    assert.match(await row.innerText(), /just now/, 'last used, relative');
    await auditPage(page, 'dashboard-application-secrets', audits);
    await row.getByRole('link', { name: /Delete/ }).click();
    await auditPage(page, 'dashboard-secret-delete', audits);
    await page.getByRole('button', { name: 'Delete secret' }).click();
    await page.waitForURL(/done=secret_deleted/);
    assert.match(await page.locator('main').innerText(), /Client secret deleted/);
    const refusedToken = await tokenRequest(server, { grant_type: 'client_credentials' }, { id: clientId, secret: copied });
    assert.equal(refusedToken.status, 401);
  });

  it('issue #14: a form posted without its CSRF token is refused (403) and changes nothing', async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto(`${server.baseUrl}/dashboard/organizations/new`);
    await page.getByLabel('Name').fill('Forged Corp');
    await page.evaluate(`document.querySelector('main input[name="csrf"]').remove()`);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Create organization' }).click();
    assert.equal((await answer).status(), 403);
    await page.waitForLoadState();
    assert.match(await page.locator('h1').innerText(), /Request refused/);
    await auditPage(page, 'dashboard-error-403', audits);
    const found = (await (await api(server, '/organizations?search=Forged')).json()) as { data: unknown[] };
    assert.equal(found.data.length, 0);
  });

  it('issue #14: keyboard only: sign in, create an organization, an M2M application and a secret, copy it, sign out; focus is always visible', async () => {
    const page = await newPage();
    await page.goto(`${server.baseUrl}/dashboard/sign-in`);
    /**
     * Presses Tab until the focused element (`el` in the `matches` expression, run in the page)
     * matches; fails if that takes more than `max` presses or the focus ring is not drawn.
     */
    const tabTo = async (description: string, matches: string, max = 40) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate<boolean>(`((el) => ${matches})(document.activeElement)`)) {
          const ring = await page.evaluate<boolean>(`((s) => s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)(getComputedStyle(document.activeElement))`);
          assert.ok(ring, `focus on ${description} is visible`);
          return;
        }
      }
      assert.fail(`Tab never reached ${description}`);
    };
    const byText = (text: string) => `el.textContent.trim() === ${JSON.stringify(text)}`;
    const byId = (id: string) => `el.id === ${JSON.stringify(id)}`;

    assert.equal(await page.evaluate<string>('document.activeElement.id'), 'api_key', 'the sign-in page starts in the API key field');
    await page.keyboard.type(server.apiKey);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/dashboard/organizations');
    await tabTo('the skip link', byText('Skip to content'), 1);

    await tabTo('New organization', byText('New organization'));
    await page.keyboard.press('Enter');
    await page.waitForURL('**/organizations/new');
    await tabTo('the name field', byId('org-name'));
    await page.keyboard.type('Keyboard Ltd');
    await page.keyboard.press('Enter');
    await page.waitForURL(/done=created/);

    await tabTo('New application', byText('New application'));
    await page.keyboard.press('Enter');
    await page.waitForURL('**/applications/new**');
    await tabTo('the name field', byId('app-name'));
    await page.keyboard.type('Keyboard backend');
    await tabTo('the type radios', `el.getAttribute('name') === 'kind'`);
    assert.equal(await page.evaluate<string>('document.activeElement.value'), 'm2m', 'M2M is the type chosen by default');
    await tabTo('the create button', byText('Create application'));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/applications\/conn_app_.*done=created/);

    await tabTo('Create client secret', byText('Create client secret'));
    await page.keyboard.press('Enter');
    await page.waitForURL('**/secrets/new');
    await tabTo('the copy button', byText('Copy secret'));
    await page.keyboard.press('Enter');
    await page.locator('[data-copy-status]', { hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), await page.locator('#new-secret').inputValue());

    await tabTo('Sign out', byText('Sign out'));
    await page.keyboard.press('Enter');
    await page.waitForURL('**/dashboard/sign-in?signed_out=1');
    assert.match(await page.locator('main').innerText(), /You are signed out/);
  });

  it('issue #14: every other page: filtered lists, API keys (shown once, revoke), signing keys (rotate), events, confirmations, not found', async () => {
    const page = await newPage();
    await signIn(page);
    const orgs = (await (await api(server, '/organizations?search=Initech')).json()) as { data: { id: string }[] };
    const orgId = orgs.data[0]!.id;

    await page.goto(`${server.baseUrl}/dashboard/organizations?search=glob`);
    assert.match(await page.locator('tbody').innerText(), /Globex/);
    assert.doesNotMatch(await page.locator('tbody').innerText(), /Umbrella/);

    // Initech holds an OAuth app too, so the Type filter has something to leave out.
    const portal = await api(server, '/connect/applications', { method: 'POST', body: { name: 'Initech portal', application_type: 'oauth', is_first_party: false, organization_id: orgId, redirect_uris: [{ uri: 'https://initech.example/callback', default: true }] } });
    assert.equal(portal.status, 201, await portal.clone().text());
    await page.goto(`${server.baseUrl}/dashboard/applications`);
    await page.getByLabel('Organization').selectOption({ label: 'Initech' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((u) => u.searchParams.get('organization_id') === orgId && u.searchParams.get('application_type') === '');
    const initech = await page.locator('tbody').innerText();
    assert.match(initech, /Billing sync/);
    assert.match(initech, /Initech portal/, 'without the Type filter, the OAuth app is listed');
    assert.doesNotMatch(initech, /Keyboard backend/, "another organization's app is not");
    await page.getByLabel('Type').selectOption('m2m');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/application_type=m2m/);
    assert.match(await page.locator('tbody').innerText(), /Billing sync/);
    assert.doesNotMatch(await page.locator('tbody').innerText(), /Keyboard backend/);
    assert.doesNotMatch(await page.locator('tbody').innerText(), /Initech portal/, 'application_type=m2m leaves the OAuth app out');
    await auditPage(page, 'dashboard-applications', audits);
    // Gone again, so the organization's delete page below still counts its one application.
    assert.equal((await api(server, `/connect/applications/${((await portal.json()) as { id: string }).id}`, { method: 'DELETE' })).status, 204);

    await page.goto(`${server.baseUrl}/dashboard/applications/new`);
    await page.locator('#app-name').fill('Partner portal');
    await page.getByLabel('OAuth, third-party').check();
    await page.getByLabel('Redirect URIs').fill('http://partner.example/callback');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.locator('#form-errors').waitFor();
    assert.equal(await page.evaluate<string>('document.activeElement.id'), 'form-errors', 'focus moves to what to fix');
    const problems = await page.locator('#form-errors').innerText();
    assert.match(problems, /Choose the organization that owns this application/);
    assert.match(problems, /http is allowed only for localhost/);
    await auditPage(page, 'dashboard-application-invalid', audits);

    await page.goto(`${server.baseUrl}/dashboard/api-keys`);
    await page.getByLabel('Name').fill('billing backend');
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.waitForURL(/\/api-keys\/api_key_.*\/new$/);
    const key = await page.locator('#new-secret').inputValue();
    assert.equal((await fetch(`${server.baseUrl}/organizations`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
    await auditPage(page, 'dashboard-api-key-new', audits);
    await page.getByRole('link', { name: 'Done: I have copied it' }).click();
    await page.waitForURL('**/dashboard/api-keys');
    assert.ok(!(await page.content()).includes(key));
    await auditPage(page, 'dashboard-api-keys', audits);
    await page.locator('tbody tr', { hasText: 'billing backend' }).getByRole('link', { name: /Revoke/ }).click();
    await auditPage(page, 'dashboard-api-key-revoke', audits);
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.waitForURL(/done=revoked/);
    assert.equal((await fetch(`${server.baseUrl}/organizations`, { headers: { authorization: `Bearer ${key}` } })).status, 401);

    await page.goto(`${server.baseUrl}/dashboard/signing-keys`);
    const before = await page.locator('tbody tr').count();
    await page.getByRole('button', { name: 'Rotate signing key' }).click();
    await page.waitForURL(/rotated=/);
    assert.equal(await page.locator('tbody tr').count(), before + 1);
    assert.match(await page.locator('tbody').innerText(), /Published, signs soon/);
    await auditPage(page, 'dashboard-signing-keys', audits);

    await page.goto(`${server.baseUrl}/dashboard/events`);
    // Filtered by an event this test caused itself (the key revoked above), so it does not lean on the first test.
    await page.locator('#f-event').fill('api_key.revoked');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/events=api_key.revoked/);
    const rows = page.locator('tbody tr');
    assert.ok((await rows.count()) >= 1);
    for (const text of await rows.allInnerTexts()) assert.match(text, /api_key\.revoked/);
    assert.doesNotMatch(await page.locator('tbody').innerText(), /api_key\.created/, 'the filter leaves out other events');
    await auditPage(page, 'dashboard-events', audits);

    await page.goto(`${server.baseUrl}/dashboard/organizations/${orgId}/delete`);
    assert.match(await page.locator('main').innerText(), /and its 1 application/);
    await auditPage(page, 'dashboard-organization-delete', audits);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(`**/dashboard/organizations/${orgId}`);

    const app = (await (await api(server, `/connect/applications?organization_id=${orgId}`)).json()) as { data: { id: string }[] };
    await page.goto(`${server.baseUrl}/dashboard/applications/${app.data[0]!.id}/delete`);
    await auditPage(page, 'dashboard-application-delete', audits);
    await page.getByRole('button', { name: 'Delete application' }).click();
    await page.waitForURL(/done=deleted/);

    const missing = await page.goto(`${server.baseUrl}/dashboard/organizations/org_01NOTHERE0000000000000000`);
    assert.equal(missing?.status(), 404);
    await auditPage(page, 'dashboard-error-404', audits);
  });

  it('issue #14: edit an organization, delete one through its confirmation page, edit an application, create a first-party OAuth app, page through organizations; each checked through the API', async () => {
    const page = await newPage();
    await signIn(page);
    const json = async <T,>(path: string, init?: Parameters<typeof api>[2]) => {
      const res = await api(server, path, init);
      assert.ok(res.ok, `${path}: ${res.status} ${await res.clone().text()}`);
      return (await res.json()) as T;
    };

    // Edit an organization: its name and external ID, then an emptied external ID clears it.
    const hooli = await json<{ id: string }>('/organizations', { method: 'POST', body: { name: 'Hooli', external_id: 'hooli' } });
    await page.goto(`${server.baseUrl}/dashboard/organizations/${hooli.id}`);
    const edit = page.locator('section[aria-labelledby="edit"]');
    await edit.getByLabel('Name').fill('Hooli XYZ');
    await edit.getByLabel('External ID (optional)').fill('hooli-xyz');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`**/dashboard/organizations/${hooli.id}?done=updated`);
    assert.match(await page.locator('main').innerText(), /Organization saved\./);
    assert.equal(await page.locator('h1').innerText(), 'Hooli XYZ');
    const saved = await json<{ name: string; external_id: string | null }>(`/organizations/${hooli.id}`);
    assert.deepEqual({ name: saved.name, external_id: saved.external_id }, { name: 'Hooli XYZ', external_id: 'hooli-xyz' });
    await page.goto(`${server.baseUrl}/dashboard/organizations/${hooli.id}`);
    await edit.getByLabel('External ID (optional)').fill('');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`**/dashboard/organizations/${hooli.id}?done=updated`);
    assert.equal(await edit.getByLabel('External ID (optional)').inputValue(), '');
    const cleared = await json<{ name: string; external_id: string | null }>(`/organizations/${hooli.id}`);
    assert.deepEqual({ name: cleared.name, external_id: cleared.external_id }, { name: 'Hooli XYZ', external_id: null }, 'an emptied external ID clears it');

    // Delete it through its confirmation page: the organization and its application are gone.
    const hooliApp = await json<{ id: string }>('/connect/applications', { method: 'POST', body: { name: 'Hooli sync', application_type: 'm2m', organization_id: hooli.id } });
    await page.getByRole('link', { name: 'Delete organization' }).click();
    await page.waitForURL(`**/dashboard/organizations/${hooli.id}/delete`);
    assert.match(await page.locator('main').innerText(), /Delete Hooli XYZ\?[\s\S]*and its 1 application/);
    await page.getByRole('button', { name: 'Delete organization' }).click();
    await page.waitForURL('**/dashboard/organizations?done=deleted');
    assert.match(await page.locator('main').innerText(), /Organization deleted, with its applications/);
    assert.doesNotMatch(await page.locator('main').innerText(), /Hooli XYZ/);
    assert.equal((await api(server, `/organizations/${hooli.id}`)).status, 404, 'the organization is gone');
    assert.equal((await api(server, `/connect/applications/${hooliApp.id}`)).status, 404, 'and its application with it');

    // Edit an OAuth application's scopes and redirect URIs (the first line is the default).
    const piper = await json<{ id: string }>('/organizations', { method: 'POST', body: { name: 'Pied Piper' } });
    const partner = await json<{ id: string }>('/connect/applications', { method: 'POST', body: { name: 'Piper partner', application_type: 'oauth', is_first_party: false, organization_id: piper.id, scopes: ['files:read'], redirect_uris: [{ uri: 'https://piper.example/old', default: true }] } });
    await page.goto(`${server.baseUrl}/dashboard/applications/${partner.id}`);
    await page.locator('#app-scopes').fill('files:read files:write');
    await page.locator('#app-redirects').fill('https://piper.example/callback\nhttps://piper.example/callback2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`**/dashboard/applications/${partner.id}?done=updated`);
    assert.match(await page.locator('main').innerText(), /Application saved\./);
    assert.match(await page.locator('dl.facts').innerText(), /files:read files:write/);
    const edited = await json<{ scopes: string[]; redirect_uris: { uri: string; default: boolean }[] }>(`/connect/applications/${partner.id}`);
    assert.deepEqual(edited.scopes, ['files:read', 'files:write']);
    assert.deepEqual(
      [...edited.redirect_uris].sort((a, b) => a.uri.localeCompare(b.uri)),
      [
        { uri: 'https://piper.example/callback', default: true },
        { uri: 'https://piper.example/callback2', default: false },
      ],
    );

    // A first-party OAuth app: no organization, its redirect URI, no consent page.
    await page.goto(`${server.baseUrl}/dashboard/applications/new`);
    await page.locator('#app-name').fill('Notes web');
    await page.getByLabel('OAuth, first-party').check();
    await page.getByLabel('Redirect URIs').fill('https://notes.example/callback');
    await page.getByLabel('Scopes (optional)').fill('notes:read');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.waitForURL(/\/dashboard\/applications\/conn_app_[0-9A-Z]{26}\?done=created$/);
    assert.match(await page.locator('dl.facts').innerText(), /OAuth, first-party/);
    const firstParty = await json<{ application_type: string; is_first_party: boolean; organization_id: string | null; scopes: string[]; redirect_uris: { uri: string; default: boolean }[] }>(`/connect/applications/${new URL(page.url()).pathname.split('/').at(-1)}`);
    assert.deepEqual(
      { type: firstParty.application_type, firstParty: firstParty.is_first_party, org: firstParty.organization_id ?? null, scopes: firstParty.scopes, redirects: firstParty.redirect_uris },
      { type: 'oauth', firstParty: true, org: null, scopes: ['notes:read'], redirects: [{ uri: 'https://notes.example/callback', default: true }] },
    );

    // The organizations list shows 20 a page: 45 matching the search make pages of 20, 20 and 5; Next twice, then
    // Previous comes back to the second page (a third page, so Previous must follow its cursor, not just start over).
    const names = Array.from({ length: 45 }, (_, i) => `Pager Co ${String(i + 1).padStart(2, '0')}`);
    for (const name of names) await json('/organizations', { method: 'POST', body: { name } });
    await page.goto(`${server.baseUrl}/dashboard/organizations`);
    await page.getByLabel('Search by name').fill('Pager Co');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((u) => u.searchParams.get('search') === 'Pager Co');
    const shown = () => page.locator('tbody tr td:first-child').allInnerTexts();
    const pages = [await shown()];
    assert.equal(pages[0]!.length, 20, 'a page holds 20 organizations');
    assert.equal(await page.getByRole('link', { name: /Previous page/ }).count(), 0, 'the first page has no previous page');
    for (let n = 2; n <= 3; n++) {
      const at = page.url();
      await page.getByRole('link', { name: /Next page/ }).click();
      await page.waitForURL((u) => u.href !== at && u.searchParams.has('after') && u.searchParams.get('search') === 'Pager Co');
      pages.push(await shown());
    }
    assert.deepEqual(pages.map((p) => p.length), [20, 20, 5]);
    assert.deepEqual(pages.flat().sort(), names, 'the pages hold each organization once, and only those the search matches');
    assert.equal(await page.getByRole('link', { name: /Next page/ }).count(), 0, 'the last page has no next page');
    await page.getByRole('link', { name: /Previous page/ }).click();
    await page.waitForURL((u) => u.searchParams.has('before') && u.searchParams.get('search') === 'Pager Co');
    assert.deepEqual(await shown(), pages[1], 'Previous page comes back to the second page');
  });

  it('issue #14: the dashboard carries the brand (PORTICO_BRAND_*): name and logo in its header, its title, the primary colour, the support link; signed out and signed in', async () => {
    const page = await newPage();
    const brandChecks = async (primaryButton: string) => {
      const mark = page.locator('header.topbar a.brand');
      assert.match(await mark.innerText(), /^Acme Notes\s+Dashboard$/);
      assert.equal(await mark.getAttribute('href'), '/dashboard');
      const logo = mark.locator('img');
      assert.equal(await logo.count(), 1, 'the brand logo is in the header');
      assert.equal(await logo.getAttribute('src'), logoUrl);
      // The logo's load is the browser's, after the page: wait for it to finish, whichever way, then require it loaded.
      await page.waitForFunction((img) => (img as unknown as { complete: boolean }).complete, await logo.elementHandle());
      assert.ok(await logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), 'the brand logo loads (the CSP allows its origin)');
      assert.match(await page.title(), / · Acme Notes dashboard$/);
      const support = page.locator('footer').getByRole('link', { name: 'Contact support' });
      assert.equal(await support.count(), 1, 'the footer links to support');
      assert.equal(await support.getAttribute('href'), 'mailto:support@acme.example');
      const css = (selector: string, property: string) => page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)}))[${JSON.stringify(property)}]`);
      const colours = { bar: await css('header.topbar', 'borderBottomColor'), button: await css(primaryButton, 'backgroundColor'), text: await css(primaryButton, 'color') };
      assert.deepEqual(colours, { bar: 'rgb(15, 118, 110)', button: 'rgb(15, 118, 110)', text: 'rgb(255, 255, 255)' }, 'the brand colour #0f766e, white text on it');
    };
    await page.goto(`${server.baseUrl}/dashboard/sign-in`);
    await brandChecks('main button.primary');
    await signIn(page);
    await brandChecks('main a.button.primary');
  });

  it('issue #14: the CSP refused nothing any dashboard page needs (no inline script or style anywhere)', () => {
    assert.deepEqual(refused, []);
  });
});
