import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PageFailure } from '../domain/errors.ts';
import { formOf, registerFormParser } from '../http/form.ts';
import { revokeApiKey } from '../management/api-keys.ts';
import { mapPageError } from '../pages/errors.ts';
import { esc } from '../pages/html.ts';
import { applicationPages } from './applications.ts';
import { sessions } from './context.ts';
import type { DashboardDeps } from './deps.ts';
import { eventPages } from './events.ts';
import { keyPages } from './keys.ts';
import { sendDashboard } from './layout.ts';
import { organizationPages } from './organizations.ts';
import { PASSWORD_SETTING } from './password.ts';
import { secretPages } from './secrets.ts';
import { checkCsrf, readSession, setSessionCookie, signIn, signInForm } from './session.ts';
import { signInPage } from './sign-in.ts';
import { webhookPages } from './webhooks.ts';

/**
 * The dashboard's one error handler: the page error mapping every HTML face
 * shares (pages/errors.ts), rendered in the dashboard's layout. A request
 * whose session has ended goes back to the sign-in page instead.
 */
function dashboardErrorHandler(deps: DashboardDeps) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const mapped = mapPageError(err);
    if (mapped.unexpected) request.log.error({ err }, 'dashboard request failed');
    if (mapped.status === 401) {
      setSessionCookie(deps, reply, null);
      return reply.code(303).header('cache-control', 'no-store').redirect('/dashboard/sign-in?ended=1', 303);
    }
    const session = sessions.get(request) ?? null;
    const back = session === null ? '' : '<p><a href="/dashboard">Back to the dashboard</a></p>';
    return sendDashboard(deps, reply.headers(mapped.headers), mapped.status, session, { title: mapped.title, section: null, body: `<h1>${esc(mapped.title)}</h1><p>${esc(mapped.message)}</p>${back}` });
  };
}

/**
 * The operators' dashboard at /dashboard (issue #14): server-rendered pages
 * whose handlers read and write only through the management API, called
 * in-process with the session's own API key (dashboard/api.ts). Works
 * without script; one script from Portico's origin adds copy buttons.
 */
export async function dashboardPlugin(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  registerFormParser(app);
  app.setErrorHandler(dashboardErrorHandler(deps));

  app.get('/dashboard', async (request, reply) => {
    const session = await readSession(deps, request);
    return reply.code(303).header('cache-control', 'no-store').redirect(session === null ? '/dashboard/sign-in' : '/dashboard/organizations', 303);
  });

  const showSignIn = async (request: FastifyRequest, reply: FastifyReply, status: number, message: { text: string; error: boolean } | null) => {
    const csrf = signInForm(deps, request, reply);
    const passwordSet = (await deps.storage.settings.get(PASSWORD_SETTING)) !== null;
    return sendDashboard(deps, reply, status, null, signInPage({ csrf, passwordSet, message }));
  };

  app.get<{ Querystring: Record<string, unknown> }>('/dashboard/sign-in', async (request, reply) => {
    if ((await readSession(deps, request)) !== null) return reply.code(303).header('cache-control', 'no-store').redirect('/dashboard/organizations', 303);
    const ended = request.query.ended === '1' ? 'Your session has ended. Sign in again to continue.' : request.query.signed_out === '1' ? 'You are signed out.' : null;
    const message = ended === null ? null : { text: ended, error: false };
    return showSignIn(request, reply, 200, message);
  });

  app.post('/dashboard/sign-in', async (request, reply) => {
    const form = formOf(request);
    if (form === null) throw new PageFailure(400, 'The form could not be read', 'Open the sign-in page again.');
    const result = await signIn(deps, request, form);
    if (!result.ok) return showSignIn(request, reply.headers(result.status === 429 ? { 'retry-after': '60' } : {}), result.status, { text: result.message, error: true });
    setSessionCookie(deps, reply, result.cookie);
    return reply.code(303).header('cache-control', 'no-store').redirect('/dashboard/organizations', 303);
  });

  // Ends the session everywhere: its key is revoked, not just the cookie dropped.
  app.post('/dashboard/sign-out', async (request, reply) => {
    const session = await readSession(deps, request);
    const form = formOf(request);
    if (session !== null && form !== null) {
      checkCsrf(deps, request, session, form);
      await revokeApiKey(deps, session.keyId, { actor_type: 'api_key', actor_id: session.keyId, ip: request.ip, request_id: request.id });
    }
    setSessionCookie(deps, reply, null);
    return reply.code(303).header('cache-control', 'no-store').redirect('/dashboard/sign-in?signed_out=1', 303);
  });

  organizationPages(app, deps);
  applicationPages(app, deps);
  secretPages(app, deps);
  keyPages(app, deps);
  eventPages(app, deps);
  webhookPages(app, deps);
}
