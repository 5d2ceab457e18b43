import { ConflictError, NotFoundError, UniqueViolationError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { parsePageRequest, type Page } from '../../domain/pagination.ts';
import { generateWebhookSecret, webhookSecretHint } from '../../domain/webhook.ts';
import type { WebhookEndpoint } from '../../storage/port.ts';
import { parseWebhookEndpointCreate, parseWebhookEndpointUpdate } from '../../webhooks/endpoint-input.ts';
import type { ManagementDeps } from '../deps.ts';

/** Issue #13: webhook endpoints (API and CLI share these). */
export type WebhookDeps = Pick<ManagementDeps, 'storage' | 'keyring' | 'clock' | 'ids' | 'random' | 'endpointPolicy'>;

const notFound = (id: string) => new NotFoundError('Webhook endpoint', id, 'entity_not_found');

function translateUnique(err: unknown): unknown {
  return err instanceof UniqueViolationError && err.column === 'endpoint_url'
    ? new ConflictError('duplicate_endpoint', 'A webhook endpoint with this endpoint_url already exists.')
    : err;
}

/** The endpoint's signing secret, opened from its sealed form (bound to the endpoint ID). */
export function endpointSecret(deps: Pick<ManagementDeps, 'keyring'>, e: WebhookEndpoint): string {
  return deps.keyring.open('webhook-secret', e.sealedSecret, e.id).toString('utf8');
}

/** Creates an endpoint with a fresh signing secret, sealed under the server key; the plaintext is returned once here. */
export async function createWebhookEndpoint(deps: WebhookDeps, body: unknown): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const input = parseWebhookEndpointCreate(body, deps.endpointPolicy);
  const id = deps.ids(ID_PREFIX.webhookEndpoint);
  const secret = generateWebhookSecret(deps.random);
  try {
    const endpoint = await deps.storage.webhooks.createEndpoint({
      id,
      url: input.url,
      events: input.events,
      sealedSecret: deps.keyring.seal('webhook-secret', Buffer.from(secret, 'utf8'), id),
      secretHint: webhookSecretHint(secret),
      at: deps.clock.now(),
    });
    return { endpoint, secret };
  } catch (err) {
    throw translateUnique(err);
  }
}

export async function listWebhookEndpoints(deps: WebhookDeps, query: Record<string, unknown>): Promise<Page<WebhookEndpoint>> {
  return deps.storage.webhooks.listEndpoints(parsePageRequest(query));
}

/** Changes only what the body gives; disabling ends the endpoint's pending deliveries (skipped). */
export async function updateWebhookEndpoint(deps: WebhookDeps, id: string, body: unknown): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const patch = parseWebhookEndpointUpdate(body, deps.endpointPolicy);
  try {
    const endpoint = await deps.storage.webhooks.updateEndpoint(id, { ...patch, at: deps.clock.now() });
    if (!endpoint) throw notFound(id);
    return { endpoint, secret: endpointSecret(deps, endpoint) };
  } catch (err) {
    throw translateUnique(err);
  }
}

export async function getWebhookEndpoint(deps: WebhookDeps, id: string): Promise<WebhookEndpoint> {
  const endpoint = await deps.storage.webhooks.getEndpoint(id);
  if (!endpoint) throw notFound(id);
  return endpoint;
}

/** Deletes the endpoint; its pending deliveries go with it. */
export async function deleteWebhookEndpoint(deps: WebhookDeps, id: string): Promise<void> {
  if (!(await deps.storage.webhooks.deleteEndpoint(id))) throw notFound(id);
}
