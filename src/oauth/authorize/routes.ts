import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { applyCookies, browserOf } from '../../http/cookies.ts';
import type { SignedInInteraction } from '../../domain/authorization.ts';
import { requestMeta } from '../../http/request-meta.ts';
import { csrfMatches, csrfToken } from '../../pages/csrf.ts';
import { pageErrorHandler } from '../../pages/errors.ts';
import { PageFailure } from '../../domain/errors.ts';
import { consentPage, organizationPage, SWITCH_ACCOUNT_PATH, switchAccountPage, type ClientView } from '../../pages/templates.ts';
import type { Application } from '../../domain/application.ts';
import type { OAuthDeps } from '../deps.ts';
import { deviceConsentView } from '../device/approve.ts';
import { formOf, type Form } from '../../http/form.ts';
import {
  advance,
  boundInteraction,
  declineSwitch,
  denyAuthorization,
  effectiveOrganization,
  finishAuthorization,
  memberships,
  PAGE_CSRF,
  resumeAuthorization,
  restartWithAnotherAccount,
  resumeCsrf,
  startAuthorization,
} from './flow.ts';
import { validateAuthorizeRequest } from './request.ts';
import { errorRedirect } from './redirects.ts';
import type { FlowRedirect } from './flow.ts';
import { logoutPages } from './logout.ts';

type Query = Record<string, string | string[] | undefined>;

/** The form of a page POST (a page error when it has none). */
export function pageForm(request: FastifyRequest): Form {
  const form = formOf(request);
  if (!form) throw new PageFailure(400, 'Bad request', 'The form could not be read.');
  return form;
}

/** Sends a flow step's answer: its cookies, then the redirect (302 for GET, 303 for POST: RFC 9700 §4.12). */
export function sendStep(reply: FastifyReply, issuer: string, step: FlowRedirect, status: 302 | 303 = 302): FastifyReply {
  applyCookies(reply, issuer, step.cookies);
  return reply.code(status).header('cache-control', 'no-store').redirect(step.url, status);
}

/** Without the company's login page and without the development login nobody can sign in (issue #7). */
export function signInUnavailable(deps: OAuthDeps, reply: FastifyReply): FastifyReply | null {
  if (deps.config.loginUrl !== null || deps.config.devLogin.enabled) return null;
  return deps.pages.error(reply, 503, 'Sign-in is not configured', 'This server issues machine-to-machine tokens only: it has no login page (PORTICO_LOGIN_URL) and its development login is off. Ask its operator to configure one.');
}

/** Rejects a page POST whose CSRF token does not belong to this interaction and browser. */
function checkCsrf(deps: OAuthDeps, form: Form, interactionId: string, binding: string): void {
  if (!csrfMatches(deps.keyring, form.get('csrf'), PAGE_CSRF, interactionId, binding)) {
    throw new PageFailure(403, 'Request refused: the form expired or did not come from this page', 'Start again from the application.');
  }
}

const RESUME_STATE = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * The browser-facing part of the authorization server: /oauth2/authorize and
 * its organization and consent steps. POSTs answer 303 (never 307, RFC 9700
 * §4.12); pages carry frame-ancestors 'none' and no-store.
 */
