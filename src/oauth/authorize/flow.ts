import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Application } from '../../domain/application.ts';
import type { AuthorizationRequest, Interaction } from '../../domain/authorization.ts';
import { addressKey } from '../../domain/client-address.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { isSubset } from '../../domain/scopes.ts';
import { flowCookies, readCookie, setCookie } from '../../http/cookies.ts';
import { csrfToken } from '../../pages/csrf.ts';
import { PageFailure } from '../../pages/errors.ts';
import type { Membership } from '../../storage/port.ts';
import type { OAuthDeps } from '../deps.ts';
import { tokenDigest } from '../tokens/issue.ts';
import { responseRedirect } from './request.ts';

/** An authorization must be finished within ten minutes of /oauth2/authorize. */
export const INTERACTION_TTL_MS = 10 * 60_000;
/** A login session lasts eight hours. */
const SESSION_TTL_MS = 8 * 60 * 60_000;
/** Authorization codes are single-use and live one minute (OAuth 2.1 §4.1.2 recommends at most ten). */
export const CODE_TTL_MS = 60_000;
/** New authorizations are counted over one minute; a client_id may start this many times an address's limit. */
const RATE_WINDOW_MS = 60_000;
export const PER_CLIENT_FACTOR = 20;
/** CSRF purpose of the authorization pages (organization, consent, account switch). */
export const PAGE_CSRF = 'authorize';

const token = () => randomBytes(32).toString('base64url');
const digest = (deps: Pick<OAuthDeps, 'keyring'>, value: string) => deps.keyring.digest('session', value).toString('hex');

interface BrowserSession {
  readonly cookie: string;
  readonly userId: string;
  readonly authTime: Date;
}

/** The browser's live session, if any. */
export async function browserSession(deps: OAuthDeps, request: FastifyRequest): Promise<BrowserSession | null> {
  const cookie = readCookie(request, flowCookies(deps.config.issuer).session);
  if (cookie === null) return null;
  const found = await deps.storage.sessions.find(digest(deps, cookie), deps.clock.now());
  return found && { cookie, ...found };
}

/** Ends the browser's session (sign-out), on the server and in the browser. */
export async function endSession(deps: OAuthDeps, reply: FastifyReply, session: BrowserSession): Promise<void> {
  await deps.storage.sessions.delete(digest(deps, session.cookie));
  setCookie(reply, deps.config.issuer, flowCookies(deps.config.issuer).session, '', 0);
}

/**
 * Whether the browser's session may stand in for a sign-in: not with
 * prompt=login, not when it is older than max_age (OIDC Core §3.1.2.1; 0
 * means always sign in again), and not when id_token_hint names someone else.
 */
function sessionSatisfies(req: AuthorizationRequest, session: BrowserSession, now: Date): boolean {
  if (req.prompt.includes('login')) return false;
  if (req.maxAge !== null && now.getTime() - session.authTime.getTime() > req.maxAge * 1000) return false;
  if (req.maxAge === 0) return false;
  return req.hintedUserId === null || req.hintedUserId === session.userId;
}

/**
 * Starts an authorization: with a live session the user is known and the flow
 * continues at once; otherwise the browser goes to the company's login page
 * (Standalone Connect) or the development login, carrying `external_auth_id`
 * (and `login_hint` when the client sent one).
 */
