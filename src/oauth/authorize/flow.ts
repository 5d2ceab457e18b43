import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Application } from '../../domain/application.ts';
import type { AuthorizationRequest, Interaction } from '../../domain/authorization.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { isSubset } from '../../domain/scopes.ts';
import type { Membership } from '../../storage/port.ts';
import type { OAuthDeps } from '../deps.ts';
import { tokenDigest } from '../tokens/issue.ts';
import { bindingCookie, readCookie, SESSION_COOKIE, setCookie } from './cookies.ts';
import { responseRedirect } from './request.ts';

/** An authorization must be finished within ten minutes of /oauth2/authorize. */
export const INTERACTION_TTL_MS = 10 * 60_000;
/** A login session lasts eight hours. */
const SESSION_TTL_MS = 8 * 60 * 60_000;
/** Authorization codes are single-use and live one minute (OAuth 2.1 §4.1.2 recommends at most ten). */
export const CODE_TTL_MS = 60_000;

/** Raised for failures shown as an HTML page (never redirected). */
export class PageFailure extends Error {
  readonly status: number;
  readonly title: string;
  constructor(status: number, title: string, message: string) {
    super(message);
    this.status = status;
    this.title = title;
  }
}

const token = () => randomBytes(32).toString('base64url');
const digest = (deps: OAuthDeps, value: string) => deps.keyring.digest('session', value).toString('hex');

/** The user of the browser's live session and when they logged in, if any. */
export async function sessionUser(deps: OAuthDeps, request: FastifyRequest): Promise<{ userId: string; authTime: Date } | null> {
  const value = readCookie(request, SESSION_COOKIE);
  return value === null ? null : deps.storage.sessions.find(digest(deps, value), deps.clock.now());
}

/**
 * Starts an authorization: with a live session the user is known and the flow
 * continues at once; otherwise the browser goes to the company's login page
 * (Standalone Connect) or the development login, carrying `external_auth_id`.
 */
export async function startAuthorization(deps: OAuthDeps, request: FastifyRequest, reply: FastifyReply, app: Application, req: AuthorizationRequest): Promise<string> {
  const now = deps.clock.now();
  const session = req.prompt.includes('login') ? null : await sessionUser(deps, request);
  if (req.prompt.includes('none') && session === null) {
    return responseRedirect(deps, req.redirectUri, { error: 'login_required', error_description: 'The user is not signed in.', state: req.state });
  }
  if (session === null && deps.config.loginUrl === null && deps.config.production) {
    throw new PageFailure(503, 'Sign-in is not configured', 'This server has no login page (PORTICO_LOGIN_URL) and the development login is off in production.');
  }
  const id = deps.ids(ID_PREFIX.externalAuth);
  // Bound to this browser from the start: a resume link (or page) opened in another browser is refused,
  // so nobody can log a victim into the attacker's account with their own link (login CSRF).
  const binding = token();
  await deps.storage.interactions.create({
    id,
    applicationId: app.id,
    request: req,
    at: now,
    expiresAt: new Date(now.getTime() + INTERACTION_TTL_MS),
    userId: session?.userId ?? null,
    authTime: session?.authTime ?? null,
    bindingDigest: digest(deps, binding),
  });
  setCookie(reply, deps.config.issuer, bindingCookie(id), binding, INTERACTION_TTL_MS / 1000, '/oauth2/authorize');
  if (session !== null) return advance(deps, (await deps.storage.interactions.get(id))!, app);
  const login = new URL(deps.config.loginUrl ?? `${deps.config.issuer}/dev/login`);
  login.searchParams.set('external_auth_id', id);
  return login.toString();
}

/**
 * The browser returns from the company's login with the one-time link that
 * `/authkit/oauth2/complete` answered. It is spent here, only by the browser
 * that started the authorization, and a login session begins.
 */
export async function resumeAuthorization(deps: OAuthDeps, request: FastifyRequest, reply: FastifyReply, state: string): Promise<string> {
  const now = deps.clock.now();
  const invalid = () => new PageFailure(400, 'This sign-in link is no longer valid', 'It was already used, has expired, or was opened in another browser. Start again from the application.');
  const resumeDigest = digest(deps, state);
  const interaction = await deps.storage.interactions.findByResume(resumeDigest, now);
  const binding = interaction && readCookie(request, bindingCookie(interaction.id));
  if (!interaction || interaction.userId === null || !binding) throw invalid();
  if (!(await deps.storage.interactions.resume(interaction.id, resumeDigest, digest(deps, binding), now))) throw invalid();
  const session = token();
  await deps.storage.sessions.create(digest(deps, session), interaction.userId, now, new Date(now.getTime() + SESSION_TTL_MS));
  setCookie(reply, deps.config.issuer, SESSION_COOKIE, session, SESSION_TTL_MS / 1000, '/');
  const app = await deps.storage.applications.find(interaction.applicationId);
  if (!app) throw new PageFailure(400, 'Application removed', 'The application no longer exists.');
  return advance(deps, interaction, app);
}

