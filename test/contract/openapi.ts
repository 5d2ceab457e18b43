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
];

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