export async function authorizePages(app: FastifyInstance, deps: OAuthDeps): Promise<void> {
  app.setErrorHandler(pageErrorHandler(deps.pages));
  const see = (reply: FastifyReply, url: string) => reply.code(303).header('cache-control', 'no-store').redirect(url, 303);
  const go = (reply: FastifyReply, step: FlowRedirect, status: 302 | 303 = 302) => sendStep(reply, deps.config.issuer, step, status);

  app.get<{ Querystring: Query }>('/oauth2/authorize', async function authorize(request, reply) {
    // Say so before anything is looked up or stored (issue #7).
    const unavailable = signInUnavailable(deps, reply);
    if (unavailable) return unavailable;
    const v = await validateAuthorizeRequest(deps, request.query, requestMeta(request));
    if (v.kind === 'page') return deps.pages.error(reply, v.status, v.title, v.message);
    if (v.kind === 'redirect') return reply.code(302).header('cache-control', 'no-store').redirect(errorRedirect(deps, v), 302);
    return go(reply, await startAuthorization(deps, browserOf(request), v.app, v.request));
  });

  const resumeState = (value: unknown): string => {
    if (typeof value !== 'string' || !RESUME_STATE.test(value)) throw new PageFailure(400, 'This sign-in link is no longer valid', 'Start again from the application.');
    return value;
  };

  app.get<{ Querystring: Query }>('/oauth2/authorize/complete', async function resume(request, reply) {
    const state = resumeState(request.query.state);
    const step = await resumeAuthorization(deps, browserOf(request), state, false);
    if (step.kind === 'redirect') return go(reply, step);
    const [current, next, client] = await Promise.all([
      deps.storage.users.get(step.currentUserId),
      deps.storage.users.get(step.interaction.userId),
      deps.storage.applications.find(step.interaction.applicationId),
    ]);
    return deps.pages.send(reply, 200, switchAccountPage({ state, csrf: step.csrf, appName: client?.name ?? 'the application', currentEmail: current?.email ?? 'another account', nextEmail: next?.email ?? 'a new account' }));
  });

  // The answer to "Continue as …?": switch (the old session ends) or keep the current one (the authorization ends).
  app.post('/oauth2/authorize/complete', async function resumeConfirmed(request, reply) {
    const form = pageForm(request);
    const state = resumeState(form.get('state'));
    const browser = browserOf(request);
    const { interactionId, binding } = await resumeCsrf(deps, browser, state);
    checkCsrf(deps, form, interactionId, binding);
    if (form.get('decision') !== 'switch') return see(reply, await declineSwitch(deps, browser, state));
    const step = await resumeAuthorization(deps, browser, state, true);
    if (step.kind !== 'redirect') throw new PageFailure(400, 'This sign-in link is no longer valid', 'Start again from the application.');
    return go(reply, step, 303);
  });

  app.get<{ Querystring: Query }>('/oauth2/authorize/continue', async function proceed(request, reply) {
    const { interaction, app: client } = await boundInteraction(deps, browserOf(request), single(request.query.interaction));
    return reply.header('cache-control', 'no-store').redirect(await advance(deps, interaction, client, requestMeta(request)), 302);
  });

  const chooser = async (reply: FastifyReply, status: number, interaction: SignedInInteraction, client: Application, binding: string, message?: string) => {
    const [orgs, user] = await Promise.all([memberships(deps, interaction.userId), deps.storage.users.get(interaction.userId)]);
    const view = organizationPage({
      interactionId: interaction.id,
      csrf: csrfToken(deps.keyring, PAGE_CSRF, interaction.id, binding),
      appName: client.name,
      userEmail: user?.email ?? '',
      organizations: orgs.map((m) => ({ id: m.organizationId, name: m.organizationName })),
      ...(message !== undefined && { message }),
    });
    return deps.pages.send(reply, status, view);
  };

  app.get<{ Querystring: Query }>('/oauth2/authorize/organization', async function chooseOrganization(request, reply) {
    const { interaction, app: client, binding } = await boundInteraction(deps, browserOf(request), single(request.query.interaction));
    return chooser(reply, 200, interaction, client, binding);
  });

  app.post('/oauth2/authorize/organization', async function organizationChosen(request, reply) {
    const form = pageForm(request);
    const { interaction, app: client, binding } = await boundInteraction(deps, browserOf(request), form.get('interaction'));
    checkCsrf(deps, form, interaction.id, binding);
    // Issue #14: the chooser has a way out; the client hears access_denied, as from Cancel on consent.
    if (form.get('decision') === 'cancel') return see(reply, await denyAuthorization(deps, interaction, requestMeta(request)));
    const chosen = form.get('organization_id');
    const orgs = await memberships(deps, interaction.userId);
    if (chosen === undefined || !orgs.some((m) => m.organizationId === chosen)) return chooser(reply, 400, interaction, client, binding, 'Choose one of your organizations to continue.');
    await deps.storage.interactions.selectOrganization(interaction.id, chosen);
    return see(reply, `${deps.config.issuer}/oauth2/authorize/continue?interaction=${interaction.id}`);
  });

  // Issue #14: "Signed in as … — not you?" on the chooser and the consent page.
  app.post(SWITCH_ACCOUNT_PATH, async function switchAccount(request, reply) {
    const form = pageForm(request);
    const browser = browserOf(request);
    const { interaction, app: client, binding } = await boundInteraction(deps, browser, form.get('interaction'));
    checkCsrf(deps, form, interaction.id, binding);
    return go(reply, await restartWithAnotherAccount(deps, browser, interaction, client), 303);
  });

  app.get<{ Querystring: Query }>('/oauth2/authorize/consent', async function consent(request, reply) {
    const { interaction, app: client, binding } = await boundInteraction(deps, browserOf(request), single(request.query.interaction));
    const user = await deps.storage.users.get(interaction.userId);
    const orgs = await memberships(deps, interaction.userId);
    const orgId = effectiveOrganization(interaction, orgs);
    const device = interaction.request.deviceAuthorizationId === null ? null : await deviceConsentView(deps, interaction);
    const html = consentPage({
      interactionId: interaction.id,
      csrf: csrfToken(deps.keyring, PAGE_CSRF, interaction.id, binding),
      client: clientView(client),
      redirectHost: hostOf(interaction.request.redirectUri),
      scopes: interaction.request.scopes.map((scope) => ({ scope, description: deps.pages.describeScope(scope) })),
      organizationName: orgs.find((m) => m.organizationId === orgId)?.organizationName ?? null,
      userEmail: user?.email ?? '',
      consentOptions: interaction.consentOptions,
      optionsOnly: client.isFirstParty && device === null,
      deviceUserCode: device?.userCode ?? null,
      provenance: client.dynamic === null ? null : client.dynamic.metadata.source === 'cimd' ? { kind: 'document', host: hostOf(client.clientId) } : { kind: 'registered' },
    });
    return deps.pages.send(reply, 200, html);
  });

  app.post('/oauth2/authorize/consent', async function consentGiven(request, reply) {
    const form = pageForm(request);
    const { interaction, app: client, binding } = await boundInteraction(deps, browserOf(request), form.get('interaction'));
    checkCsrf(deps, form, interaction.id, binding);
    if (form.get('decision') !== 'allow') return see(reply, await denyAuthorization(deps, interaction, requestMeta(request)));
    const claims: Record<string, string> = {};
    for (const option of interaction.consentOptions) {
      const value = form.get(`claim:${option.claim}`);
      if (value === undefined || !option.choices.some((c) => c.value === value)) throw new PageFailure(400, 'Choose an option', `Pick a value for "${option.label}".`);
      claims[option.claim] = value;
    }
    const orgId = effectiveOrganization(interaction, await memberships(deps, interaction.userId));
    return see(reply, await finishAuthorization(deps, interaction, client, orgId, claims, requestMeta(request)));
  });

  logoutPages(app, deps);
}

/** What the consent page may show about a client: dynamic clients bring RFC 7591 links and a logo. */
function clientView(client: Application): ClientView {
  const m = client.dynamic?.metadata;
  return { name: client.name, logoUri: m?.logoUri ?? null, clientUri: m?.clientUri ?? null, tosUri: m?.tosUri ?? null, policyUri: m?.policyUri ?? null };
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