/** Loads an interaction for a page step: it must belong to this browser, be live and have a user. */
export async function boundInteraction(deps: OAuthDeps, request: FastifyRequest, id: string | undefined): Promise<{ interaction: Interaction; app: Application; binding: string }> {
  const interaction = id === undefined || id.length > 100 ? null : await deps.storage.interactions.get(id);
  const binding = interaction && readCookie(request, bindingCookie(interaction.id));
  const expired = () => new PageFailure(400, 'This authorization has expired', 'Start again from the application.');
  if (!interaction || !binding || interaction.bindingDigest !== digest(deps, binding) || interaction.userId === null) throw expired();
  if (interaction.finishedAt !== null || interaction.expiresAt <= deps.clock.now()) throw expired();
  const app = await deps.storage.applications.find(interaction.applicationId);
  if (!app) throw expired();
  return { interaction, app, binding };
}

/** CSRF token of a page step: a MAC of the interaction and the browser binding. */
export function csrfToken(deps: OAuthDeps, interactionId: string, binding: string): string {
  return deps.keyring.digest('session', `csrf\u0000${interactionId}\u0000${binding}`).toString('base64url');
}

export async function memberships(deps: OAuthDeps, userId: string): Promise<Membership[]> {
  return (await deps.storage.memberships.list({ limit: 100, order: 'asc' }, { userId })).data;
}

/** The organization the tokens will carry: chosen, or the only one. */
export function effectiveOrganization(interaction: Interaction, orgs: readonly Membership[]): string | null {
  return interaction.organizationId ?? (orgs.length === 1 ? orgs[0]!.organizationId : null);
}

/**
 * The next step of an authorization, as the URL to send the browser to:
 * organization choice (several memberships), consent (third-party apps on
 * first use or when asking for more; consent options), or the client with a code.
 */
export async function advance(deps: OAuthDeps, interaction: Interaction, app: Application): Promise<string> {
  const req = interaction.request;
  const none = req.prompt.includes('none');
  const interactionRequired = (error: string, description: string) => responseRedirect(deps, req.redirectUri, { error, error_description: description, state: req.state });
  const orgs = await memberships(deps, interaction.userId!);
  if (interaction.organizationId === null && (orgs.length > 1 || (req.prompt.includes('select_account') && orgs.length > 0))) {
    if (none) return interactionRequired('interaction_required', 'The user must choose an organization.');
    return `${deps.config.issuer}/oauth2/authorize/organization?interaction=${interaction.id}`;
  }
  const organizationId = effectiveOrganization(interaction, orgs);
  const existing = await deps.storage.consents.find({ userId: interaction.userId!, applicationId: app.id, organizationId, resource: req.resource });
  const needsConsent = !app.isFirstParty && (!existing || !isSubset(req.scopes, existing.grantedScopes) || req.prompt.includes('consent'));
  if (needsConsent || interaction.consentOptions.length > 0) {
    if (none) return interactionRequired('consent_required', 'The user must approve this application.');
    return `${deps.config.issuer}/oauth2/authorize/consent?interaction=${interaction.id}`;
  }
  return issueCode(deps, interaction, app, organizationId, existing?.claims ?? {});
}

/**
 * Finishes the interaction (once), records the consent and returns the
 * redirect carrying a single-use code bound to client, redirect URI, PKCE
 * challenge, nonce and resource.
 */
export async function issueCode(deps: OAuthDeps, interaction: Interaction, app: Application, organizationId: string | null, claims: Readonly<Record<string, string>>): Promise<string> {
  const now = deps.clock.now();
  const req = interaction.request;
  const code = token();
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.interactions.finish(interaction.id, now))) throw new PageFailure(400, 'This authorization has expired', 'Start again from the application.');
    const consent = await tx.consents.grant(
      { userId: interaction.userId!, applicationId: app.id, organizationId, resource: req.resource },
      { newId: deps.ids(ID_PREFIX.authorizedApplication), scopes: req.scopes, claims, at: now },
    );
    await tx.codes.create({
      digest: tokenDigest(deps, code),
      clientId: app.clientId,
      userId: interaction.userId!,
      consentId: consent.id,
      scopes: req.scopes,
      resource: req.resource,
      organizationId,
      claims,
      authTime: interaction.completedAt ?? now,
      redirectUri: req.redirectUriGiven ? req.redirectUri : null,
      nonce: req.nonce,
      codeChallenge: req.codeChallenge,
      expiresAt: new Date(now.getTime() + CODE_TTL_MS),
    });
  });
  return responseRedirect(deps, req.redirectUri, { code, state: req.state });
}

/** The user declined: the interaction ends and the client hears `access_denied`. */
export async function denyAuthorization(deps: OAuthDeps, interaction: Interaction): Promise<string> {
  await deps.storage.interactions.finish(interaction.id, deps.clock.now());
  const req = interaction.request;
  return responseRedirect(deps, req.redirectUri, { error: 'access_denied', error_description: 'The user declined the request.', state: req.state });
}
