import assert from 'node:assert/strict';
import type { Page, Response as PwResponse } from 'playwright-core';

/** Issue #11: how a person finishes a device sign-in in the browser, step by step (playwright-core). */
export interface DeviceSignIn {
  /** Where the person starts: the verification URI (then the code is typed) or verification_uri_complete. */
  readonly start: string;
  /** The code to type at `/device` (as the person would: any case, with or without the hyphen); null with verification_uri_complete. */
  readonly typed: string | null;
  /** The email for the development login; null when the browser is already signed in. */
  readonly email: string | null;
  /** The organization to choose when the chooser appears. */
  readonly organizationName?: string;
  readonly decision: 'allow' | 'deny';
}

/** What the person saw: the consent page's text and the responses of the device pages (for their headers). */
export interface DeviceSignInResult {
  readonly consentText: string;
  readonly entry: PwResponse;
  readonly consent: PwResponse;
  readonly sawOrganizationChooser: boolean;
  readonly finalText: string;
}

/** Drives `/device` → (development login) → (organization) → consent → done, checking where each step lands. */
export async function signInOnDevice(page: Page, baseUrl: string, s: DeviceSignIn): Promise<DeviceSignInResult> {
  const entry = await page.goto(s.start);
  assert.ok(entry, 'no response for the device page');
  assert.equal(entry.status(), 200);
  if (s.typed !== null) await page.fill('#user_code', s.typed);
  const consentResponse = page.waitForResponse((r) => r.url().startsWith(`${baseUrl}/oauth2/authorize/consent?`) && r.request().method() === 'GET');
  await page.click('button[type="submit"]');
  let sawOrganizationChooser = false;
  if (s.email !== null) {
    await page.waitForURL((u) => u.pathname === '/dev/login');
    await page.fill('#email', s.email);
    await page.click('button[type="submit"]');
  }
  await page.waitForURL((u) => u.pathname === '/oauth2/authorize/consent' || u.pathname === '/oauth2/authorize/organization');
  if (new URL(page.url()).pathname === '/oauth2/authorize/organization') {
    sawOrganizationChooser = true;
    // Issue #14: the chooser is a list of labelled radio buttons.
    await page.getByLabel(s.organizationName ?? '', { exact: true }).check();
    await page.click('button[name="decision"][value="continue"]');
  }
  const consent = await consentResponse;
  await page.waitForURL((u) => u.pathname === '/oauth2/authorize/consent');
  const consentText = await page.locator('main').innerText();
  const done = page.waitForResponse((r) => r.url() === `${baseUrl}/oauth2/authorize/consent` && r.request().method() === 'POST');
  await page.click(`button[name="decision"][value="${s.decision}"]`);
  assert.equal((await done).status(), 303, 'the consent POST is answered 303');
  await page.waitForURL((u) => u.pathname === (s.decision === 'allow' ? '/device/approved' : '/device/denied'));
  return { consentText, entry, consent, sawOrganizationChooser, finalText: await page.locator('main').innerText() };
}
