import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { formOf, type Form } from '../http/form.ts';
import { describeType } from '../http/content-type.ts';

/**
 * RFC 6749 §5.2 error codes, RFC 8707's invalid_target, and `slow_down`
 * (RFC 8628 §3.5: "increase the interval"), which the throttle answers with
 * 429: OAuth defines no code of its own for rate limits.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'slow_down'
  | 'temporarily_unavailable'
  | 'server_error';

/** An OAuth error with its HTTP status; `description` is client-facing text. */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(error: OAuthErrorCode, description: string, status = 400, headers: Record<string, string> = {}) {
    super(description);
    this.error = error;
    this.status = status;
    this.headers = headers;
  }
}

/** The form body every OAuth POST endpoint takes (RFC 6749 §3.2). */
export function requireForm(request: FastifyRequest): Form {
  const form = formOf(request);
  if (!form) throw new OAuthError('invalid_request', `The request body must be application/x-www-form-urlencoded (got ${describeType(request.headers['content-type'])}).`);
  return form;
}

/** RFC 6749 §5.2: a failed client authentication; with Basic, 401 must name the scheme. */
export function invalidClient(basicUsed: boolean, description = 'Client authentication failed.'): OAuthError {
  return new OAuthError('invalid_client', description, 401, basicUsed ? { 'www-authenticate': 'Basic realm="portico", charset="UTF-8"' } : {});
}

interface Mapped {
  readonly status: number;
  readonly body: { error: OAuthErrorCode; error_description: string };
  readonly headers: Readonly<Record<string, string>>;
}

/** RFC 6749 §5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E. */
export function describe(text: string): string {
  return text.replace(/"/g, "'").replace(/\\/g, '/').replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

/** The one mapping from errors to OAuth responses (`{error, error_description}`). */
export function mapOAuthError(err: unknown, contentType?: string): Mapped {
  if (err instanceof OAuthError) return { status: err.status, body: { error: err.error, error_description: describe(err.message) }, headers: err.headers };
  const e = err as { kind?: string; message?: string } & Partial<FastifyError>;
  if (e.kind === 'malformed_request') return { status: 400, body: { error: 'invalid_request', error_description: describe(e.message ?? '') }, headers: {} };
  if (e.kind === 'repeated_parameter') return { status: 400, body: { error: 'invalid_request', error_description: describe(e.message ?? '') }, headers: {} };
  if (e.kind === 'storage_unavailable') {
    return {
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable. Retry shortly.' },
      headers: { 'retry-after': '1' },
    };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const description =
      e.statusCode === 413
        ? 'Request body is too large.'
        : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `The request body must be application/x-www-form-urlencoded (got ${describeType(contentType)}).`
          : 'The request is malformed.';
    return { status: e.statusCode === 413 ? 413 : 400, body: { error: 'invalid_request', error_description: description }, headers: {} };
  }
  return { status: 500, body: { error: 'server_error', error_description: 'Internal server error.' }, headers: {} };
}

/** Fastify error handler for the OAuth face. Responses are never cached (RFC 6749 §5.1). */
export function oauthErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = mapOAuthError(err, request.headers['content-type']);
  if (mapped.status >= 500 && mapped.status !== 503) request.log.error({ err }, 'oauth request failed');
  return reply
    .code(mapped.status)
    .headers({ ...mapped.headers, 'cache-control': 'no-store', pragma: 'no-cache' })
    .type('application/json; charset=utf-8')
    .send(mapped.body);
}
