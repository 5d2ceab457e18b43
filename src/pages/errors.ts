import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isPorticoError, unmapped } from '../domain/errors.ts';
import type { Pages } from './kit.ts';

interface MappedPage {
  readonly status: number;
  readonly title: string;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly unexpected: boolean;
}

const page = (status: number, title: string, message: string, headers: Record<string, string> = {}, unexpected = false): MappedPage => ({ status, title, message, headers, unexpected });

/**
 * The one mapping from errors to HTML pages (issue #9): a readable page,
 * never JSON and never a redirect. Errors of the management services reach a
 * page only through the development login (it completes sign-ins through
 * the same service as `/authkit/oauth2/complete`).
 */
export function mapPageError(err: unknown): MappedPage {
  if (isPorticoError(err)) {
    switch (err.kind) {
      case 'page':
        return page(err.status, err.title, err.message, { ...err.headers });
      case 'malformed_request':
      case 'repeated_parameter':
        return page(400, 'The request could not be understood', err.message);
      case 'validation':
        return page(400, 'Cannot sign in', 'Enter a valid email address.');
      case 'not_found':
      case 'bad_request':
        return page(400, 'Cannot sign in', err.message);
      case 'unique_violation':
      case 'conflict':
        return page(409, 'Another request changed this at the same moment', 'Go back and try again.');
      case 'storage_unavailable':
      case 'signing_key_unavailable':
        return page(503, 'The service is temporarily unavailable', 'Try again in a moment.', { 'retry-after': '1' });
      case 'unprocessable':
      case 'oauth':
        return page(500, 'Something went wrong on our side', 'Try again in a moment; if it keeps happening, start again from the application.', {}, true);
      default:
        return unmapped(err);
    }
  }
  const status = (err as Partial<FastifyError>).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return page(status, 'The request could not be understood', 'Go back and try again.');
  return page(500, 'Something went wrong on our side', 'Try again in a moment; if it keeps happening, start again from the application.', {}, true);
}

/** The HTML face's one error handler, rendering with the brand. */
export function pageErrorHandler(pages: Pages) {
  return function handlePageError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const mapped = mapPageError(err);
    if (mapped.unexpected) request.log.error({ err }, 'page request failed');
    return pages.error(reply.headers(mapped.headers), mapped.status, mapped.title, mapped.message);
  };
}
