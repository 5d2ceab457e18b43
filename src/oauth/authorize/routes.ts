import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorPage, sendPage } from '../../pages/html.ts';
import { consentPage, organizationPage } from '../../pages/templates.ts';
import type { OAuthDeps } from '../deps.ts';
import { formOf, type Form } from '../../http/form.ts';
import {
  advance,
  boundInteraction,
  csrfToken,
  denyAuthorization,
  effectiveOrganization,
  issueCode,
  memberships,
  PageFailure,
  resumeAuthorization,
  startAuthorization,
} from './flow.ts';
import { errorRedirect, validateAuthorizeRequest } from './request.ts';

type Query = Record<string, string | string[] | undefined>;

/** HTML face errors: a readable page, never JSON and never a redirect. */
export function pageErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof PageFailure) return sendPage(reply, err.status, errorPage(err.title, err.message));
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

function pageForm(request: FastifyRequest): Form {
  const form = formOf(request);
  if (!form) throw new PageFailure(400, 'Bad request', 'The form could not be read.');
  return form;
}

/** Rejects a page POST whose CSRF token does not belong to this interaction and browser. */
function checkCsrf(deps: OAuthDeps, form: Form, interactionId: string, binding: string): void {
  const given = Buffer.from(form.get('csrf') ?? '');
  const expected = Buffer.from(csrfToken(deps, interactionId, binding));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new PageFailure(403, 'Request refused', 'The form expired or did not come from this page. Start again.');
  }
}

/**
 * The browser-facing part of the authorization server: /oauth2/authorize and
 * its organization and consent steps. POSTs answer 303 (never 307, RFC 9700
 * §4.12); pages carry frame-ancestors 'none' and no-store.
 */
export async function authorizePages(app: FastifyInstance, deps: OAuthDeps): Promise<void> {
  app.setErrorHandler(pageErrorHandler);

  app.get<{ Querystring: Query }>('/oauth2/authorize', async function authorize(request, reply) {
    const v = await validateAuthorizeRequest(deps, request.query);
    if (v.kind === 'page') return sendPage(reply, v.status, errorPage(v.title, v.message));
    if (v.kind === 'redirect') return reply.code(302).header('cache-control', 'no-store').redirect(errorRedirect(deps, v), 302);
    return reply.header('cache-control', 'no-store').redirect(await startAuthorization(deps, request, reply, v.app, v.request), 302);
  });

  app.get<{ Querystring: Query }>('/oauth2/authorize/complete', async function resume(request, reply) {
    const state = request.query.state;
    if (typeof state !== 'string' || !/^[A-Za-z0-9_-]{20,100}$/.test(state)) throw new PageFailure(400, 'This sign-in link is no longer valid', 'Start again from the application.');
    return reply.header('cache-control', 'no-store').redirect(await resumeAuthorization(deps, request, reply, state), 302);
  });

  app.get<{ Querystring: Query }>('/oauth2/authorize/continue', async function proceed(request, reply) {
    const { interaction, app: client } = await boundInteraction(deps, request, single(request.query.interaction));
    return reply.header('cache-control', 'no-store').redirect(await advance(deps, interaction, client), 302);
  });

  app.get<{ Querystring: Query }>('/oauth2/authorize/organization', async function chooseOrganization(request, reply) {
    const { interaction, app: client, binding } = await boundInteraction(deps, request, single(request.query.interaction));
    const orgs = await memberships(deps, interaction.userId!);
    const html = organizationPage({
      interactionId: interaction.id,
      csrf: csrfToken(deps, interaction.id, binding),
      appName: client.name,
      organizations: orgs.map((m) => ({ id: m.organizationId, name: m.organizationName })),
    });
    return sendPage(reply, 200, html);
  });

  app.post('/oauth2/authorize/organization', async function organizationChosen(request, reply) {
    const form = pageForm(request);
    const { interaction, binding } = await boundInteraction(deps, request, form.get('interaction'));
    checkCsrf(deps, form, interaction.id, binding);
    const chosen = form.get('organization_id');
    const orgs = await memberships(deps, interaction.userId!);
    if (chosen === undefined || !orgs.some((m) => m.organizationId === chosen)) throw new PageFailure(400, 'Choose an organization', 'Pick one of your organizations.');
    await deps.storage.interactions.selectOrganization(interaction.id, chosen);
    return reply.code(303).header('cache-control', 'no-store').redirect(`${deps.config.issuer}/oauth2/authorize/continue?interaction=${interaction.id}`, 303);
  });

  app.get<{ Querystring: Query }>('/oauth2/authorize/consent', async function consent(request, reply) {
    const { interaction, app: client, binding } = await boundInteraction(deps, request, single(request.query.interaction));
    const user = await deps.storage.users.get(interaction.userId!);
    const orgs = await memberships(deps, interaction.userId!);
    const orgId = effectiveOrganization(interaction, orgs);
    const html = consentPage({
      interactionId: interaction.id,
      csrf: csrfToken(deps, interaction.id, binding),
      appName: client.name,
      redirectHost: hostOf(interaction.request.redirectUri),
      scopes: interaction.request.scopes,
      organizationName: orgs.find((m) => m.organizationId === orgId)?.organizationName ?? null,
      userEmail: user?.email ?? '',
      consentOptions: interaction.consentOptions,
      optionsOnly: client.isFirstParty,
    });
    return sendPage(reply, 200, html);
  });

  app.post('/oauth2/authorize/consent', async function consentGiven(request, reply) {
    const form = pageForm(request);
    const { interaction, app: client, binding } = await boundInteraction(deps, request, form.get('interaction'));
    checkCsrf(deps, form, interaction.id, binding);
    const see = (url: string) => reply.code(303).header('cache-control', 'no-store').redirect(url, 303);
    if (form.get('decision') !== 'allow') return see(await denyAuthorization(deps, interaction));
    const claims: Record<string, string> = {};
    for (const option of interaction.consentOptions) {
      const value = form.get(`claim:${option.claim}`);
      if (value === undefined || !option.choices.some((c) => c.value === value)) throw new PageFailure(400, 'Choose an option', `Pick a value for "${option.label}".`);
      claims[option.claim] = value;
    }
    const orgId = effectiveOrganization(interaction, await memberships(deps, interaction.userId!));
    return see(await issueCode(deps, interaction, client, orgId, claims));
  });
}

function single(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function hostOf(uri: string): string {
  try {
    const u = new URL(uri);
    return u.host || `${u.protocol}${u.pathname}`;
  } catch {
    return uri;
  }
}
