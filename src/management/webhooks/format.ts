import { maskedWebhookSecret } from '../../domain/webhook.ts';
import type { WebhookEndpoint } from '../../storage/port.ts';

/**
 * The OpenAPI `WebhookEndpointJson`. `secret` is the signing secret in the
 * answers about one endpoint (create, update); a list never carries a
 * secret, so its items hold a masked value (`whsec_…abcd`, ledgered).
 */
export function formatWebhookEndpoint(e: WebhookEndpoint, secret: string | null) {
  return {
    object: 'webhook_endpoint' as const,
    id: e.id,
    endpoint_url: e.url,
    secret: secret ?? maskedWebhookSecret(e.secretHint),
    status: e.status,
    events: e.events,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  };
}
