import assert from 'node:assert/strict';
import { CookieJar, get, hiddenFields, postForm, type FlowUser } from './oauth-flow.ts';
import type { TestServer } from './server.ts';

/** Issue #11: a device sign-in over plain HTTP, as a browser and the company's backend would do it. */
export interface DeviceHttpOptions {
  readonly userCode: string;
  readonly user: FlowUser;
  readonly decision?: 'allow' | 'deny';
  readonly jar?: CookieJar;
  /** Completes the company's login the browser was sent to and returns the resume link (default: the complete call with the API key). */
  readonly complete?: (login: URL) => Promise<string>;
  readonly organizationId?: string;
  /** Consent-option choices: claim -> value. */
  readonly claims?: Record<string, string>;
}

/** POST /authkit/oauth2/complete with the server's API key, as the company's backend does. */
async function completeWithApiKey(server: TestServer, externalAuthId: string, user: FlowUser): Promise<string> {
  const res = await fetch(`${server.baseUrl}/authkit/oauth2/complete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ external_auth_id: externalAuthId, user }),
  });
  if (res.status !== 200) throw new Error(`complete ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { redirect_uri: string }).redirect_uri;
}

/**
 * `/device` (code entered), the company's login, the organization step when it
 * comes, the consent page (which must show the code), the decision: returns
 * where the browser ended and the consent page it saw.
 */
export async function deviceSignInOverHttp(server: TestServer, o: DeviceHttpOptions): Promise<{ final: URL; consentHtml: string; jar: CookieJar }> {
  const jar = o.jar ?? new CookieJar();
  const entry = await get(`${server.baseUrl}/device`, jar);
  const entered = await postForm(`${server.baseUrl}/device`, jar, { ...hiddenFields(await entry.text()), user_code: o.userCode });
  assert.equal(entered.status, 303, `the code was not accepted: ${entered.status}`);
  let next = new URL(entered.headers.get('location')!, server.baseUrl);
  if (next.pathname !== '/oauth2/authorize/consent' && next.pathname !== '/oauth2/authorize/organization') {
    const externalAuthId = next.searchParams.get('external_auth_id');
    assert.ok(externalAuthId, `expected a login page, got ${next.href}`);
    const resume = o.complete ? await o.complete(next) : await completeWithApiKey(server, externalAuthId, o.user);
    next = new URL((await get(resume, jar)).headers.get('location')!, server.baseUrl);
  }
  if (next.pathname === '/oauth2/authorize/organization') {
    const page = await get(next.href, jar);
    const chosen = await postForm(`${server.baseUrl}/oauth2/authorize/organization`, jar, { ...hiddenFields(await page.text()), organization_id: o.organizationId ?? '' });
    const resumed = await get(new URL(chosen.headers.get('location')!, server.baseUrl).href, jar);
    next = new URL(resumed.headers.get('location')!, server.baseUrl);
  }
  assert.equal(next.pathname, '/oauth2/authorize/consent');
  const consentHtml = await (await get(next.href, jar)).text();
  const claims = Object.fromEntries(Object.entries(o.claims ?? {}).map(([k, v]) => [`claim:${k}`, v]));
  const decided = await postForm(`${server.baseUrl}/oauth2/authorize/consent`, jar, { ...hiddenFields(consentHtml), ...claims, decision: o.decision ?? 'allow' });
  assert.equal(decided.status, 303);
  return { final: new URL(decided.headers.get('location')!), consentHtml, jar };
}

/** POST /oauth2/token polling a device code as a public client. */
export async function pollDevice(server: TestServer, clientId: string, deviceCode: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: clientId }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** POST /oauth2/device_authorization as a public client. */
export async function startDeviceOverHttp(server: TestServer, clientId: string, scope = 'openid offline_access'): Promise<{ device_code: string; user_code: string; verification_uri_complete: string }> {
  const res = await fetch(`${server.baseUrl}/oauth2/device_authorization`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: clientId, scope }) });
  if (res.status !== 200) throw new Error(`device_authorization ${res.status}: ${await res.text()}`);
  return (await res.json()) as { device_code: string; user_code: string; verification_uri_complete: string };
}
