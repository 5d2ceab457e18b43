// Issue #9 (item 7): seeding through the management API, shared by the fuzz suites (issues #2, #3, #4).
// Every call is a harness request: bounded in time, so a broken server fails the setup instead of hanging it.
import assert from 'node:assert/strict';
import type { TestServer } from '../../support/server.ts';
import { harness } from './harness.ts';

/** The management API with the server's key (support/server.ts's api(), with a timeout). */
export function apiCall(server: TestServer, path: string, method: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.apiKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return harness(`${server.baseUrl}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
}

/** The body of a 201, parsed; anything else fails the seeding. */
export async function created<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, 201, `seeding ${what}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** POST `path` with `body`, expecting a 201. */
export async function seed<T>(server: TestServer, path: string, body: unknown, what: string): Promise<T> {
  return created<T>(await apiCall(server, path, 'POST', body), what);
}

export interface SeededApplication {
  readonly appId: string;
  readonly clientId: string;
}

/** An application (POST /connect/applications with `body`). */
export async function seedApplication(server: TestServer, body: Record<string, unknown>, what: string): Promise<SeededApplication> {
  const app = await seed<{ id: string; client_id: string }>(server, '/connect/applications', body, what);
  return { appId: app.id, clientId: app.client_id };
}

/** A client secret of application `appId`. */
export async function seedSecret(server: TestServer, appId: string, what: string): Promise<{ id: string; secret: string }> {
  return seed(server, `/connect/applications/${appId}/client_secrets`, {}, what);
}

/** An application and one secret for it. */
export async function seedClient(server: TestServer, body: Record<string, unknown>, what: string): Promise<SeededApplication & { secret: string }> {
  const app = await seedApplication(server, body, what);
  return { ...app, secret: (await seedSecret(server, app.appId, `${what} secret`)).secret };
}
