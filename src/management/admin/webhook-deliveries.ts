import type { FastifyInstance } from 'fastify';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../domain/errors.ts';
import { parseLimit } from '../../domain/pagination.ts';
import { DELIVERY_STATUSES, inFlight, type DeliveryStatus, type WebhookAttempt, type WebhookDelivery } from '../../storage/port/webhooks.ts';
import type { ManagementDeps } from '../deps.ts';
import { formatWebhookEndpoint } from '../webhooks/format.ts';
import { getWebhookEndpoint } from '../webhooks/service.ts';

const EVENT_ID = /^event_[0-9A-Z]{26}$/;

type EndpointParams = { Params: { id: string } };
type DeliveryParams = { Params: { id: string; event_id: string } };

/**
 * Issue #14: what the dashboard needs of issue #13's webhooks besides
 * `/webhook_endpoints`: one endpoint (its secret masked, as in the list),
 * its deliveries and their attempts (until now only `portico webhooks
 * deliveries` showed them), and a retry. Under `/portico/` like the other
 * routes WorkOS has no twin of; same API-key auth and error bodies.
 */
export function webhookDeliveryRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get<EndpointParams>('/portico/webhook_endpoints/:id', async function PorticoWebhookEndpoints_get(req) {
    return formatWebhookEndpoint(await getWebhookEndpoint(deps, req.params.id), null);
  });

  app.get<EndpointParams & { Querystring: Record<string, unknown> }>('/portico/webhook_endpoints/:id/deliveries', async function PorticoWebhookDeliveries_list(req) {
    const endpoint = await getWebhookEndpoint(deps, req.params.id);
    const { status, limit } = deliveryFilter(req.query);
    const rows = await deps.storage.webhooks.listDeliveries(endpoint.id, { ...(status !== undefined && { status }), limit });
    const now = deps.clock.now();
    return { object: 'list' as const, data: rows.map((d) => formatDelivery(d, now)), list_metadata: { before: null, after: null } };
  });

  app.get<DeliveryParams>('/portico/webhook_endpoints/:id/deliveries/:event_id/attempts', async function PorticoWebhookAttempts_list(req) {
    const endpoint = await getWebhookEndpoint(deps, req.params.id);
    const attempts = EVENT_ID.test(req.params.event_id) ? await deps.storage.webhooks.listAttempts(endpoint.id, req.params.event_id) : [];
    return { object: 'list' as const, data: attempts.map(formatAttempt), list_metadata: { before: null, after: null } };
  });

  app.post<DeliveryParams>('/portico/webhook_endpoints/:id/deliveries/:event_id/retry', async function PorticoWebhookDeliveries_retry(req, reply) {
    const endpoint = await getWebhookEndpoint(deps, req.params.id);
    // Only the message: storage's retry itself refuses a disabled endpoint, whatever happens in between.
    if (endpoint.status !== 'enabled') throw new ConflictError('webhook_endpoint_disabled', `${endpoint.id} is disabled: enable it first (PATCH /webhook_endpoints/${endpoint.id} with status "enabled").`);
    const retried = EVENT_ID.test(req.params.event_id) && (await deps.storage.webhooks.retry(endpoint.id, req.params.event_id, deps.clock.now()));
    if (!retried) throw new NotFoundError('Retryable delivery', req.params.event_id);
    return reply.code(202).send({ object: 'webhook_delivery_retry', endpoint_id: endpoint.id, event_id: req.params.event_id });
  });
}

/** `status` (one of the four) and `limit` (1-100, default 50, as every list's); anything else is a 422 naming the field. */
function deliveryFilter(query: Record<string, unknown>): { status: DeliveryStatus | undefined; limit: number } {
  const errors: FieldError[] = [];
  const rawStatus = query.status;
  let status: DeliveryStatus | undefined;
  if (rawStatus !== undefined && rawStatus !== '') {
    if (typeof rawStatus === 'string' && (DELIVERY_STATUSES as readonly string[]).includes(rawStatus)) status = rawStatus as DeliveryStatus;
    else errors.push({ field: 'status', code: 'status_invalid' });
  }
  const limit = parseLimit(query.limit, errors, 50);
  if (errors.length > 0) throw new ValidationError(errors);
  return { status, limit };
}

/** A delivery as the dashboard lists it; `in_flight` while a process holds its lease. */
function formatDelivery(d: WebhookDelivery, now: Date) {
  const iso = (x: Date | null) => x?.toISOString() ?? null;
  return {
    object: 'webhook_delivery' as const,
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event: d.event,
    status: d.status,
    in_flight: inFlight(d, now),
    attempts: d.attempts,
    next_attempt_at: iso(d.nextAttemptAt),
    last_attempt_at: iso(d.lastAttemptAt),
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    finished_at: iso(d.finishedAt),
    created_at: d.createdAt.toISOString(),
  };
}

function formatAttempt(a: WebhookAttempt) {
  return { object: 'webhook_attempt' as const, attempt: a.attempt, at: a.at.toISOString(), status_code: a.statusCode, error: a.error, response_excerpt: a.responseExcerpt, duration_ms: Math.round(a.durationMs) };
}
