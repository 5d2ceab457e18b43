import { api, type TestServer } from './server.ts';

async function post<T>(server: TestServer, path: string, body: unknown): Promise<T> {
  const res = await api(server, path, { method: 'POST', body });
  if (res.status !== 201) throw new Error(`POST ${path} -> ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export interface SeededClient {
  readonly orgId: string;
  readonly appId: string;
  readonly clientId: string;
  readonly secret: string;
  readonly secretId: string;
}

/** Through the management API: an organization, an M2M app with these scopes, one secret. */
export async function seedM2MClient(server: TestServer, scopes: string[] = ['posts:read', 'posts:write'], orgId?: string): Promise<SeededClient> {
  const org = orgId ?? (await post<{ id: string }>(server, '/organizations', { name: 'Seed Org' })).id;
  const app = await post<{ id: string; client_id: string }>(server, '/connect/applications', { name: 'Seed M2M', application_type: 'm2m', organization_id: org, scopes });
  const secret = await post<{ id: string; secret: string }>(server, `/connect/applications/${app.id}/client_secrets`, {});
  return { orgId: org, appId: app.id, clientId: app.client_id, secret: secret.secret, secretId: secret.id };
}

/** Another secret for an existing application. */
export async function addSecret(server: TestServer, appId: string): Promise<{ id: string; secret: string }> {
  return post(server, `/connect/applications/${appId}/client_secrets`, {});
}

/** A first-party OAuth app with one secret. */
export async function seedOAuthClient(server: TestServer): Promise<SeededClient> {
  const app = await post<{ id: string; client_id: string }>(server, '/connect/applications', {
    name: 'Seed OAuth',
    application_type: 'oauth',
    is_first_party: true,
    redirect_uris: [{ uri: 'https://app.test/callback' }],
  });
  const secret = await post<{ id: string; secret: string }>(server, `/connect/applications/${app.id}/client_secrets`, {});
  return { orgId: '', appId: app.id, clientId: app.client_id, secret: secret.secret, secretId: secret.id };
}

/** `POST /oauth2/token` with a form body and optional Basic credentials. */
export function tokenRequest(server: TestServer, form: Record<string, string> | string, basic?: { id: string; secret: string }, path = '/oauth2/token') {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  return fetch(`${server.baseUrl}${path}`, { method: 'POST', headers, body });
}
