/**
 * The demo application `portico try-login` signs in with, created through the
 * management API like any integration would, and found again by name on later
 * runs, so repeated runs leave one organization and one application behind.
 */

/** Name of the demo organization and application. */
export const DEMO_NAME = 'Portico try-login';
/** The demo organization's external ID: how a later run finds it again. */
export const DEMO_ORG_EXTERNAL_ID = 'portico-try-login';
/**
 * Registered without a port: Portico ignores the port of a loopback IP
 * redirect URI (RFC 8252 §7.3, OAuth 2.1 §8.4.2), so one registration serves
 * whatever port the callback listener gets.
 */
export const DEMO_REDIRECT_URI = 'http://127.0.0.1/callback';

export class ManagementApiError extends Error {}

interface Page<T> {
  readonly data: T[];
  readonly list_metadata: { readonly after: string | null };
}

interface OAuthApp {
  readonly id: string;
  readonly client_id: string;
  readonly name: string;
  readonly application_type: string;
  readonly redirect_uris?: { readonly uri: string; readonly default: boolean }[];
}

/** A small client for the management API (Bearer API key, JSON bodies). */
export function managementClient(baseUrl: string, apiKey: string) {
  return async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed = (text === '' ? null : JSON.parse(text)) as T;
    if (res.status === 401) throw new ManagementApiError(`${baseUrl} refused the API key (401): pass the server's key with --api-key or PORTICO_API_KEY`);
    if (res.status >= 400 && res.status !== 404) {
      const message = (parsed as { message?: string } | null)?.message ?? text.slice(0, 200);
      throw new ManagementApiError(`${method} ${path} answered ${res.status}: ${message}`);
    }
    return { status: res.status, body: parsed };
  };
}

type Call = ReturnType<typeof managementClient>;

async function demoOrganization(call: Call): Promise<string> {
  const found = await call<{ id: string }>('GET', `/organizations/external_id/${DEMO_ORG_EXTERNAL_ID}`);
  if (found.status === 200) return found.body.id;
  const created = await call<{ id: string }>('POST', '/organizations', { name: DEMO_NAME, external_id: DEMO_ORG_EXTERNAL_ID });
  return created.body.id;
}

async function findApp(call: Call, organizationId: string): Promise<OAuthApp | null> {
  let after: string | null = null;
  do {
    const query: string = `organization_id=${organizationId}&limit=100${after ? `&after=${after}` : ''}`;
    const page: { body: Page<OAuthApp> } = await call<Page<OAuthApp>>('GET', `/connect/applications?${query}`);
    const app = page.body.data.find((a) => a.name === DEMO_NAME && a.application_type === 'oauth');
    if (app) return app;
    after = page.body.list_metadata.after;
  } while (after !== null);
  return null;
}

/**
 * The demo app: a public (PKCE, no secret) third-party OAuth application of
 * the demo organization, so the browser meets the consent page as a partner's
 * app would. Created when missing; its redirect URI re-added if someone removed it.
 */
export async function ensureDemoApp(call: Call): Promise<{ clientId: string; created: boolean }> {
  const organizationId = await demoOrganization(call);
  const existing = await findApp(call, organizationId);
  if (existing) {
    const uris = existing.redirect_uris ?? [];
    if (!uris.some((u) => u.uri === DEMO_REDIRECT_URI)) {
      await call('PUT', `/connect/applications/${existing.id}`, { redirect_uris: [...uris, { uri: DEMO_REDIRECT_URI }] });
    }
    return { clientId: existing.client_id, created: false };
  }
  const created = await call<OAuthApp>('POST', '/connect/applications', {
    name: DEMO_NAME,
    application_type: 'oauth',
    is_first_party: false,
    organization_id: organizationId,
    uses_pkce: true,
    redirect_uris: [{ uri: DEMO_REDIRECT_URI }],
    description: 'Created by `portico try-login` to show the authorization code flow.',
  });
  return { clientId: created.body.client_id, created: true };
}