export async function startAuthorization(deps: OAuthDeps, request: FastifyRequest, reply: FastifyReply, app: Application, req: AuthorizationRequest): Promise<string> {
  const now = deps.clock.now();
  const browser = await browserSession(deps, request);
  const session = browser && sessionSatisfies(req, browser, now) ? browser : null;
  if (req.prompt.includes('none') && session === null) {
    return responseRedirect(deps, req.redirectUri, { error: 'login_required', error_description: 'The user is not signed in.', state: req.state });
  }
  // A capability: whoever knows it can complete the sign-in, so it is 130 random bits, never a ULID (issue #7).
  const id = deps.ids.random(ID_PREFIX.externalAuth);
  // Bound to this browser from the start: a resume link (or page) opened in another browser is refused,
  // so nobody can log a victim into the attacker's account with their own link (login CSRF).
  const binding = token();
  const created = await deps.storage.interactions.create(
    {
      id,
      applicationId: app.id,
      request: req,
      at: now,
      expiresAt: new Date(now.getTime() + INTERACTION_TTL_MS),
      userId: session?.userId ?? null,
      authTime: session?.authTime ?? null,
      bindingDigest: digest(deps, binding),
      clientAddress: addressKey(request.ip),
    },
    { since: new Date(now.getTime() - RATE_WINDOW_MS), perAddress: deps.config.authorizeRateLimit, perApplication: deps.config.authorizeRateLimit * PER_CLIENT_FACTOR },
  );
  if (created !== 'created') {
    deps.metrics.inc('portico_authorize_throttled_total', { limit: created === 'address_limited' ? 'address' : 'client' });
    throw new PageFailure(429, 'Too many sign-in attempts', 'Too many sign-ins were started from here in the last minute. Wait a minute, then start again from the application.', { 'retry-after': String(RATE_WINDOW_MS / 1000) });
  }
  const cookies = flowCookies(deps.config.issuer);
  setCookie(reply, deps.config.issuer, cookies.binding(id), binding, INTERACTION_TTL_MS / 1000);
  if (session !== null) return advance(deps, (await deps.storage.interactions.get(id))!, app);
  const login = new URL(deps.config.loginUrl ?? `${deps.config.issuer}/dev/login`);
  login.searchParams.set('external_auth_id', id);
  if (req.loginHint !== null) login.searchParams.set('login_hint', req.loginHint);
  return login.toString();
}

/** What the browser's return from the login page leads to. */
export type ResumeStep =
  | { readonly kind: 'redirect'; readonly url: string }
  /** The browser is signed in as someone else: ask before replacing that session (issue #7). */
  | { readonly kind: 'confirm_switch'; readonly interaction: Interaction; readonly currentUserId: string; readonly csrf: string };

const invalidResume = () => new PageFailure(400, 'This sign-in link is no longer valid', 'It was already used, has expired, or was opened in another browser. Start again from the application.');

/** The interaction a resume link belongs to, provided this browser started it. */
async function resumable(deps: OAuthDeps, request: FastifyRequest, state: string): Promise<{ interaction: Interaction & { userId: string }; binding: string }> {
  const interaction = await deps.storage.interactions.findByResume(digest(deps, state), deps.clock.now());
  const binding = interaction && readCookie(request, flowCookies(deps.config.issuer).binding(interaction.id));
  if (!interaction || interaction.userId === null || !binding || interaction.bindingDigest !== digest(deps, binding)) throw invalidResume();
  return { interaction: { ...interaction, userId: interaction.userId }, binding };
}

/**
 * The browser returns from the company's login with the one-time link that
 * `/authkit/oauth2/complete` answered. It is spent here, only by the browser
 * that started the authorization, and a login session begins; the browser's
 * previous session ends (prompt=login, max_age, another user). When that
 * previous session belongs to another user, the user is asked first
 * (`confirmed` is the answer).
 */
export async function resumeAuthorization(deps: OAuthDeps, request: FastifyRequest, reply: FastifyReply, state: string, confirmed: boolean): Promise<ResumeStep> {
  const now = deps.clock.now();
  const { interaction, binding } = await resumable(deps, request, state);
  const previous = await browserSession(deps, request);
  if (previous && previous.userId !== interaction.userId && !confirmed) {
    return { kind: 'confirm_switch', interaction, currentUserId: previous.userId, csrf: csrfToken(deps.keyring, PAGE_CSRF, interaction.id, binding) };
  }
  if (!(await deps.storage.interactions.resume(interaction.id, digest(deps, state), digest(deps, binding), now))) throw invalidResume();
  if (previous) await deps.storage.sessions.delete(digest(deps, previous.cookie));
  const session = token();
  await deps.storage.sessions.create(digest(deps, session), interaction.userId, now, new Date(now.getTime() + SESSION_TTL_MS));
  setCookie(reply, deps.config.issuer, flowCookies(deps.config.issuer).session, session, SESSION_TTL_MS / 1000);
  const app = await deps.storage.applications.find(interaction.applicationId);
  if (!app) throw new PageFailure(400, 'Application removed', 'The application no longer exists.');
  return { kind: 'redirect', url: await advance(deps, interaction, app) };
}

