import type { FastifyInstance } from 'fastify';

/** A management API answer as the dashboard sees it. */
export interface ApiAnswer {
  readonly status: number;
  /** Parsed JSON, or null for an empty body. */
  readonly body: unknown;
}

/** One management API request, made with the operator's session key. */
export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, e.g. `/organizations?limit=20`. */
  readonly url: string;
  readonly apiKey: string;
  readonly body?: unknown;
  /** The operator's address, so audit events name it rather than loopback. */
  readonly ip: string;
}

/**
 * How the dashboard reaches data: the management API, and nothing else
 * (issue #14). In production it is the same Fastify instance, called
 * in-process (`inject`): every request passes the API-key check, the
 * validation, the idempotency hooks and the error mapping a curl request
 * would, and writes the same audit events.
 */
export interface ManagementApi {
  request(r: ApiRequest): Promise<ApiAnswer>;
}

export function injectedApi(app: FastifyInstance): ManagementApi {
  return {
    async request(r) {
      const res = await app.inject({
        method: r.method,
        url: r.url,
        remoteAddress: r.ip,
        headers: { authorization: `Bearer ${r.apiKey}`, ...(r.body !== undefined && { 'content-type': 'application/json' }) },
        ...(r.body !== undefined && { payload: JSON.stringify(r.body) }),
      });
      return { status: res.statusCode, body: res.body === '' ? null : (JSON.parse(res.body) as unknown) };
    },
  };
}

/** The WorkOS error body: `{message, code?, errors?: [{field, code}]}`. */
export interface ApiError {
  readonly message: string;
  readonly code: string | null;
  /** `message` where the API words a problem itself (issue #13's webhook endpoints do). */
  readonly errors: readonly { readonly field: string; readonly code: string; readonly message?: string }[];
}

/** Reads an error answer's body defensively (it is ours, but a 5xx body says little). */
export function apiError(answer: ApiAnswer): ApiError {
  const b = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as { message?: unknown; code?: unknown; errors?: unknown };
  const errors = Array.isArray(b.errors)
    ? b.errors
        .filter((e): e is { field: string; code: string; message?: unknown } => typeof e === 'object' && e !== null && typeof (e as { field?: unknown }).field === 'string' && typeof (e as { code?: unknown }).code === 'string')
        .map((e) => ({ field: e.field, code: e.code, ...(typeof e.message === 'string' && { message: e.message }) }))
    : [];
  return { message: typeof b.message === 'string' ? b.message : 'The request failed.', code: typeof b.code === 'string' ? b.code : null, errors };
}
