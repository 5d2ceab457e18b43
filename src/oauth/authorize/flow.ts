import type { Application } from '../../domain/application.ts';
import { isSignedIn, type AuthorizationRequest, type Interaction, type SignedInInteraction } from '../../domain/authorization.ts';
import { addressKey } from '../../domain/client-address.ts';
import { PageFailure } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import { randomToken } from '../../domain/random.ts';
import type { RequestMeta } from '../../domain/request-meta.ts';
import { isSubset } from '../../domain/scopes.ts';
import { flowCookies, type SetCookie } from '../../http/cookie-names.ts';
import { csrfToken } from '../../pages/csrf.ts';
import type { Membership } from '../../storage/port.ts';
import type { OAuthDeps } from '../deps.ts';
import { approveDevice, denyDevice } from '../device/approve.ts';
import { tokenDigest } from '../tokens/issue.ts';
import { grantConsent, recordDenied } from './events.ts';
import { responseRedirect } from './redirects.ts';

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

/** What the flow needs (issue #9: values in, values out; no HTTP objects). */
export type FlowDeps = Pick<OAuthDeps, 'config' | 'storage' | 'keyring' | 'clock' | 'ids' | 'random' | 'metrics'>;

/** The browser behind a flow step, as plain values: its cookies and where it connects from. */
export interface Browser {
  cookie(name: string): string | null;
  readonly meta: RequestMeta;
}

/** A step's answer: where the browser goes next, and the cookies to set on the way. */
export interface FlowRedirect {
  readonly kind: 'redirect';
  readonly url: string;
  readonly cookies: readonly SetCookie[];
}

const redirect = (url: string, cookies: readonly SetCookie[] = []): FlowRedirect => ({ kind: 'redirect', url, cookies });
const digest = (deps: Pick<OAuthDeps, 'keyring'>, value: string) => deps.keyring.digest('session', value).toString('hex');

interface BrowserSession {
  readonly cookie: string;
  readonly userId: string;
  readonly authTime: Date;
}

/** The browser's live session, if any. */
export async function browserSession(deps: FlowDeps, browser: Browser): Promise<BrowserSession | null> {
  const cookie = browser.cookie(flowCookies(deps.config.issuer).session);
  if (cookie === null) return null;
  const found = await deps.storage.sessions.find(digest(deps, cookie), deps.clock.now());
  return found && { cookie, ...found };
}

