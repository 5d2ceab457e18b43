// Issue #2: requests to every management route as plain data, for the management fuzz suite (moved
// out of test/fuzz/management-fuzz.test.ts by issue #9). `@@name@@` placeholders stand for the IDs of
// objects seeded through the API (and `@@key@@` for the API key); they are substituted just before
// sending, so path IDs, bodies and query strings sometimes hit real objects.
import fc from 'fast-check';
import { show } from '../support/harness.ts';
import { placeholder } from '../support/placeholders.ts';

/** Stays well under Node's 16 KiB header limit, which would answer 431 before Portico sees anything. */
export const MAX_URL_PART = 6_000;
/** Portico's bodyLimit (src/app.ts). */
export const BODY_LIMIT = 256 * 1024;

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';
export type IdKind = 'org' | 'ext' | 'app' | 'secret';

export interface Endpoint {
  readonly method: Method;
  /** `:id` is replaced by an encoded path ID. */
  readonly template: string;
  readonly idKind: IdKind | null;
  readonly management: boolean;
}

export interface FuzzRequest {
  readonly method: string;
  /** Encoded path and query; may hold placeholders. */
  readonly path: string;
  /** Header values may hold placeholders; a missing key is a missing header. */
  readonly headers: Readonly<Record<string, string>>;
  /** A string body may hold placeholders; bytes are sent as they are. */
  readonly body: string | Uint8Array | null;
}

const ep = (method: Method, template: string, idKind: IdKind | null, management = true): Endpoint => ({ method, template, idKind, management });

/** Every management route, plus the health probes. */
export const ENDPOINTS: readonly Endpoint[] = [
  ep('GET', '/organizations', null),
  ep('POST', '/organizations', null),
  ep('GET', '/organizations/external_id/:id', 'ext'),
  ep('GET', '/organizations/:id', 'org'),
  ep('PUT', '/organizations/:id', 'org'),
  ep('DELETE', '/organizations/:id', 'org'),
  ep('GET', '/connect/applications', null),
  ep('POST', '/connect/applications', null),
  ep('GET', '/connect/applications/:id', 'app'),
  ep('PUT', '/connect/applications/:id', 'app'),
  ep('DELETE', '/connect/applications/:id', 'app'),
  ep('GET', '/connect/applications/:id/client_secrets', 'app'),
  ep('POST', '/connect/applications/:id/client_secrets', 'app'),
  ep('DELETE', '/connect/client_secrets/:id', 'secret'),
  // Issue #3 and #4 routes (path IDs are fuzzed; the org kind only decides which real ID sometimes appears).
  ep('GET', '/events', null),
  ep('POST', '/authkit/oauth2/complete', null),
  ep('GET', '/user_management/users/:id', 'org'),
  ep('GET', '/user_management/users/:id/authorized_applications', 'org'),
  ep('DELETE', '/user_management/users/:id/authorized_applications/:id', 'app'),
  ep('GET', '/user_management/organization_memberships', null),
  ep('POST', '/user_management/organization_memberships', null),
  ep('GET', '/user_management/organization_memberships/:id', 'org'),
  ep('DELETE', '/user_management/organization_memberships/:id', 'org'),
  // Issue #13: webhook endpoints (path IDs fuzzed).
  ep('GET', '/webhook_endpoints', null),
  ep('POST', '/webhook_endpoints', null),
  ep('PATCH', '/webhook_endpoints/:id', 'org'),
  ep('DELETE', '/webhook_endpoints/:id', 'org'),
  ep('GET', '/health', null, false),
  ep('GET', '/health/ready', null, false),
];

export const WITH_BODY = ENDPOINTS.filter((e) => e.method === 'POST' || e.method === 'PUT' || e.method === 'PATCH' || e.method === 'DELETE');
export const WITH_ID = ENDPOINTS.filter((e) => e.idKind !== null);
export const GETS = ENDPOINTS.filter((e) => e.method === 'GET');

export const PLACEHOLDERS = ['org', 'ext', 'm2m', 'm2m_client', 'oauth', 'oauth_client', 'secret'] as const;
export const ph = (name: (typeof PLACEHOLDERS)[number] | 'key') => placeholder(name);

export interface Parts {
  readonly endpoint: Endpoint;
  readonly method?: string;
  readonly id?: string;
  readonly query?: string;
  readonly auth?: string | null;
  readonly idempotencyKey?: string | null;
  readonly contentType?: string | null;
  readonly body?: string | Uint8Array | null;
  readonly extra?: Record<string, string>;
}

export interface Case {
  readonly endpoint: Endpoint;
  readonly request: FuzzRequest;
}

export function build(p: Parts): Case {
  const path = p.endpoint.template.replace(':id', p.id ?? ph(p.endpoint.idKind === 'app' ? 'oauth' : p.endpoint.idKind ?? 'org'));
  const headers: Record<string, string> = { ...p.extra };
  const auth = p.auth === undefined ? `Bearer ${ph('key')}` : p.auth;
  if (auth !== null) headers.authorization = auth;
  if (p.idempotencyKey != null) headers['idempotency-key'] = p.idempotencyKey;
  const body = p.body ?? null;
  if (body !== null && p.contentType != null) headers['content-type'] = p.contentType;
  const c: Case = { endpoint: p.endpoint, request: { method: p.method ?? p.endpoint.method, path: path + (p.query ?? ''), headers, body } };
  // Counterexamples can carry 256 KiB bodies: fast-check prints this summary instead.
  Object.defineProperty(c, fc.toStringMethod, { value: () => summarize(c.request), enumerable: false });
  return c;
}

function summarize(r: FuzzRequest): string {
  const body = r.body === null ? '' : typeof r.body === 'string' ? ` body=${show(r.body, 200)}` : ` body=bytes:${Buffer.from(r.body).subarray(0, 100).toString('hex')} (${r.body.length} bytes)`;
  const headers = Object.entries(r.headers).map(([k, v]) => `${k}=${show(v, 80)}`).join(' ');
  return `${r.method} ${r.path.length > 300 ? `${r.path.slice(0, 300)}...(${r.path.length} chars)` : r.path} [${headers}]${body}`;
}
