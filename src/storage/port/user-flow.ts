import type { Application } from '../../domain/application.ts';
import type { ClientMetadata } from '../../domain/client-metadata.ts';
import type { RedirectUri } from '../../domain/redirect-uri.ts';
import type { AuthorizationCode, AuthorizationRequest, Consent, Grant, Interaction, RefreshToken } from '../../domain/authorization.ts';
import type { DeviceAuthorization } from '../../domain/device.ts';
import type { ConsentOption, User } from '../../domain/user.ts';
import type { Page, PageRequest } from '../../domain/pagination.ts';

/**
 * The user side of the storage port (re-exported by port.ts): users and their
 * memberships, sign-in interactions and sessions, consents, authorization
 * codes and refresh tokens, dynamically registered clients, device
 * authorizations. Split from port.ts, which keeps the registry (organizations,
 * applications, secrets, keys) and the aggregate `Repositories`.
 */

export interface UserUpsert {
  /** ID to use when the user is new. */
  readonly newId: string;
  readonly externalId: string;
  readonly email: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
  /** Null leaves existing metadata as it is. */
  readonly metadata: Record<string, string> | null;
  readonly at: Date;
}

export interface UserRepository {
  /**
   * A sign-in the company vouched for: creates or updates by external ID and
   * stamps `last_sign_in_at = at`. Throws UniqueViolationError('email') when
   * another user has the email.
   */
  upsertByExternalId(input: UserUpsert): Promise<{ user: User; created: boolean }>;
  get(id: string): Promise<User | null>;
  findByExternalId(externalId: string): Promise<User | null>;
}