/** Ends a session (sign-out) on the server; returns the cookie that clears it in the browser. */
export async function endSession(deps: FlowDeps, session: BrowserSession): Promise<SetCookie> {
  await deps.storage.sessions.delete(digest(deps, session.cookie));
  return { name: flowCookies(deps.config.issuer).session, value: '', maxAgeSeconds: 0 };
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
 * (and `login_hint` when the client sent one). A device sign-in (`/device`)
 * passes its code's expiry: the interaction must not outlive it.
 */
export async function startAuthorization(deps: FlowDeps, browser: Browser, app: Application, req: AuthorizationRequest, expiresAt?: Date): Promise<FlowRedirect> {
  const now = deps.clock.now();
  const found = await browserSession(deps, browser);
  const session = found && sessionSatisfies(req, found, now) ? found : null;
  if (req.prompt.includes('none') && session === null) {
    return redirect(responseRedirect(deps, req.redirectUri, { error: 'login_required', error_description: 'The user is not signed in.', state: req.state }));
  }
  // A capability: whoever knows it can complete the sign-in, so it is 130 random bits, never a ULID (issue #7).
  const id = deps.ids.random(ID_PREFIX.externalAuth);
  // Bound to this browser from the start: a resume link (or page) opened in another browser is refused,
  // so nobody can log a victim into the attacker's account with their own link (login CSRF).
  const binding = randomToken(deps.random);
  const created = await deps.storage.interactions.create(
    {
      id,
      applicationId: app.id,
      request: req,
      at: now,
      expiresAt: expiresAt ?? new Date(now.getTime() + INTERACTION_TTL_MS),
      userId: session?.userId ?? null,
      authTime: session?.authTime ?? null,
      bindingDigest: digest(deps, binding),
      clientAddress: addressKey(browser.meta.ip),
    },
    { since: new Date(now.getTime() - RATE_WINDOW_MS), perAddress: deps.config.authorizeRateLimit, perApplication: deps.config.authorizeRateLimit * PER_CLIENT_FACTOR },
  );
  if (created !== 'created') {
    deps.metrics.inc('portico_authorize_throttled_total', { limit: created === 'address_limited' ? 'address' : 'client' });
    throw new PageFailure(429, 'Too many sign-in attempts', 'Too many sign-ins were started from here in the last minute. Wait a minute, then start again from the application.', { 'retry-after': String(RATE_WINDOW_MS / 1000) });
  }
  const bindingCookie: SetCookie = { name: flowCookies(deps.config.issuer).binding(id), value: binding, maxAgeSeconds: INTERACTION_TTL_MS / 1000 };
  if (session !== null) {
    const interaction = await deps.storage.interactions.get(id);
    if (!interaction || !isSignedIn(interaction)) throw expiredAuthorization();
    return redirect(await advance(deps, interaction, app, browser.meta), [bindingCookie]);
  }
  const login = new URL(deps.config.loginUrl ?? `${deps.config.issuer}/dev/login`);
  login.searchParams.set('external_auth_id', id);
  if (req.loginHint !== null) login.searchParams.set('login_hint', req.loginHint);
  return redirect(login.toString(), [bindingCookie]);
}

/**
 * "Not you?" (issue #14): the browser's session ends and the same
 * authorization starts again, so the login page comes next. The old
 * interaction is finished (its pages stop working) and its binding cookie
 * cleared; a device sign-in keeps its code's expiry. The login hint is
 * dropped: it named the account the user just said is not theirs.
 */
export async function restartWithAnotherAccount(deps: FlowDeps, browser: Browser, interaction: SignedInInteraction, app: Application): Promise<FlowRedirect> {
  const cookies: SetCookie[] = [];
  const session = await browserSession(deps, browser);
  if (session) cookies.push(await endSession(deps, session));
  if (!(await deps.storage.interactions.finish(interaction.id, deps.clock.now()))) throw expiredAuthorization();
  cookies.push({ name: flowCookies(deps.config.issuer).binding(interaction.id), value: '', maxAgeSeconds: 0 });
  const request: AuthorizationRequest = { ...interaction.request, loginHint: null };
  const signedOut: Browser = { cookie: (name) => (name === flowCookies(deps.config.issuer).session ? null : browser.cookie(name)), meta: browser.meta };
  const device = interaction.request.deviceAuthorizationId !== null;
  const next = await startAuthorization(deps, signedOut, app, request, device ? interaction.expiresAt : undefined);
  return redirect(next.url, [...cookies, ...next.cookies]);
}

/** The browser is signed in as someone else: ask before replacing that session (issue #7). */
export interface ConfirmSwitch {
  readonly kind: 'confirm_switch';
  readonly interaction: SignedInInteraction;
  readonly currentUserId: string;
  readonly csrf: string;
}

const invalidResume = () => new PageFailure(400, 'This sign-in link is no longer valid', 'It was already used, has expired, or was opened in another browser. Start again from the application.');
const expiredAuthorization = () => new PageFailure(400, 'This authorization has expired', 'Start again from the application.');

/** The interaction a resume link belongs to, provided this browser started it. */
async function resumable(deps: FlowDeps, browser: Browser, state: string): Promise<{ interaction: SignedInInteraction; binding: string }> {
  const interaction = await deps.storage.interactions.findByResume(digest(deps, state), deps.clock.now());
  const binding = interaction && browser.cookie(flowCookies(deps.config.issuer).binding(interaction.id));
  if (!interaction || !isSignedIn(interaction) || !binding || interaction.bindingDigest !== digest(deps, binding)) throw invalidResume();
  return { interaction, binding };
}

/**
 * The browser returns from the company's login with the one-time link that
 * `/authkit/oauth2/complete` answered. It is spent here, only by the browser
 * that started the authorization, and a login session begins; the browser's
 * previous session ends (prompt=login, max_age, another user). When that
 * previous session belongs to another user, the user is asked first
 * (`confirmed` is the answer).
 */
export async function resumeAuthorization(deps: FlowDeps, browser: Browser, state: string, confirmed: boolean): Promise<FlowRedirect | ConfirmSwitch> {
  const now = deps.clock.now();
  const { interaction, binding } = await resumable(deps, browser, state);
  const previous = await browserSession(deps, browser);
  if (previous && previous.userId !== interaction.userId && !confirmed) {
    return { kind: 'confirm_switch', interaction, currentUserId: previous.userId, csrf: csrfToken(deps.keyring, PAGE_CSRF, interaction.id, binding) };
  }
  if (!(await deps.storage.interactions.resume(interaction.id, digest(deps, state), digest(deps, binding), now))) throw invalidResume();
  if (previous) await deps.storage.sessions.delete(digest(deps, previous.cookie));
  const session = randomToken(deps.random);
  await deps.storage.sessions.create(digest(deps, session), interaction.userId, now, new Date(now.getTime() + SESSION_TTL_MS));
  const app = await deps.storage.applications.find(interaction.applicationId);
  if (!app) throw new PageFailure(400, 'Application removed', 'The application no longer exists.');
  return redirect(await advance(deps, interaction, app, browser.meta), [{ name: flowCookies(deps.config.issuer).session, value: session, maxAgeSeconds: SESSION_TTL_MS / 1000 }]);
}

/** The user kept their current session: the authorization ends, the client hears `access_denied`. */
export async function declineSwitch(deps: FlowDeps, browser: Browser, state: string): Promise<string> {
  const { interaction } = await resumable(deps, browser, state);
  return denyAuthorization(deps, interaction, browser.meta);
}

/** What the resume page's CSRF check compares against: the interaction behind `state` and this browser's binding. */
export async function resumeCsrf(deps: FlowDeps, browser: Browser, state: string): Promise<{ interactionId: string; binding: string }> {
  const { interaction, binding } = await resumable(deps, browser, state);
  return { interactionId: interaction.id, binding };
}

/** Loads an interaction for a page step: it must belong to this browser, be live and have a user. */
export async function boundInteraction(deps: FlowDeps, browser: Browser, id: string | undefined): Promise<{ interaction: SignedInInteraction; app: Application; binding: string }> {
  const interaction = id === undefined || id.length > 100 ? null : await deps.storage.interactions.get(id);
  const binding = interaction && browser.cookie(flowCookies(deps.config.issuer).binding(interaction.id));
  if (!interaction || !binding || interaction.bindingDigest !== digest(deps, binding) || !isSignedIn(interaction)) throw expiredAuthorization();
  if (interaction.finishedAt !== null || interaction.expiresAt <= deps.clock.now()) throw expiredAuthorization();
  const app = await deps.storage.applications.find(interaction.applicationId);
  if (!app) throw expiredAuthorization();
  return { interaction, app, binding };
}

export async function memberships(deps: Pick<OAuthDeps, 'storage'>, userId: string): Promise<Membership[]> {
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
export async function advance(deps: FlowDeps, interaction: SignedInInteraction, app: Application, meta: RequestMeta): Promise<string> {
  const req = interaction.request;
  const none = req.prompt.includes('none');
  const interactionRequired = (error: string, description: string) => responseRedirect(deps, req.redirectUri, { error, error_description: description, state: req.state });
  const orgs = await memberships(deps, interaction.userId);
  if (interaction.organizationId === null && (orgs.length > 1 || (req.prompt.includes('select_account') && orgs.length > 0))) {
    if (none) return interactionRequired('interaction_required', 'The user must choose an organization.');
    return `${deps.config.issuer}/oauth2/authorize/organization?interaction=${interaction.id}`;
  }
  const organizationId = effectiveOrganization(interaction, orgs);
  const existing = await deps.storage.consents.find({ userId: interaction.userId, applicationId: app.id, organizationId, resource: req.resource });
  const needsConsent = !app.isFirstParty && (!existing || !isSubset(req.scopes, existing.grantedScopes) || req.prompt.includes('consent'));
  // RFC 8628 §5.4: a device sign-in always asks, showing the code, even for first-party apps: a code
  // relayed by a phisher must be told apart from the one on the user's own device.
  if (needsConsent || interaction.consentOptions.length > 0 || req.deviceAuthorizationId !== null) {
    if (none) return interactionRequired('consent_required', 'The user must approve this application.');
    return `${deps.config.issuer}/oauth2/authorize/consent?interaction=${interaction.id}`;
  }
  return issueCode(deps, interaction, app, organizationId, existing?.claims ?? {}, meta);
}

/**
 * Finishes the interaction (once), records the consent and returns the
 * redirect carrying a single-use code bound to client, redirect URI, PKCE
 * challenge, nonce and resource. Its events (issue #13) go in the same transaction.
 */
export async function issueCode(
  deps: FlowDeps,
  interaction: SignedInInteraction,
  app: Application,
  organizationId: string | null,
  claims: Readonly<Record<string, string>>,
  meta: RequestMeta,
): Promise<string> {
  const now = deps.clock.now();
  const req = interaction.request;
  const code = randomToken(deps.random);
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.interactions.finish(interaction.id, now))) throw expiredAuthorization();
    const key = { userId: interaction.userId, applicationId: app.id, organizationId, resource: req.resource };
    const consent = await grantConsent(tx, deps, meta, app, key, { scopes: req.scopes, claims, at: now });
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

/** The user approved: a code for the client, or for a device sign-in the device authorization approved. */
export async function finishAuthorization(
  deps: FlowDeps,
  interaction: SignedInInteraction,
  app: Application,
  organizationId: string | null,
  claims: Readonly<Record<string, string>>,
  meta: RequestMeta,
): Promise<string> {
  if (interaction.request.deviceAuthorizationId !== null) return approveDevice(deps, interaction, app, organizationId, claims, meta);
  return issueCode(deps, interaction, app, organizationId, claims, meta);
}

/** The user declined: the interaction ends (its event with it, once) and the client (or the polling device) hears `access_denied`. */
export async function denyAuthorization(deps: FlowDeps, interaction: Interaction, meta: RequestMeta): Promise<string> {
  if (interaction.request.deviceAuthorizationId !== null) return denyDevice(deps, interaction, meta);
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.interactions.finish(interaction.id, deps.clock.now()))) return;
    const app = await tx.applications.find(interaction.applicationId);
    if (app) await recordDenied(tx, deps, meta, app, interaction);
  });
  const req = interaction.request;
  return responseRedirect(deps, req.redirectUri, { error: 'access_denied', error_description: 'The user declined the request.', state: req.state });
}
