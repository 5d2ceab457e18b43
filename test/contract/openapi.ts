import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';

/**
 * Contract checks against the published WorkOS OpenAPI document
 * (`@workos/openapi-spec`, pinned in package.json).
 */
const require = createRequire(import.meta.url);
const specPath = require.resolve('@workos/openapi-spec/spec');
const spec = parse(readFileSync(specPath, 'utf8')) as { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
(addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema(spec as object, 'openapi');

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/**
 * Known divergences from the OpenAPI document: the short, explicit ledger
 * (README, "Divergences from the WorkOS OpenAPI document").
 */
export const DIVERGENCES: readonly { method: string; path: string; status: number; why: string }[] = [
  {
    method: 'DELETE',
    path: '/organizations/{id}',
    status: 204,
    why: 'The spec lists 200/202 with no body; Portico answers 204 No Content like every other delete. The SDK ignores the body either way.',
  },
  {
    method: 'DELETE',
    path: '/organizations/{id}',
    status: 404,
    why: 'The spec lists no 404 for deleting an organization; Portico answers 404 {message} for an unknown ID, as for every other object.',
  },
  {
    method: 'GET',
    path: '/webhook_endpoints',
    status: 422,
    why: 'Issue #13: the spec lists no error for this list; a limit, order or cursor out of range is 422 {message, code, errors}, as on every other Portico list (and the lists whose errors the spec does document).',
  },
];

/**
 * Responses that conform to the schema but say more or other than it (issue #13): fields Portico adds, and
 * values it deliberately differs on. Validation still applies to them; `extraFields` allows exactly these.
 */
export const EXTENSIONS: readonly { method: string; path: string; status: number; field: string; why: string }[] = [
  ...(['GET', 'POST'] as const).flatMap((method) => [
    {
      method,
      path: '/connect/applications/{id}/client_secrets',
      status: method === 'GET' ? 200 : 201,
      field: 'expires_at',
      why: 'Secret lifecycle (beyond WorkOS, whose secrets never expire): when the secret stops authenticating, or null. The seven NewConnectApplicationSecret fields are unchanged.',
    },
  ]),
  ...(['POST /webhook_endpoints', 'PATCH /webhook_endpoints/{id}'] as const).map((route) => ({
    method: route.split(' ')[0]!,
    path: route.split(' ')[1]!,
    status: 422,
    field: 'errors[].field',
    why: 'Each `{code, message}` of a 422 also names its `field` (`events[2]`), as every other Portico 422 does.',
  })),
  {
    method: 'GET',
    path: '/webhook_endpoints',
    status: 200,
    field: 'secret',
    why: 'The spec gives every WebhookEndpointJson its `secret`; a Portico list never carries a secret, so list items hold a masked value (`whsec_…` and the last 4 characters). The create and update answers carry the real one.',
  },
];

/**
 * Issue #11: operations the WorkOS docs and SDKs use that @workos/openapi-spec 0.1.0 does not list,
 * checked against the schema of the object they are documented to return (plus the fields named), and
 * Portico's own additions, whose bodies are checked like the operation they mirror.
 */
export const STAND_INS: readonly { method: string; path: string; status: number; schema: string | null; required?: readonly string[]; why: string }[] = [
  {
    method: 'GET',
    path: '/organizations/{organization_id}/authorized_applications',
    status: 200,
    schema: '#/components/schemas/AuthorizedConnectApplicationList',
    required: ['user_id'],
    why: 'Documented by WorkOS and called by the Ruby/Python/Go SDKs (OrganizationAuthorizedConnectApplicationListData: the per-user item plus a required user_id), missing from the 0.1.0 document.',
  },
  { method: 'GET', path: '/organizations/{organization_id}/authorized_applications', status: 404, schema: null, why: 'An unknown organization: {message}, as the per-user list answers an unknown user.' },
  { method: 'DELETE', path: '/organizations/{organization_id}/authorized_applications/{application_id}', status: 204, schema: null, why: "Portico's organization-wide counterpart of the per-user delete (204, no body)." },
  { method: 'DELETE', path: '/organizations/{organization_id}/authorized_applications/{application_id}', status: 404, schema: null, why: 'Unknown organization, application, or no consent: {message}.' },
];

/** A stand-in's check: a JSON body valid against `schema` and holding every `required` field on each list item, or {message} / no body. */
function checkStandIn(r: RecordedResponse, standIn: (typeof STAND_INS)[number]): string[] {
  if (standIn.schema === null) {
    if (r.status === 204) return r.body === '' ? [] : [`${r.method} ${r.path} 204 with a body`];
    return typeof (JSON.parse(r.body || '{}') as { message?: unknown }).message === 'string' ? [] : [`${r.method} ${r.path} ${r.status} without message`];
  }
  const validate = ajv.getSchema(`openapi${standIn.schema}`);
  if (!validate) return [`no schema at ${standIn.schema}`];
  const body = JSON.parse(r.body) as { data?: Record<string, unknown>[] };
  const problems = validate(body) ? [] : (validate.errors ?? []).map((e) => `${r.method} ${r.path} ${r.status}: ${e.instancePath} ${e.message}`);
  for (const [i, item] of (body.data ?? []).entries()) {
    for (const field of standIn.required ?? []) if (!(field in item)) problems.push(`${r.method} ${r.path} ${r.status}: data[${i}] has no ${field}`);
  }
  return problems;
}

export interface RecordedResponse {
  readonly method: string;
  /** OpenAPI path template, e.g. `/organizations/{id}`. */
  readonly path: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Fastify route pattern (`/organizations/:id`) -> OpenAPI template (`/organizations/{id}`). */
export function toTemplate(route: string): string {
  return route.replace(/:([A-Za-z_]+)/g, '{$1}');
}

/** Records every response the server sends (register before listen). */
export function recordResponses(app: FastifyInstance, into: RecordedResponse[]): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    if (route !== undefined) {
      into.push({
        method: request.method,
        path: toTemplate(route),
        status: reply.statusCode,
        contentType: String(reply.getHeader('content-type') ?? ''),
        body: typeof payload === 'string' ? payload : '',
      });
    }
    return payload;
  });
}