export interface Membership {
  readonly id: string;
  readonly userId: string;
  readonly organizationId: string;
  readonly organizationName: string;
  readonly user: User;
  readonly status: 'active';
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface MembershipRepository {
  /** Null when the user or organization does not exist; the existing one when already a member. */
  create(m: { id: string; userId: string; organizationId: string; at: Date }): Promise<Membership | null>;
  get(id: string): Promise<Membership | null>;
  exists(userId: string, organizationId: string): Promise<boolean>;
  list(page: PageRequest, filter: { userId?: string; organizationId?: string }): Promise<Page<Membership>>;
  delete(id: string): Promise<boolean>;
}

export interface NewInteraction {
  readonly id: string;
  readonly applicationId: string;
  readonly request: AuthorizationRequest;
  readonly at: Date;
  readonly expiresAt: Date;
  /** Set when the browser already has a session: the login step is skipped. */
  readonly userId: string | null;
  /** When that session's user authenticated (the ID token's auth_time). */
  readonly authTime: Date | null;
  /** Digest of the cookie that binds the interaction to the browser that started it. */
  readonly bindingDigest: string;
  /** The address key (domain/client-address.ts) of the browser that started it. */
  readonly clientAddress: string;
}

export type CompleteResult = 'ok' | 'not_found' | 'already_completed';

/** Rate limits on starting interactions, counted over the interactions themselves. */
export interface InteractionLimits {
  /** Count interactions created after this instant. */
  readonly since: Date;
  readonly perAddress: number;
  readonly perApplication: number;
}

export type CreateInteractionResult = 'created' | 'address_limited' | 'application_limited';

export interface InteractionRepository {
  /**
   * Creates the interaction unless, since `limits.since`, its address or its
   * application already started as many as the limits allow (issue #7: no
   * unauthenticated request creates rows without bound).
   */
  create(i: NewInteraction, limits: InteractionLimits): Promise<CreateInteractionResult>;
  get(id: string): Promise<Interaction | null>;
  /** The company vouched for the user: once per interaction, before it expires. */
  complete(id: string, c: { userId: string; consentOptions: readonly ConsentOption[]; resumeDigest: string; at: Date }): Promise<CompleteResult>;
  /** The interaction a resume link belongs to (not yet resumed, not finished, not expired). */
  findByResume(resumeDigest: string, at: Date): Promise<Interaction | null>;
  /** Spends the resume link, once, and only from the browser that started the (unfinished) interaction. */
  resume(id: string, resumeDigest: string, bindingDigest: string, at: Date): Promise<boolean>;
  selectOrganization(id: string, organizationId: string): Promise<void>;
  /** Marks it finished (a code was issued or the user declined); true only the first time. */
  finish(id: string, at: Date): Promise<boolean>;
  purge(before: Date): Promise<number>;
}

export interface SessionRepository {
  create(digest: string, userId: string, at: Date, expiresAt: Date): Promise<void>;
  /** The user of a live session and when they logged in. */
  find(digest: string, now: Date): Promise<{ readonly userId: string; readonly authTime: Date } | null>;
  /** Ends a session (sign-out, or a new sign-in in the same browser). */
  delete(digest: string): Promise<void>;
  purge(now: Date): Promise<number>;
}

export interface ConsentKey {
  readonly userId: string;
  readonly applicationId: string;
  readonly organizationId: string | null;
  readonly resource: string | null;
}

export interface ConsentRepository {
  find(key: ConsentKey): Promise<Consent | null>;
  get(id: string): Promise<Consent | null>;
  /** Creates the consent or widens it: granted scopes become the union, claims are replaced. */
  grant(key: ConsentKey, g: { newId: string; scopes: readonly string[]; claims: Readonly<Record<string, string>>; at: Date }): Promise<Consent>;
  listByUser(userId: string, page: PageRequest): Promise<Page<Consent>>;
  /** Consents given for an organization (by its members, when they chose it), keyset-paginated on the consent ID. */
  listByOrganization(organizationId: string, page: PageRequest): Promise<Page<Consent>>;
  /** The consents members gave one application for an organization. */
  findForOrganization(organizationId: string, applicationId: string): Promise<Consent[]>;
  /** Deletes these consents (their refresh tokens and device authorizations go with them). */
  deleteMany(ids: readonly string[]): Promise<void>;
  /** The user's consents to one application (one per organization and resource). */
  findForApplication(userId: string, applicationId: string): Promise<Consent[]>;
}

export type ConsumeCodeResult =
  | { readonly outcome: 'consumed'; readonly code: AuthorizationCode }
  | { readonly outcome: 'reused'; readonly code: AuthorizationCode }
  /** Issued to another client: left as it was (RFC 6749 §4.1.3; issue #7). */
  | { readonly outcome: 'foreign' }
  | { readonly outcome: 'unknown' };

export interface AuthorizationCodeRepository {
  create(code: Omit<AuthorizationCode, 'consumedAt' | 'familyId' | 'accessJti' | 'accessExp'>): Promise<void>;
  /**
   * Single use, atomically: the first call by the client the code was issued
   * to consumes it and records, in the same statement, the refresh family and
   * access token it is about to issue, so a concurrent reuse already knows
   * what to revoke. Another client's attempt changes nothing.
   */
  consume(digest: string, clientId: string, at: Date, issues: { familyId: string; accessJti: string; accessExp: Date }): Promise<ConsumeCodeResult>;
  purge(before: Date): Promise<number>;
}

export interface IssuedAccessToken {
  readonly jti: string;
  readonly exp: Date;
}

export type RotateResult =
  | { readonly outcome: 'rotated' }
  /** The immediately previous token, inside the grace window: the same successor again. */
  | { readonly outcome: 'grace'; readonly previous: RefreshToken; readonly successorSealed: Buffer }
  /** A rotated or revoked token came back: the family must die. */
  | { readonly outcome: 'reused'; readonly previous: RefreshToken }
  | { readonly outcome: 'unknown' };

export interface RefreshTokenRepository {
  create(t: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'>): Promise<void>;
  find(digest: string): Promise<RefreshToken | null>;
  /**
   * Rotates atomically: marks `digest` rotated and inserts `successor` in one
   * transaction; only one of any number of concurrent callers succeeds.
   * `successorSealed` is kept for `graceMs` so a retry of the same old token
   * gets the same successor (0 disables the grace window).
   */
  rotate(digest: string, successor: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'>, successorSealed: Buffer | null, at: Date, graceMs: number): Promise<RotateResult>;
  /** Revokes every live token of the family; returns the unexpired access tokens issued with them. */
  revokeFamily(familyId: string, at: Date): Promise<IssuedAccessToken[]>;
  /** Revokes every token of these consents; returns their unexpired access tokens. */
  revokeForConsents(consentIds: readonly string[], at: Date): Promise<IssuedAccessToken[]>;
  /** Records a new access token on a live refresh token; returns the one it replaces. */
  replaceAccess(digest: string, access: IssuedAccessToken): Promise<IssuedAccessToken | null>;
  purge(before: Date): Promise<number>;
}

/** What a dynamic client's registration or metadata document decides (issue #10). */
export interface DynamicClientFields {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly redirectUris: readonly RedirectUri[];
  readonly usesPkce: boolean;
  readonly metadata: ClientMetadata;
}

export interface NewDynamicClient extends DynamicClientFields {
  readonly id: string;
  readonly clientId: string;
  readonly metadataExpiresAt: Date | null;
  /** RFC 7592 registration access token (digest); null for metadata-document clients. */
  readonly registrationTokenDigest: string | null;
  readonly clientAddress: string;
  readonly at: Date;
}

export interface DynamicClientRepository {
  /** Creates the client unless its address created `perAddress` of them since `since` (no unbounded rows). */
  register(c: NewDynamicClient, limits: { readonly since: Date; readonly perAddress: number }): Promise<{ outcome: 'created'; application: Application } | { outcome: 'address_limited' }>;
  /** Replaces what the registration (RFC 7592 PUT) or a re-fetched document decides. Null when unknown. */
  update(clientId: string, fields: DynamicClientFields, metadataExpiresAt: Date | null, at: Date): Promise<Application | null>;
  /** The digest of a registered client's RFC 7592 registration access token. */
  registrationTokenDigest(clientId: string): Promise<string | null>;
  /** Stamps that a token was issued to it (coalesced like `last_used_at` of secrets). */
  markUsed(applicationId: string, at: Date, staleBefore: Date): Promise<void>;
  /** Deletes dynamic clients created before `createdBefore` to which no token was ever issued. */
  purgeUnused(createdBefore: Date): Promise<number>;
  /** Spends an RFC 7523 client assertion's `jti` (per client): false when it was used before. */
  useAssertion(key: string, expiresAt: Date): Promise<boolean>;
  purgeAssertions(now: Date): Promise<number>;
}

/** A device authorization as created (RFC 8628 §3.2); digests only, the user code also sealed. */
export interface NewDeviceAuthorization {
  readonly id: string;
  /** Digest of the device code (tokens/issue.ts `tokenDigest`). */
  readonly digest: string;
  /** Digest of the normalised user code: how `/device` finds it. */
  readonly userCodeDigest: string;
  readonly userCodeSealed: Buffer;
  readonly applicationId: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly resource: string | null;
  /** The address key (domain/client-address.ts) that asked for it: the per-address limit counts these. */
  readonly clientAddress: string;
  readonly at: Date;
  readonly expiresAt: Date;
  readonly intervalSeconds: number;
}

export interface DeviceAuthorizationRepository {
  /**
   * Creates it unless, since `limits.since`, its address or its application
   * already created as many as the limits allow (issue #7, counted over the
   * rows like interactions). Throws UniqueViolationError('user_code_digest')
   * when the user code is taken (the caller draws another).
   */
  create(d: NewDeviceAuthorization, limits: InteractionLimits): Promise<CreateInteractionResult>;
  get(id: string): Promise<DeviceAuthorization | null>;
  /** By device code digest, in any state (the poll tells pending, denied, expired and used apart). */
  findByDigest(digest: string): Promise<DeviceAuthorization | null>;
  /** The pending, unexpired authorization a user code names. */
  findPendingByUserCode(userCodeDigest: string, at: Date): Promise<DeviceAuthorization | null>;
  /**
   * Records one poll of a pending authorization, atomically (concurrent polls
   * are ordered): whether it came too fast (domain/device.ts `pollTiming`)
   * and the interval from now on. Null when no pending authorization has this digest.
   */
  recordPoll(digest: string, at: Date): Promise<{ readonly tooFast: boolean; readonly intervalSeconds: number } | null>;
  /** The user approved: once, only while pending and unexpired. */
  approve(id: string, grant: Grant, at: Date): Promise<boolean>;
  /** The user declined: once, only while pending and unexpired. */
  deny(id: string, at: Date): Promise<boolean>;
  /**
   * Single use: the one poll that finds it approved, unexpired and unused, by
   * the client it was issued to, gets it back (one conditional UPDATE … RETURNING);
   * every other concurrent or later call gets null.
   */
  redeem(digest: string, clientId: string, at: Date): Promise<DeviceAuthorization | null>;
  purge(before: Date): Promise<number>;
}
