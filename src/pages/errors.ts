import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorPage, sendPage } from './html.ts';

/** A failure shown as an HTML page (never JSON, never a redirect to an unverified URI). */
export class PageFailure extends Error {
  readonly status: number;
  readonly title: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, title: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.title = title;
    this.headers = headers;
  }
}

/** The HTML face's one error handler: a readable page, never JSON and never a redirect. */
export function pageErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof PageFailure) return sendPage(reply.headers(err.headers), err.status, errorPage(err.title, err.message));
  if ((err as { kind?: string }).kind === 'malformed_request') return sendPage(reply, 400, errorPage('Bad request', (err as Error).message));
  if ((err as { kind?: string }).kind === 'unique_violation') return sendPage(reply, 409, errorPage('Please try again', 'Another request changed this at the same moment.'));
  if ((err as { kind?: string }).kind === 'storage_unavailable') {
    reply.header('retry-after', '1');
    return sendPage(reply, 503, errorPage('Temporarily unavailable', 'Please try again in a moment.'));
  }
  const status = (err as Partial<FastifyError>).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return sendPage(reply, status, errorPage('Bad request', 'The request could not be understood.'));
  request.log.error({ err }, 'page request failed');
  return sendPage(reply, 500, errorPage('Something went wrong', 'Please try again.'));
}
