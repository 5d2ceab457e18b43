import { isIP } from 'node:net';
import { AUDIT_EVENT_NAMES, isAuditEventName, type AuditEventName } from '../domain/audit.ts';
import { UnprocessableError, ValidationError, type FieldError } from '../domain/errors.ts';
import type { WebhookEndpointStatus } from '../storage/port.ts';
import { isSpecialUse } from '../outbound/addresses.ts';

/**
 * The request bodies of `/webhook_endpoints` (CreateWebhookEndpointDto,
 * UpdateWebhookEndpointDto). Problems are answered as the OpenAPI document
 * lists them: `422 {code: invalid_url, message}` for the URL, and
 * `422 {code: invalid_request_parameters, message, errors: [{field, code, message}]}`
 * for the rest (an unknown event name is `unknown_event_type`).
 */
export interface WebhookEndpointInput {
  readonly url: string;
  readonly events: readonly AuditEventName[];
}

export interface WebhookEndpointPatchInput {
  readonly url?: string;
  readonly events?: readonly AuditEventName[];
  readonly status?: WebhookEndpointStatus;
}

/** Where endpoints may point: PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS (outbound/fetch.ts) decides. */
export interface EndpointPolicy {
  readonly allowPrivateNetworks: boolean;
}

const MAX_URL = 2048;

/**
 * Why `raw` cannot be an endpoint URL, or null. https only (http too with
 * private networks allowed); no credentials or fragment; and, unless private
 * networks are allowed, no special-use IP literal (RFC 6890) or `localhost`.
 * A host *name* that resolves to such an address is refused by the outbound
 * module when a delivery connects (the answer can change after creation).
 */
export function endpointUrlProblem(raw: string, policy: EndpointPolicy): string | null {
  if (raw.length > MAX_URL) return `endpoint_url must be at most ${MAX_URL} characters.`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'endpoint_url must be an absolute URL.';
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivateNetworks && url.protocol === 'http:')) return 'endpoint_url must be an https URL.';
  if (url.username !== '' || url.password !== '') return 'endpoint_url must not contain credentials.';
  if (url.hash !== '' || raw.includes('#')) return 'endpoint_url must not contain a fragment.';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!policy.allowPrivateNetworks && ((isIP(host) !== 0 && isSpecialUse(host)) || host === 'localhost' || host.endsWith('.localhost'))) {
    return 'endpoint_url points to a private or special-use address; Portico delivers only to public addresses (PORTICO_OUTBOUND_ALLOW_PRIVATE_NETWORKS is off).';
  }
  return null;
}

function bodyObject(body: unknown, errors: FieldError[]): Record<string, unknown> {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  errors.push({ field: 'body', code: 'body_must_be_object', message: 'The request body must be a JSON object.' });
  return {};
}

function readUrl(value: unknown, errors: FieldError[]): string | undefined {
  if (typeof value === 'string' && !value.includes('\u0000')) return value;
  errors.push({ field: 'endpoint_url', code: 'endpoint_url_must_be_string', message: 'endpoint_url must be a string.' });
  return undefined;
}

function readEvents(value: unknown, errors: FieldError[]): AuditEventName[] | undefined {
  if (!Array.isArray(value)) {
    errors.push({ field: 'events', code: 'events_must_be_array', message: 'events must be an array of event names.' });
    return undefined;
  }
  if (value.length === 0) errors.push({ field: 'events', code: 'events_required', message: 'Subscribe to at least one event.' });
  if (value.length > AUDIT_EVENT_NAMES.length * 2) {
    errors.push({ field: 'events', code: 'events_too_many', message: `At most ${AUDIT_EVENT_NAMES.length * 2} event names.` });
    return undefined;
  }
  const events: AuditEventName[] = [];
  value.forEach((name: unknown, i) => {
    if (typeof name === 'string' && isAuditEventName(name)) events.push(name);
    else {
      const shown = typeof name === 'string' ? `'${name.slice(0, 100)}'` : 'a non-string';
      errors.push({ field: `events[${i}]`, code: 'unknown_event_type', message: `Invalid enum value: ${shown} is not an event Portico emits.` });
    }
  });
  return [...new Set(events)];
}

function finish(errors: FieldError[]): void {
  if (errors.length > 0) throw new ValidationError(errors, 'Validation failed.');
}

function checkUrl(url: string | undefined, policy: EndpointPolicy): void {
  const problem = url === undefined ? null : endpointUrlProblem(url, policy);
  if (problem !== null) throw new UnprocessableError('invalid_url', problem);
}

/** `POST /webhook_endpoints`: `endpoint_url` and `events`, both required. */
export function parseWebhookEndpointCreate(body: unknown, policy: EndpointPolicy): WebhookEndpointInput {
  const errors: FieldError[] = [];
  const b = bodyObject(body, errors);
  let url: string | undefined;
  if (b.endpoint_url === undefined || b.endpoint_url === null) errors.push({ field: 'endpoint_url', code: 'endpoint_url_required', message: 'endpoint_url is required.' });
  else url = readUrl(b.endpoint_url, errors);
  let events: AuditEventName[] | undefined;
  if (b.events === undefined || b.events === null) errors.push({ field: 'events', code: 'events_required', message: 'events is required.' });
  else events = readEvents(b.events, errors);
  finish(errors);
  checkUrl(url, policy);
  return { url: url!, events: events! };
}

/** `PATCH /webhook_endpoints/:id`: each of `endpoint_url`, `events`, `status` is optional (absent or null: unchanged). */
export function parseWebhookEndpointUpdate(body: unknown, policy: EndpointPolicy): WebhookEndpointPatchInput {
  const errors: FieldError[] = [];
  const b = bodyObject(body, errors);
  const given = (key: string) => b[key] !== undefined && b[key] !== null;
  const url = given('endpoint_url') ? readUrl(b.endpoint_url, errors) : undefined;
  const events = given('events') ? readEvents(b.events, errors) : undefined;
  let status: WebhookEndpointStatus | undefined;
  if (given('status')) {
    if (b.status === 'enabled' || b.status === 'disabled') status = b.status;
    else errors.push({ field: 'status', code: 'invalid_status', message: "status must be 'enabled' or 'disabled'." });
  }
  finish(errors);
  checkUrl(url, policy);
  return { ...(url !== undefined && { url }), ...(events !== undefined && { events }), ...(status !== undefined && { status }) };
}
