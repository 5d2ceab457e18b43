// Issue #14: the dashboard's webhooks (issue #13's endpoints) and client secret expiry in Chromium: add an
// endpoint (its signing secret shown once, gone after a reload), see a delivery fail and be retried with its
// attempts, disable and delete it; edit one and enable it again (its deliveries follow); create a secret that
// expires and see its expiry listed; the brand on a webhook page; axe and screenshots of each page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserSuiteOptions, chromiumPath, CHROMIUM_ARGS } from '../support/browser.ts';
import { manualClock } from '../support/oauth-deps.ts';
import { auditPage, cspViolations, writeAudits, type PageAudit } from '../support/page-audit.ts';
import { api, startServer, type TestServer } from '../support/server.ts';
import { drain, startReceiver, verifyWithSdk, webhookWorker, type Receiver } from '../support/webhooks.ts';

describe('issue #14: dashboard webhooks and secret expiry in Chromium', browserSuiteOptions(), () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const clock = manualClock();
  const audits: PageAudit[] = [];
  const refused: string[] = [];

  before(async () => {
    server = await startServer('sqlite', { clock, env: { PORTICO_BRAND_NAME: 'Acme Notes', PORTICO_BRAND_PRIMARY_COLOR: '#0f766e', PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'on' } });
    receiver = await startReceiver();
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    cspViolations(page, refused);
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.locator('#api_key').fill(server.apiKey);
    await page.getByRole('button', { name: 'Sign in with API key' }).click();
    await page.waitForURL('**/dashboard/organizations');
  });
  after(async () => {
    writeAudits('dashboard-webhooks', audits);
    await context?.close();
    await browser?.close();
    await server?.close();
    await receiver?.close();
  });

  it('issue #14: add an endpoint (secret shown once), a failed delivery with its attempts, retry, disable, delete', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL('**/dashboard/webhooks');
    await page.getByLabel(/^Endpoint URL/).fill('ftp://nope.example/hook');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.locator('#form-errors').waitFor();
    assert.match(await page.locator('#form-errors').innerText(), /Subscribe to at least one event\./, "the API's own words for the problem");
    await page.getByLabel(/^Endpoint URL/).fill(`${receiver.url}/portico-events`);
    await page.getByLabel('organization.created').check();
    await page.getByLabel('connect_application.created').check();
    await auditPage(page, 'dashboard-webhooks', audits);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.waitForURL(/\/dashboard\/webhooks\/we_[0-9A-Z]{26}\/new$/);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    // The copy is asynchronous: read the clipboard only once the page says it is done.
    await page.locator('[data-copy-status]', { hasText: 'Copied to the clipboard.' }).waitFor();
    const secret = await page.evaluate<string>('navigator.clipboard.readText()');
    assert.ok(secret.length >= 20);
    await auditPage(page, 'dashboard-webhook-secret-new', audits);
    const reloaded = await page.reload();
    assert.ok(!(await reloaded!.text()).includes(secret), 'a reload does not carry the secret');
    assert.match(await page.locator('h1').innerText(), /no longer shown/);
    await page.getByRole('link', { name: 'Back to the endpoint' }).click();
    await page.waitForURL(/\/dashboard\/webhooks\/we_[0-9A-Z]{26}$/);
    assert.ok(!(await page.content()).includes(secret), 'the endpoint page shows only the masked secret');

    receiver.respond = ({ n }) => (n === 1 ? 500 : 200);
    await api(server, '/organizations', { method: 'POST', body: { name: 'Hooked Inc' } });
    const worker = webhookWorker(server, clock);
    await drain(worker);
    await page.reload();
    const row = page.locator('tbody tr', { hasText: 'organization.created' });
    assert.match(await row.innerText(), /Pending[\s\S]*HTTP 500/);
    await row.getByRole('button', { name: /Retry now/ }).click();
    await page.waitForURL(/done=retried/);
    await drain(worker);
    await page.reload();
    assert.match(await page.locator('tbody tr', { hasText: 'organization.created' }).innerText(), /Delivered/);
    const received = receiver.received.at(-1)!;
    assert.equal((await verifyWithSdk(received, secret)).event, 'organization.created', 'the copied secret verifies the delivery with the WorkOS SDK');
    await auditPage(page, 'dashboard-webhook', audits);

    await page.locator('tbody tr', { hasText: 'organization.created' }).getByRole('link', { name: /^event_/ }).click();
    await page.waitForURL(/\/deliveries\/event_[0-9A-Z]{26}$/);
    assert.deepEqual((await page.locator('tbody tr').allInnerTexts()).map((t) => /HTTP \d+/.exec(t)?.[0]), ['HTTP 500', 'HTTP 200']);
    await auditPage(page, 'dashboard-webhook-attempts', audits);
    await page.goBack();

    await page.getByRole('button', { name: 'Disable endpoint' }).click();
    await page.waitForURL(/done=disabled/);
    assert.match(await page.locator('dl.facts').innerText(), /Disabled/);
    await page.getByRole('link', { name: 'Delete endpoint' }).click();
    await auditPage(page, 'dashboard-webhook-delete', audits);
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.waitForURL(/\/dashboard\/webhooks\?done=deleted/);
    const left = (await (await api(server, '/webhook_endpoints')).json()) as { data: unknown[] };
    assert.equal(left.data.length, 0);
  });

  it('issue #14: a client secret created to expire in 30 days lists its expiry; one without expiry says Never', async () => {
    const org = (await (await api(server, '/organizations', { method: 'POST', body: { name: 'Expiring Co' } })).json()) as { id: string };
    const app = (await (await api(server, '/connect/applications', { method: 'POST', body: { name: 'Rotating job', application_type: 'm2m', organization_id: org.id } })).json()) as { id: string };
    await page.goto(`${server.baseUrl}/dashboard/applications/${app.id}`);
    await page.getByRole('button', { name: 'Create client secret' }).click();
    await page.waitForURL('**/secrets/new');
    await page.getByRole('link', { name: 'Done: I have copied it' }).click();
    await page.getByLabel('Expires').selectOption('30');
    await page.getByRole('button', { name: 'Create client secret' }).click();
    await page.waitForURL('**/secrets/new');
    await page.getByRole('link', { name: 'Done: I have copied it' }).click();
    await page.waitForURL(`**/dashboard/applications/${app.id}`);
    const rows = await page.locator('section[aria-labelledby="secrets"] tbody tr').allInnerTexts();
    assert.equal(rows.length, 2);
    assert.match(await page.locator('section[aria-labelledby="secrets"] thead').innerText(), /Expires/i);
    assert.equal(rows.filter((r) => /in 30 days/.test(r)).length, 1, rows.join(' | '));
    assert.equal(rows.filter((r) => /Never\s+Never/.test(r)).length, 1, 'never used, never expires');
    await page.setViewportSize({ width: 390, height: 844 });
    await auditPage(page, 'dashboard-application-secrets-expiry', audits);
  });

  it('issue #14: edit an endpoint (URL and events) and enable a disabled one again; checked through the API and a delivery to the new URL', async () => {
    const created = await api(server, '/webhook_endpoints', { method: 'POST', body: { endpoint_url: `${receiver.url}/old-hook`, events: ['organization.created'] } });
    assert.equal(created.status, 201, await created.clone().text());
    const id = ((await created.json()) as { id: string }).id;
    const endpoint = async () => (await (await api(server, `/portico/webhook_endpoints/${id}`)).json()) as { endpoint_url: string; status: string; events: string[] };

    await page.goto(`${server.baseUrl}/dashboard/webhooks/${id}`);
    const edit = page.locator('section[aria-labelledby="edit"]');
    await edit.getByLabel(/^Endpoint URL/).fill(`${receiver.url}/edited-hook`);
    await edit.getByLabel('organization.created', { exact: true }).uncheck();
    await edit.getByLabel('organization.deleted', { exact: true }).check();
    await edit.getByLabel('connect_application.created', { exact: true }).check();
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`**/dashboard/webhooks/${id}?done=updated`);
    assert.match(await page.locator('main').innerText(), /Endpoint saved\./);
    assert.equal(await page.locator('h1').innerText(), `${receiver.url}/edited-hook`);
    const saved = await endpoint();
    assert.equal(saved.endpoint_url, `${receiver.url}/edited-hook`);
    assert.deepEqual([...saved.events].sort(), ['connect_application.created', 'organization.deleted']);

    await page.getByRole('button', { name: 'Disable endpoint' }).click();
    await page.waitForURL(`**/dashboard/webhooks/${id}?done=disabled`);
    assert.equal((await endpoint()).status, 'disabled');
    assert.match(await page.locator('dl.facts').innerText(), /Disabled/);
    await page.getByRole('button', { name: 'Enable endpoint' }).click();
    await page.waitForURL(`**/dashboard/webhooks/${id}?done=enabled`);
    assert.match(await page.locator('main').innerText(), /Endpoint enabled/);
    assert.match(await page.locator('dl.facts').innerText(), /Enabled/);
    assert.equal((await endpoint()).status, 'enabled', 'enabled again, through the API');

    // Enabled, at its new URL, for its new events: an organization created and deleted delivers only the deletion.
    receiver.respond = () => 200;
    const seen = receiver.received.length;
    const org = (await (await api(server, '/organizations', { method: 'POST', body: { name: 'Edited Hooks Ltd' } })).json()) as { id: string };
    assert.equal((await api(server, `/organizations/${org.id}`, { method: 'DELETE' })).status, 204);
    await drain(webhookWorker(server, clock));
    const delivered = receiver.received.slice(seen).map((r) => ({ path: r.path, event: (JSON.parse(r.body) as { event: string }).event }));
    assert.deepEqual(delivered, [{ path: '/edited-hook', event: 'organization.deleted' }]);
  });

  it('issue #14: the webhook pages carry the brand configured here (a name and a colour, no logo, no support link)', async () => {
    await page.goto(`${server.baseUrl}/dashboard/webhooks`);
    const mark = page.locator('header.topbar a.brand');
    assert.match(await mark.innerText(), /^Acme Notes\s+Dashboard$/);
    assert.equal(await mark.locator('img').count(), 0, 'no logo configured, none shown');
    assert.match(await page.title(), /^Webhooks · Acme Notes dashboard$/);
    assert.equal(await page.locator('footer').count(), 0, 'no support URL configured, no footer');
    const css = (selector: string, property: string) => page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)}))[${JSON.stringify(property)}]`);
    assert.equal(await css('header.topbar', 'borderBottomColor'), 'rgb(15, 118, 110)');
    assert.equal(await css('main button.primary', 'backgroundColor'), 'rgb(15, 118, 110)', 'the "Add endpoint" button in the brand colour');
  });

  it('issue #14: the CSP refused nothing on the webhook pages', () => {
    assert.deepEqual(refused, []);
  });
});