/** The user kept their current session: the authorization ends, the client hears `access_denied`. */
export async function declineSwitch(deps: OAuthDeps, request: FastifyRequest, state: string): Promise<string> {
  const { interaction } = await resumable(deps, request, state);
  return denyAuthorization(deps, interaction);
}

/** The resume page's CSRF check: the token must belong to the interaction behind `state` and this browser. */
export async function resumeCsrf(deps: OAuthDeps, request: FastifyRequest, state: string): Promise<{ interactionId: string; binding: string }> {
  const { interaction, binding } = await resumable(deps, request, state);
  return { interactionId: interaction.id, binding };
}

/** Loads an interaction for a page step: it must belong to this browser, be live and have a user. */
export async function boundInteraction(deps: OAuthDeps, request: FastifyRequest, id: string | undefined): Promise<{ interaction: Interaction & { userId: string }; app: Application; binding: string }> {
  const interaction = id === undefined || id.length > 100 ? null : await deps.storage.interactions.get(id);
  const binding = interaction && readCookie(request, flowCookies(deps.config.issuer).binding(interaction.id));
  const expired = () => new PageFailure(400, 'This authorization has expired', 'Start again from the application.');
  if (!interaction || !binding || interaction.bindingDigest !== digest(deps, binding) || interaction.userId === null) throw expired();
  if (interaction.finishedAt !== null || interaction.expiresAt <= deps.clock.now()) throw expired();
  const app = await deps.storage.applications.find(interaction.applicationId);
  if (!app) throw expired();
  return { interaction: { ...interaction, userId: interaction.userId }, app, binding };
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
  const userId = interaction.userId!;
  const none = req.prompt.includes('none');
  const interactionRequired = (error: string, description: string) => responseRedirect(deps, req.redirectUri, { error, error_description: description, state: req.state });
  const orgs = await memberships(deps, userId);
  if (interaction.organizationId === null && (orgs.length > 1 || (req.prompt.includes('select_account') && orgs.length > 0))) {
    if (none) return interactionRequired('interaction_required', 'The user must choose an organization.');
    return `${deps.config.issuer}/oauth2/authorize/organization?interaction=${interaction.id}`;
  }
  const organizationId = effectiveOrganization(interaction, orgs);
  const existing = await deps.storage.consents.find({ userId, applicationId: app.id, organizationId, resource: req.resource });
  const needsConsent = !app.isFirstParty && (!existing || !isSubset(req.scopes, existing.grantedScopes) || req.prompt.includes('consent'));
  if (needsConsent || interaction.consentOptions.length > 0) {
    if (none) return interactionRequired('consent_required', 'The user must approve this application.');
    return `${deps.config.issuer}/oauth2/authorize/consent?interaction=${interaction.id}`;
  }
  return issueCode(deps, { ...interaction, userId }, app, organizationId, existing?.claims ?? {});
}

/**
 * Finishes the interaction (once), records the consent and returns the
 * redirect carrying a single-use code bound to client, redirect URI, PKCE
 * challenge, nonce and resource.
 */
export async function issueCode(deps: OAuthDeps, interaction: Interaction & { userId: string }, app: Application, organizationId: string | null, claims: Readonly<Record<string, string>>): Promise<string> {
  const now = deps.clock.now();
  const req = interaction.request;
  const code = token();
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.interactions.finish(interaction.id, now))) throw new PageFailure(400, 'This authorization has expired', 'Start again from the application.');
    const consent = await tx.consents.grant(
      { userId: interaction.userId, applicationId: app.id, organizationId, resource: req.resource },
      { newId: deps.ids(ID_PREFIX.authorizedApplication), scopes: req.scopes, claims, at: now },
    );
    await tx.codes.create({
      digest: tokenDigest(deps, code),
      clientId: app.clientId,
      userId: interaction.userId,
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