/** Validation problems of one response against the spec ([] when it conforms or is a ledgered divergence). */
export function checkResponse(r: RecordedResponse): string[] {
  if (DIVERGENCES.some((d) => d.method === r.method && d.path === r.path && d.status === r.status)) return [];
  const standIn = STAND_INS.find((d) => d.method === r.method && d.path === r.path && d.status === r.status);
  if (standIn) return checkStandIn(r, standIn);
  // 401 comes from the document's global security requirement rather than per operation.
  if (r.status === 401) return typeof (JSON.parse(r.body || '{}') as { message?: unknown }).message === 'string' ? [] : ['401 without message'];
  const op = spec.paths[r.path]?.[r.method.toLowerCase()];
  if (!op) return [`${r.method} ${r.path}: not in the OpenAPI document`];
  const response = op.responses?.[String(r.status)] as { content?: Record<string, unknown> } | undefined;
  if (!response) return [`${r.method} ${r.path}: status ${r.status} is not documented`];
  if (!response.content) return r.body === '' ? [] : [`${r.method} ${r.path} ${r.status}: the spec documents no body, got one`];
  if (!r.contentType.startsWith('application/json')) return [`${r.method} ${r.path} ${r.status}: content-type ${r.contentType}`];
  const ref = `openapi#/${pointer('paths', r.path, r.method.toLowerCase(), 'responses', String(r.status), 'content', 'application/json', 'schema')}`;
  const validate = ajv.getSchema(ref);
  if (!validate) return [`${r.method} ${r.path} ${r.status}: no schema at ${ref}`];
  if (validate(JSON.parse(r.body))) return [];
  return (validate.errors ?? []).map((e) => `${r.method} ${r.path} ${r.status}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

type Schema = { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; oneOf?: Schema[]; anyOf?: Schema[]; allOf?: Schema[] };

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const parts = schema.$ref.replace(/^#\//, '').split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  return resolve(parts.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], spec) as Schema);
}

/** Paths (`secret`, `[].expires_at`, `data[].x`) of fields in `value` that the schema does not name. */
function undocumented(schema: Schema, value: unknown, at: string, out: string[]): void {
  const s = resolve(schema);
  const variants = [...(s.oneOf ?? []), ...(s.anyOf ?? []), ...(s.allOf ?? [])].map(resolve);
  if (Array.isArray(value)) {
    const items = s.items ?? variants.find((v) => v.items)?.items;
    if (items) for (const item of value) undocumented(items, item, `${at}[]`, out);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const properties: Record<string, Schema> = { ...s.properties };
  for (const v of variants) Object.assign(properties, v.properties);
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const path = at === '' ? key : `${at}.${key}`;
    if (!(key in properties)) out.push(path);
    else undocumented(properties[key]!, child, path, out);
  }
}

/** Fields of a 2xx answer that the spec does not document and the EXTENSIONS ledger does not allow. */
export function extraFields(r: RecordedResponse): string[] {
  const op = spec.paths[r.path]?.[r.method.toLowerCase()];
  const schema = (op?.responses?.[String(r.status)] as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.['application/json']?.schema;
  if (!schema || r.body === '') return [];
  const found: string[] = [];
  undocumented(schema, JSON.parse(r.body), '', found);
  const allowed = EXTENSIONS.filter((e) => e.method === r.method && e.path === r.path && e.status === r.status).map((e) => e.field);
  // A list's items are named by the field alone: `data[].x` and `[].x` are `x`.
  return [...new Set(found)].filter((f) => !allowed.includes(f.replace(/^(data)?\[\]\./, '')));
}
