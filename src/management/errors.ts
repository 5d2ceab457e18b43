import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isPorticoError, unmapped } from '../domain/errors.ts';
import { describeType } from '../http/content-type.ts';

/** Body of every management error: `{message, code?, errors?}` (reference §0). */
export interface ManagementErrorBody {
  message: string;
  error?: string;
  code?: string;
  errors?: readonly { field: string; code: string }[];
}

interface Mapped {
  status: number;
  body: ManagementErrorBody;
  retryAfter?: number;
}

/** Fastify's own 4xx errors (parsing, size, media type) keep their status with a stable code. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request_body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request_body',
  FST_ERR_CTP_INVALID_TYPE: 'invalid_request_body',
  FST_ERR_BAD_URL: 'invalid_url',
};

/**
 * The one mapping from errors to management responses. Domain errors carry
 * their own client-facing text; anything unrecognised becomes a generic 500
 * whose detail goes only to the log.
 */
export function mapManagementError(err: unknown, contentType?: string): Mapped {
  if (isPorticoError(err)) {
    switch (err.kind) {
      case 'not_found':
        return { status: 404, body: { message: err.message, ...(err.code !== undefined && { code: err.code }) } };
      case 'validation':
        return { status: 422, body: { message: err.message, code: err.code, errors: err.errors } };
      case 'unprocessable':
        return { status: 422, body: { message: err.message, code: err.code } };
      case 'bad_request':
        return { status: 400, body: { ...(err.error !== undefined && { error: err.error }), message: err.message, code: err.code } };
      case 'conflict':
        return { status: 409, body: { message: err.message, code: err.code } };
      case 'unique_violation':
        // Two requests raced to create the same thing; the loser may simply retry.
        return { status: 409, body: { message: 'A concurrent request changed this object; retry.', code: 'conflict' } };
      case 'malformed_request':
        return { status: 400, body: { message: err.message, code: err.code } };
      case 'repeated_parameter':
        return { status: 400, body: { message: err.message, code: 'invalid_request' } };
      case 'storage_unavailable':
      case 'signing_key_unavailable':
        return { status: 503, body: { message: 'The service is temporarily unavailable. Retry shortly.', code: 'service_unavailable' }, retryAfter: 1 };
      // OAuth and page errors never come out of a management route on purpose.
      case 'oauth':
      case 'page':
        return INTERNAL;
      default:
        return unmapped(err);
    }
  }
  const fe = err as Partial<FastifyError>;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = (fe.code && FASTIFY_CODES[fe.code]) ?? (err instanceof SyntaxError ? 'invalid_json' : 'invalid_request');
    const message =
      fe.statusCode === 413
        ? 'Request body is too large.'
        : code === 'invalid_json'
          ? 'Request body is not valid JSON.'
          : code === 'unsupported_media_type'
            ? `The request body must be application/json (got ${describeType(contentType)}).`
            : (fe.message ?? 'Bad request.');
    return { status: fe.statusCode, body: { message, code } };
  }
  return INTERNAL;
}

const INTERNAL: Mapped = { status: 500, body: { message: 'Internal server error.', code: 'server_error' } };

/** Fastify error handler for the management face. */
export function managementErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = mapManagementError(err, request.headers['content-type']);
  // A database outage is expected noise (every request answers 503 until it is back): one line, no stack.
  if (mapped.status === 503) request.log.warn({ reason: (err as { kind?: string }).kind }, 'management request refused: service unavailable');
  else if (mapped.status >= 500) request.log.error({ err }, 'management request failed');
  if (mapped.retryAfter !== undefined) reply.header('retry-after', String(mapped.retryAfter));
  return reply.code(mapped.status).type('application/json; charset=utf-8').send(mapped.body);
}
