// Issue #14: the pages an end user sees, branded (PORTICO_BRAND_*), in Debian's Chromium: the login, the
// consent page with the app's logo and links and the configured scope descriptions, "Signed in as … — not
// you?" restarting the flow, the organization chooser with Cancel, the device pages and an error page;
// axe-core and screenshots at 1280 and 390 px of each.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserSuiteOptions, chromiumPath, CHROMIUM_ARGS } from '../support/browser.ts';
import { startMetadataServer } from '../support/metadata-server.ts';
import { auditPage, cspViolations, writeAudits, type PageAudit } from '../support/page-audit.ts';
import { api, startServer, type TestServer } from '../support/server.ts';

const STEP_TIMEOUT = 10_000;
const BRAND_LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#b45309"/><circle cx="16" cy="16" r="7" fill="#fff"/></svg>';
const APP_LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 56 56"><rect width="56" height="56" rx="12" fill="#4338ca"/><path d="M16 38V18l12 12 12-12v20" stroke="#fff" stroke-width="4" fill="none"/></svg>';
const SCOPES = { 'notes:read': 'Read your notes', 'notes:write': 'Create and change your notes' };

describe('issue #14: branded sign-in pages in Chromium', browserSuiteOptions(), () => {
  let server: TestServer;
  let assets: Awaited<ReturnType<typeof startMetadataServer>>;
  let callback: Server;
  let redirectUri: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let clientId: string;
  let appLogo: string;
  const audits: PageAudit[] = [];
  const refused: string[] = [];

  before(async () => {
    assets = await startMetadataServer();
    const brandLogo = assets.serve('/brand.svg', { body: BRAND_LOGO, headers: { 'content-type': 'image/svg+xml' } });
    // Another origin than the brand logo's (localhost, not 127.0.0.1): the consent page's CSP must allow it on its own.
    appLogo = assets.serve('/notes-app.svg', { body: APP_LOGO, headers: { 'content-type': 'image/svg+xml' } }).replace('https://127.0.0.1:', 'https://localhost:');
    server = await startServer('sqlite', {
      env: {
        PORTICO_BRAND_NAME: 'Acme Notes',
        PORTICO_BRAND_PRIMARY_COLOR: '#f59e0b', // a light amber: the palette must still give readable text
        PORTICO_BRAND_LOGO_URL: brandLogo,
        PORTICO_BRAND_SUPPORT_URL: 'https://help.acme.example/sign-in',
        PORTICO_SCOPE_DESCRIPTIONS: JSON.stringify(SCOPES),
        PORTICO_DYNAMIC_CLIENT_REGISTRATION: 'on',
        PORTICO_DYNAMIC_CLIENT_SCOPES: 'notes:read notes:write',
      },
    });
    callback = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`callback ${req.url}`));
    await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
    redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
    const registered = await fetch(`${server.baseUrl}/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Notes Sync',
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: 'openid email notes:read notes:write',
        logo_uri: appLogo,
        client_uri: 'https://notes-sync.example/',
        tos_uri: 'https://notes-sync.example/terms',
        policy_uri: 'https://notes-sync.example/privacy',
      }),
    });
    assert.equal(registered.status, 201, await registered.clone().text());
    clientId = ((await registered.json()) as { client_id: string }).client_id;
    // The two logos come from an https server with a certificate of its own; nothing is fetched from outside.
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(STEP_TIMEOUT);
    page = await context.newPage();
    cspViolations(page, refused);
  });
  after(async () => {
    writeAudits('sign-in-pages', audits);
    await context?.close();
    await browser?.close();
    await server?.close();
    await assets?.close();
    callback?.close();
  });

  /** A fresh PKCE authorization request of the registered client; returns the verifier for the exchange. */
  const authorize = async (scope = 'openid email notes:read notes:write') => {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${server.baseUrl}/oauth2/authorize`);
    const params = { client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope, state: randomBytes(8).toString('hex'), code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    await page.goto(url.toString());
    return { verifier, state: params.state };
  };
  const devLogin = async (email: string) => {
    await page.waitForURL((u) => u.pathname === '/dev/login');
    await page.locator('#email').fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const brandChecks = async () => {
    const header = page.locator('header.brand-bar');
    assert.equal(await header.innerText(), 'Acme Notes');
    assert.ok(await header.locator('img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), 'the brand logo loads');
    assert.equal(await page.getByRole('link', { name: 'Contact support' }).getAttribute('href'), 'https://help.acme.example/sign-in');
    assert.match(await page.title(), / · Acme Notes$/);
  };

  it('issue #14: consent shows the brand, the app\'s logo, website, terms and privacy links, and the configured scope descriptions, each once', async () => {
    await authorize();
    await page.waitForURL((u) => u.pathname === '/dev/login');
    await brandChecks();
    await auditPage(page, 'login', audits);
    await devLogin('ada@example.test');
    await page.waitForURL((u) => u.pathname === '/oauth2/authorize/consent');
    await brandChecks();
    const main = page.locator('main');
    assert.equal(await main.locator('h1').innerText(), 'Notes Sync wants to access your account');
    const logo = main.locator('img.app-logo');
    assert.equal(await logo.getAttribute('src'), appLogo);
    assert.ok(await logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), "the app's logo loads under the page's CSP");
    const links = main.locator('ul.app-links a');
    assert.deepEqual(await links.evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')])), [
      ['Website of Notes Sync (opens in a new tab)', 'https://notes-sync.example/', 'noopener noreferrer'],
      ['Terms of service of Notes Sync (opens in a new tab)', 'https://notes-sync.example/terms', 'noopener noreferrer'],
      ['Privacy policy of Notes Sync (opens in a new tab)', 'https://notes-sync.example/privacy', 'noopener noreferrer'],
    ]);
    const scopes = await main.locator('ul.scopes li').allInnerTexts();
    assert.deepEqual(scopes, ['Sign you in with your account', 'See your email address', 'Read your notes', 'Create and change your notes']);
    const text = await main.innerText();
    assert.doesNotMatch(text, /notes:read/, 'a described scope reads as its description alone');
    assert.match(text, /Signed in as ada@example\.test/);
    await auditPage(page, 'consent', audits);
  });

  it('issue #14: "Not you?" signs out and restarts the same authorization at the login; the new account reaches consent and the app gets a code', async () => {
    await page.getByRole('button', { name: 'Not you? Use another account' }).click();
    await page.waitForURL((u) => u.pathname === '/dev/login');
    assert.equal(await page.locator('#email').inputValue(), '', 'no login hint naming the account just refused');
    await devLogin('grace@example.test');
    await page.waitForURL((u) => u.pathname === '/oauth2/authorize/consent');
    assert.match(await page.locator('main').innerText(), /Signed in as grace@example\.test/);
    // The first session is over: the old consent page's interaction is finished.
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.origin === new URL(redirectUri).origin);
    assert.ok(new URL(page.url()).searchParams.get('code'));
  });

  it('issue #14: the organization chooser is labelled cards with Cancel (access_denied to the app); choosing one puts it on consent', async () => {
    // grace signed in above; the company adds her to two organizations.
    const flow = await authorize('openid');
    await page.waitForURL((u) => u.origin === new URL(redirectUri).origin);
    const code = new URL(page.url()).searchParams.get('code')!;
    const token = await fetch(`${server.baseUrl}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: flow.verifier }).toString() });
    assert.equal(token.status, 200, await token.clone().text());
    const userId = decodeJwt(((await token.json()) as { id_token: string }).id_token).sub!;
    for (const name of ['Acme Research', 'Acme Support']) {
      const org = (await (await api(server, '/organizations', { method: 'POST', body: { name } })).json()) as { id: string };
      assert.equal((await api(server, '/user_management/organization_memberships', { method: 'POST', body: { user_id: userId, organization_id: org.id } })).status, 201);
    }

    const cancelled = await authorize();
    await page.waitForURL((u) => u.pathname === '/oauth2/authorize/organization');
    await brandChecks();
    assert.equal(await page.getByRole('radio').count(), 2);
    assert.match(await page.locator('main').innerText(), /Signed in as grace@example\.test/);
    await auditPage(page, 'organization-chooser', audits);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL((u) => u.origin === new URL(redirectUri).origin);
    const denied = new URL(page.url()).searchParams;
    assert.equal(denied.get('error'), 'access_denied');
    assert.equal(denied.get('state'), cancelled.state);

    await authorize();
    await page.waitForURL((u) => u.pathname === '/oauth2/authorize/organization');
    await page.getByRole('radio', { name: 'Acme Support' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.pathname === '/oauth2/authorize/consent');
    assert.match(await page.locator('.whoami').innerText(), /grace@example\.test · Acme Support/);
  });

  it('issue #14: the device pages and an error page carry the brand; the error page says once what happened and what to do', async () => {
    await page.goto(`${server.baseUrl}/device`);
    await brandChecks();
    await auditPage(page, 'device', audits);
    await page.locator('#user_code').fill('BCDF-GHJK');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#user_code_error').waitFor();
    await auditPage(page, 'device-invalid-code', audits);
    await page.goto(`${server.baseUrl}/device/approved`);
    await auditPage(page, 'device-approved', audits);

    const res = await page.goto(`${server.baseUrl}/oauth2/authorize?client_id=client_01NOSUCHCLIENT000000000000&response_type=code`);
    assert.equal(res?.status(), 400);
    await brandChecks();
    const title = await page.locator('main h1').innerText();
    const paragraphs = await page.locator('main p').allInnerTexts();
    assert.equal(paragraphs.length, 1, 'one line of what to do');
    assert.ok(!paragraphs[0]!.includes(title) && !title.includes(paragraphs[0]!), `said once: "${title}" / "${paragraphs[0]}"`);
    await auditPage(page, 'error', audits);
  });

  it('issue #14: the CSP refused nothing on the sign-in pages (the logos are allowed by origin, no inline style)', () => {
    assert.deepEqual(refused, []);
  });
});
