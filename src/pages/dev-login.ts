import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SYSTEM_CONTEXT } from '../domain/audit.ts';
import type { Interaction } from '../domain/authorization.ts';
import { completeExternalAuth } from '../management/external-auth/service.ts';
import type { ManagementDeps } from '../management/deps.ts';
import { flowCookies, readCookie } from '../http/cookies.ts';
import { Form, registerFormParser } from '../http/form.ts';
import { csrfMatches, csrfToken } from './csrf.ts';
import { pageErrorHandler } from './errors.ts';
import { PageFailure } from '../domain/errors.ts';
import type { Pages } from './kit.ts';
import { devLoginPage } from './templates.ts';

const DEV_LOGIN_CSRF = 'dev-login';

/** The pending interaction behind `external_auth_id`, provided this browser started it (its binding cookie). */
async function ownInteraction(deps: ManagementDeps, request: FastifyRequest, id: unknown): Promise<{ interaction: Interaction; binding: string }> {
  const expired = () => new PageFailure(400, 'This sign-in has expired', 'Start again from the application.');
  const interaction = typeof id === 'string' && id.length <= 100 ? await deps.storage.interactions.get(id) : null;
  if (!interaction || interaction.completedAt !== null || interaction.expiresAt <= deps.clock.now()) throw expired();
  const binding = readCookie(request, flowCookies(deps.issuer).binding(interaction.id));
  if (!binding || interaction.bindingDigest !== deps.keyring.digest('session', binding).toString('hex')) {
    throw new PageFailure(400, 'This sign-in was started in another browser, or its cookie is gone', 'Start again from the application in this browser.');
  }
  return { interaction, binding };
}

/**
 * The built-in development login, standing in for the company's login page:
 * type an email, and it completes the authorization exactly as the company's
 * backend would (through the same `/authkit/oauth2/complete` logic). Served
 * only when PORTICO_DEV_LOGIN allows it (config.ts: loopback issuer, or
 * forced). The page works only in the browser that started the authorization
 * and its form carries a CSRF token tied to that interaction, so no other
 * site can sign a visitor in as someone else (issue #7).
 */
export async function devLoginPlugin(app: FastifyInstance, deps: ManagementDeps & { readonly pages: Pages }): Promise<void> {
  registerFormParser(app);
  app.setErrorHandler(pageErrorHandler(deps.pages));

  app.get<{ Querystring: Record<string, unknown> }>('/dev/login', async (request, reply) => {
    const { interaction, binding } = await ownInteraction(deps, request, request.query.external_auth_id);
    const client = await deps.storage.applications.find(interaction.applicationId);
    const hint = request.query.login_hint;
    return deps.pages.send(
      reply,
      200,
      devLoginPage({
        externalAuthId: interaction.id,
        csrf: csrfToken(deps.keyring, DEV_LOGIN_CSRF, interaction.id, binding),
        appName: client?.name ?? 'the application',
        loginHint: typeof hint === 'string' && hint.length <= 256 ? hint : null,
      }),
    );
  });

  app.post('/dev/login', async (request, reply) => {
    const form = request.body instanceof Form ? request.body : Form.parse('');
    const { interaction, binding } = await ownInteraction(deps, request, form.get('external_auth_id'));
    if (!csrfMatches(deps.keyring, form.get('csrf'), DEV_LOGIN_CSRF, interaction.id, binding)) {
      throw new PageFailure(403, 'Request refused: the form expired or did not come from this page', 'Start again from the application.');
    }
    const email = form.get('email') ?? '';
    const { redirect_uri } = await completeExternalAuth(deps, { ...SYSTEM_CONTEXT, actor_id: 'dev-login', ip: request.ip, request_id: request.id }, {
      external_auth_id: interaction.id,
      // The development login's user ID is the email itself.
      user: { id: `dev:${email.trim().toLowerCase()}`, email, first_name: form.get('first_name') ?? null, last_name: form.get('last_name') ?? null },
    });
    return reply.code(303).header('cache-control', 'no-store').redirect(redirect_uri, 303);
  });
}

/** Where the development login is off (and no login page is configured), `/dev/login` says why. */
export async function devLoginOffPlugin(app: FastifyInstance, deps: { readonly production: boolean; readonly pages: Pages }): Promise<void> {
  const why = deps.production
    ? 'The development login is disabled in production. Configure PORTICO_LOGIN_URL.'
    : 'The development login is served only for a loopback issuer (or with PORTICO_DEV_LOGIN=on). Configure PORTICO_LOGIN_URL.';
  const refuse = async (_request: FastifyRequest, reply: import('fastify').FastifyReply) => deps.pages.error(reply, 404, 'The development login is not available here', why);
  app.get('/dev/login', refuse);
  app.post('/dev/login', refuse);
}
