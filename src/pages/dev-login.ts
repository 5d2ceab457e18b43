import type { FastifyInstance, FastifyReply } from 'fastify';
import { SYSTEM_CONTEXT } from '../domain/audit.ts';
import { completeExternalAuth } from '../management/external-auth/service.ts';
import type { ManagementDeps } from '../management/deps.ts';
import { Form, registerFormParser } from '../http/form.ts';
import { pageErrorHandler } from '../oauth/authorize/routes.ts';
import { errorPage, sendPage } from './html.ts';
import { devLoginPage } from './templates.ts';

export interface DevLoginDeps extends ManagementDeps {
  readonly production: boolean;
}

/**
 * The built-in development login, standing in for the company's login page
 * when PORTICO_LOGIN_URL is unset: type an email, and it completes the
 * authorization exactly as the company's backend would (through the same
 * `/authkit/oauth2/complete` logic). Refused when NODE_ENV=production.
 */
export async function devLoginPlugin(app: FastifyInstance, deps: DevLoginDeps): Promise<void> {
  registerFormParser(app);
  const refuse = (reply: FastifyReply) => sendPage(reply, 404, errorPage('Not available', 'The development login is disabled in production. Configure PORTICO_LOGIN_URL.'));
  app.setErrorHandler((err, request, reply) => {
    const e = err as { kind?: string; message?: string; statusCode?: number };
    if (e.kind === 'not_found' || e.kind === 'bad_request' || e.kind === 'validation') {
      return sendPage(reply, 400, errorPage('Cannot sign in', e.kind === 'validation' ? 'Enter a valid email address.' : (e.message ?? 'Start again from the application.')));
    }
    return pageErrorHandler(err, request, reply);
  });

  app.get<{ Querystring: Record<string, unknown> }>('/dev/login', async (request, reply) => {
    if (deps.production) return refuse(reply);
    reply.header('cache-control', 'no-store');
    const id = request.query.external_auth_id;
    const interaction = typeof id === 'string' && id.length <= 100 ? await deps.storage.interactions.get(id) : null;
    if (!interaction || interaction.completedAt !== null || interaction.expiresAt <= deps.clock.now()) {
      return sendPage(reply, 400, errorPage('This sign-in has expired', 'Start again from the application.'));
    }
    const client = await deps.storage.applications.find(interaction.applicationId);
    return sendPage(reply, 200, devLoginPage({ externalAuthId: interaction.id, appName: client?.name ?? 'the application' }));
  });

  app.post('/dev/login', async (request, reply) => {
    if (deps.production) return refuse(reply);
    const form = request.body instanceof Form ? request.body : Form.parse('');
    const email = form.get('email') ?? '';
    const { redirect_uri } = await completeExternalAuth(deps, { ...SYSTEM_CONTEXT, actor_id: 'dev-login', ip: request.ip, request_id: request.id }, {
      external_auth_id: form.get('external_auth_id'),
      // The development login's user ID is the email itself.
      user: { id: `dev:${email.trim().toLowerCase()}`, email, first_name: form.get('first_name') ?? null, last_name: form.get('last_name') ?? null },
    });
    return reply.code(303).header('cache-control', 'no-store').redirect(redirect_uri, 303);
  });
}
