import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PageFailure } from '../domain/errors.ts';
import { Form, formOf } from '../http/form.ts';
import { apiError, type ApiAnswer, type ApiError, type ApiRequest } from './api.ts';
import type { DashboardDeps } from './deps.ts';
import { sendDashboard, type DashboardView } from './layout.ts';
import { checkCsrf, readSession, type DashboardSession } from './session.ts';

/** One signed-in dashboard request, as page handlers see it. */
export interface Ctx {
  readonly deps: DashboardDeps;
  readonly session: DashboardSession;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** The posted form (POST only; CSRF already checked). */
  readonly form: Form;
  /** A management API call with the session's key; any status comes back. */
  call(method: ApiRequest['method'], url: string, body?: unknown): Promise<ApiAnswer>;
  /** A call that must succeed (2xx): its body, or the error page that says why not. */
  need<T>(method: ApiRequest['method'], url: string, body?: unknown): Promise<T>;
  /** Renders a dashboard page for this session. */
  render(status: number, view: DashboardView): FastifyReply;
  /** 303 See Other to a dashboard path (after every successful POST, so a reload repeats nothing). */
  see(path: string): FastifyReply;
}

/** The session a failed request had, for its error page (set by the guard). */
export const sessions = new WeakMap<FastifyRequest, DashboardSession>();

/**
 * An API answer that is not a success, as the page error it becomes (mapped
 * to HTML in pages/errors.ts, the one mapping): 401 ends the session, 404
 * says the object is gone, 4xx carry the API's own message.
 */
export function failure(answer: ApiAnswer): Error {
  const e = apiError(answer);
  if (answer.status === 401) return new PageFailure(401, 'Your session has ended', 'Sign in again.');
  if (answer.status === 404) return new PageFailure(404, e.message, 'It may have been deleted meanwhile. Go back to the list.');
  if (answer.status === 503) return new PageFailure(503, 'The service is temporarily unavailable', 'Try again in a moment.', { 'retry-after': '1' });
  if (answer.status >= 400 && answer.status < 500) return new PageFailure(answer.status, 'The request was refused', e.message);
  // A 5xx from our own API: an unexpected failure, logged by the page error handler.
  return new Error(`management API answered ${answer.status}`);
}

/** A path segment from an ID (IDs are ours, but a URL parameter may be anything). */
export const encode = (id: string) => encodeURIComponent(id);

/**
 * A refused form (400, 409, 422): the API's message and field errors, to show
 * next to the form. Anything else (401, 404, 5xx) is an error page.
 */
export function formRefusal(answer: ApiAnswer): ApiError {
  if (answer.status === 400 || answer.status === 409 || answer.status === 422) return apiError(answer);
  throw failure(answer);
}

/**
 * Registers a signed-in page. Without a live session, a GET goes to the
 * sign-in page and a POST is refused; a POST must carry the session's CSRF
 * token and come from Portico's own pages.
 */
export function route(app: FastifyInstance, deps: DashboardDeps, method: 'GET' | 'POST', url: string, handler: (ctx: Ctx) => Promise<FastifyReply>): void {
  app.route({
    method,
    url,
    handler: async (request, reply) => {
      const session = await readSession(deps, request);
      if (session === null) {
        if (method === 'GET') return reply.code(303).header('cache-control', 'no-store').redirect('/dashboard/sign-in', 303);
        throw new PageFailure(401, 'Your session has ended', 'Sign in again.');
      }
      sessions.set(request, session);
      const form = method === 'POST' ? formOf(request) : Form.parse('');
      if (form === null) throw new PageFailure(400, 'The form could not be read', 'Go back and submit it again.');
      if (method === 'POST') checkCsrf(deps, request, session, form);
      const call = (m: ApiRequest['method'], u: string, body?: unknown) => deps.api.request({ method: m, url: u, apiKey: session.key, ip: request.ip, ...(body !== undefined && { body }) });
      const ctx: Ctx = {
        deps,
        session,
        request,
        reply,
        form,
        call,
        async need<T>(m: ApiRequest['method'], u: string, body?: unknown) {
          const answer = await call(m, u, body);
          if (answer.status < 200 || answer.status >= 300) throw failure(answer);
          return answer.body as T;
        },
        render: (status, view) => sendDashboard(deps, reply, status, session, view),
        see: (path) => reply.code(303).header('cache-control', 'no-store').redirect(path, 303),
      };
      return handler(ctx);
    },
  });
}
