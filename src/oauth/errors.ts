import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isPorticoError, OAuthError, unmapped, type OAuthErrorCode } from '../domain/errors.ts';
import { describeType } from '../http/content-type.ts';
import { formOf, type Form } from '../http/form.ts';

/** The form body every OAuth POST endpoint takes (RFC 6749 §3.2). */
export function requireForm(request: FastifyRequest): Form {
  const form = formOf(request);
  if (!form) throw new OAuthError('invalid_request', `The request body must be application/x-www-form-urlencoded (got ${describeType(request.headers['content-type'])}).`);
  return form;
}

/** RFC 6749 §5.2: a failed client authentication; with Basic, 401 must name the scheme. */
export function invalidClient(basicUsed: boolean, description = 'Client authentication failed.'): OAuthError {
  return new OAuthError('invalid_client', description, { status: 401, headers: basicUsed ? { 'www-authenticate': 'Basic realm="portico", charset="UTF-8"' } : {} });
}

export interface MappedOAuthError {
  readonly status: number;
  readonly body: { error: OAuthErrorCode; error_description: string };
  readonly headers: Readonly<Record<string, string>>;
  /** Log it at error level (an unexpected failure, not the client's doing). */
  readonly unexpected: boolean;
}

/** RFC 6749 §5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E. */
export function describe(text: string): string {
  return text.replace(/"/g, "'").replace(/\\/g, '/').replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

const answer = (status: number, error: OAuthErrorCode, description: string, headers: Record<string, string> = {}, unexpected = false): MappedOAuthError => ({
  status,
  body: { error, error_description: describe(description) },
  headers,
  unexpected,
});
const unavailable = () => answer(503, 'temporarily_unavailable', 'The service is temporarily unavailable. Retry shortly.', { 'retry-after': '1' });
const internal = () => answer(500, 'server_error', 'Internal server error.', {}, true);

/** The one mapping from errors to OAuth responses (`{error, error_description}`). */
export function mapOAuthError(err: unknown, contentType?: string): MappedOAuthError {
  if (isPorticoError(err)) {
    switch (err.kind) {
      case 'oauth':
        return answer(err.status, err.error, err.message, { ...err.headers });
      case 'malformed_request':
      case 'repeated_parameter':
        return answer(400, 'invalid_request', err.message);
      case 'storage_unavailable':
      case 'signing_key_unavailable':
        return unavailable();
      // Management and page errors never come out of an OAuth endpoint on purpose.
      case 'not_found':
      case 'validation':
      case 'unprocessable':
      case 'bad_request':
      case 'conflict':
      case 'unique_violation':
      case 'page':
        return internal();
      default:
        return unmapped(err);
    }
  }
  const e = err as Partial<FastifyError>;
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return answer(413, 'invalid_request', 'Request body is too large.');
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return answer(400, 'invalid_request', `The request body must be application/x-www-form-urlencoded (got ${describeType(contentType)}).`);
    return answer(400, 'invalid_request', 'The request is malformed.');
  }
  return internal();
}

/** Fastify error handler for the OAuth face. Responses are never cached (RFC 6749 §5.1). */
export function oauthErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = mapOAuthError(err, request.headers['content-type']);
  if (mapped.unexpected) request.log.error({ err }, 'oauth request failed');
  else if (err instanceof OAuthError && err.detail !== undefined) request.log.debug({ detail: err.detail, error: err.error }, 'oauth error');
  return reply
    .code(mapped.status)
    .headers({ ...mapped.headers, 'cache-control': 'no-store', pragma: 'no-cache' })
    .type('application/json; charset=utf-8')
    .send(mapped.body);
}
