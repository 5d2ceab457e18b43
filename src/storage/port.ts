import type { Application, ApplicationFilter, ApplicationPatch } from '../domain/application.ts';
import type { ClientMetadata } from '../domain/client-metadata.ts';
import type { RedirectUri } from '../domain/redirect-uri.ts';
import type { AuditEvent, AuditFilter } from '../domain/audit.ts';
import type { AuthorizationCode, AuthorizationRequest, Consent, Grant, Interaction, RefreshToken } from '../domain/authorization.ts';
import type { DeviceAuthorization } from '../domain/device.ts';
import type { ConsentOption, User } from '../domain/user.ts';
import type { StoredSigningKey } from '../domain/signing-key.ts';
import type { DomainState, Organization, OrganizationFilter } from '../domain/organization.ts';
import type { Page, PageRequest } from '../domain/pagination.ts';
import type { WebhookRepository } from './port/webhooks.ts';

export type * from './port/webhooks.ts';

/**
 * The storage port: one repository per aggregate. Every method is atomic on
 * its own; methods are named for what they mean (`createCapped`, `touch`),
 * not for the SQL they run. Implementations: storage/sql (SQLite, PostgreSQL).
 */
export interface Repositories {
  readonly organizations: OrganizationRepository;
  readonly applications: ApplicationRepository;
  readonly secrets: ClientSecretRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly idempotency: IdempotencyRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly revocations: RevocationRepository;
  readonly authFailures: AuthFailureRepository;
  readonly audit: AuditRepository;
  readonly settings: SettingsRepository;
  readonly users: UserRepository;
  readonly memberships: MembershipRepository;
  readonly interactions: InteractionRepository;
  readonly sessions: SessionRepository;
  readonly consents: ConsentRepository;
  readonly codes: AuthorizationCodeRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly dynamicClients: DynamicClientRepository;
  readonly deviceAuthorizations: DeviceAuthorizationRepository;
  readonly webhooks: WebhookRepository;
}

export interface Storage extends Repositories {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: all of its writes land, or none (e.g. a change and its audit event). */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Round trip to the database (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface NewDomain {
  readonly id: string;
  readonly domain: string;
  readonly state: DomainState;
  readonly verificationStrategy: 'dns' | 'manual';
  readonly verificationToken: string | null;
}

export interface NewOrganization {
  readonly id: string;
  readonly name: string;
  readonly externalId: string | null;
  readonly metadata: Record<string, string>;
  readonly allowProfilesOutsideOrganization: boolean;
  readonly domains: readonly NewDomain[];
  readonly at: Date;
}

export interface OrganizationChanges {
  readonly name?: string;
  readonly externalId?: string | null;
  readonly metadata?: Record<string, string>;
  readonly allowProfilesOutsideOrganization?: boolean;
  readonly stripeCustomerId?: string;
  /** Replaces the domain set; domains already present keep their ID and state. */
  readonly domains?: readonly NewDomain[];
  readonly at: Date;
}

export interface OrganizationRepository {
  /** Throws UniqueViolationError('external_id' | 'domain'). */
  create(org: NewOrganization): Promise<Organization>;
  get(id: string): Promise<Organization | null>;
  getByExternalId(externalId: string): Promise<Organization | null>;
  list(page: PageRequest, filter: OrganizationFilter): Promise<Page<Organization>>;
  /** Null when the organization does not exist. Throws UniqueViolationError. */
  update(id: string, changes: OrganizationChanges): Promise<Organization | null>;
  /** Deletes the organization and every application it owns (with their secrets). */
  delete(id: string): Promise<boolean>;
}

export interface NewApplication extends Omit<Application, 'createdAt' | 'updatedAt' | 'dynamic'> {
  readonly at: Date;
}

export interface ApplicationRepository {
  /** Null when the owning organization vanished meanwhile. */
  create(app: NewApplication): Promise<Application | null>;
  /** By application ID (`conn_app_…`) or client ID (`client_…`). */
  find(idOrClientId: string): Promise<Application | null>;
  list(page: PageRequest, filter: ApplicationFilter): Promise<Page<Application>>;
  update(id: string, patch: ApplicationPatch, at: Date): Promise<Application | null>;
  /** Deletes the application and, with it, every secret. */
  delete(id: string): Promise<boolean>;
}

export interface ClientSecret {
  readonly id: string;
  readonly applicationId: string;
  readonly hint: string;
  readonly lastUsedAt: Date | null;
  /** Issue #13: from this instant the secret authenticates nothing (null: never). */
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A secret with the organization of its application (what its lifecycle events carry). */
export interface SecretWithOwner extends ClientSecret {
  readonly organizationId: string | null;
}

export interface NewClientSecret {
  readonly id: string;
  readonly applicationId: string;
  /** HMAC-SHA-256 of the plaintext under the server key; the plaintext is never stored. */
  readonly digest: Buffer;
  readonly hint: string;
  /** Issue #13: absent or null, the secret never expires. */
  readonly expiresAt?: Date | null;
  readonly at: Date;
}

export type CreateSecretResult =
  | { readonly ok: true; readonly secret: ClientSecret }
  | { readonly ok: false; readonly reason: 'application_not_found' | 'limit_reached' };

/** What client authentication needs, fetched in one query. */
export interface ClientCredentials {
  readonly application: Application;
  readonly secrets: readonly { readonly id: string; readonly digest: Buffer; readonly lastUsedAt: Date | null }[];
}

export interface ClientSecretRepository {
  /**
   * The application with this client ID and the digests of its live secrets
   * (those not expired at `now`, filtered in the same query); null when unknown.
   */
  findCredentials(clientId: string, now: Date): Promise<ClientCredentials | null>;
  /**
   * Stamps `last_used_at = at` unless it was stamped after `staleBefore`
   * (coalesces writes; never moves the stamp backwards). True when written.
   */
  touch(id: string, at: Date, staleBefore: Date): Promise<boolean>;
  /** Inserts unless the application already holds `max` secrets, atomically (no race can exceed it). */
  createCapped(secret: NewClientSecret, max: number): Promise<CreateSecretResult>;
  listByApplication(applicationId: string): Promise<ClientSecret[]>;
  /** The deleted secret, or null when there was none. */
  delete(id: string): Promise<ClientSecret | null>;
  /**
   * Marks, once per secret, up to `limit` secrets whose expiry is at or before
   * `threshold` as notified for `stage`, and returns the ones marked by this
   * call: a conditional UPDATE, so concurrent callers on several nodes never
   * both get one.
   */
  markLifecycle(stage: 'expiring' | 'expired', threshold: Date, at: Date, limit: number): Promise<SecretWithOwner[]>;
  /** Secrets (of every application) whose expiry is at or before `before`, soonest first. */
  listExpiring(before: Date): Promise<SecretWithOwner[]>;
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly hint: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  /** Issue #14: from this instant the key authenticates nothing (dashboard sessions); null: never. */
  readonly expiresAt: Date | null;
}

export interface ApiKeyRepository {
  create(key: { id: string; name: string; digest: Buffer; hint: string; at: Date; expiresAt?: Date | null }): Promise<ApiKey>;
  /** The live key with this digest: not revoked, and not expired at `now` (checked in the same query). */
  findByDigest(digest: Buffer, now: Date): Promise<ApiKey | null>;
  /** Keys neither revoked nor expired at `now`, oldest first. */
  list(now: Date): Promise<ApiKey[]>;
  /** Revokes by ID; the revoked key, or null when unknown or already revoked. */
  revoke(id: string, at: Date): Promise<ApiKey | null>;
  /** Live keys that never expire (dashboard session keys do not count: they are no way in on their own). */
  countLive(): Promise<number>;
  /** Deletes keys that expired before `before` (their sessions are long over). */
  purgeExpired(before: Date): Promise<void>;
}

export interface IdempotencyRecord {
  readonly fingerprint: Buffer;
  /** Null while the first request is still being handled. */
  readonly status: number | null;
  readonly sealedBody: Buffer | null;
  readonly createdAt: Date;
}

export interface IdempotencyRepository {
  /**
   * Claims `key` for a new request. Returns null when claimed, or the existing
   * record when the key was used before (and has not expired).
   */
  claim(key: Buffer, fingerprint: Buffer, at: Date, expiredBefore: Date): Promise<IdempotencyRecord | null>;
  complete(key: Buffer, status: number, sealedBody: Buffer): Promise<void>;
  /** Forgets a claim whose request failed on the server side, so a retry runs again. */
  release(key: Buffer): Promise<void>;
  purge(olderThan: Date): Promise<number>;
}

export interface SigningKeyRepository {
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
  delete(kids: readonly string[]): Promise<number>;
}

export interface RevocationRepository {
  /** Records a revoked access token until it would have expired anyway. */
  revoke(jti: string, clientId: string, expiresAt: Date): Promise<void>;
  /** The same for many, in as few statements as possible. */
  revokeMany(tokens: readonly { readonly jti: string; readonly exp: Date }[], clientId: string): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  /** Whether any of these is revoked, in one query (an exchanged token and the tokens it came from). */
  anyRevoked(jtis: readonly string[]): Promise<boolean>;
  purge(now: Date): Promise<number>;
}

export interface FailureWindow {
  readonly key: string;
  readonly count: number;
  readonly windowStart: Date;
}

/** Fixed-window counters of failed client authentications, shared by every node. */
export interface AuthFailureRepository {
  /** Windows of these keys that started after `since`. */
  windows(keys: readonly string[], since: Date): Promise<FailureWindow[]>;
  /**
   * Adds failures per key, opening a new window when the old one started
   * before `since`; returns each key's window after the increment (atomic per key).
   */
  record(entries: readonly { readonly key: string; readonly count: number }[], at: Date, since: Date): Promise<FailureWindow[]>;
  /** Drops windows that started before `before`. */
  purge(before: Date): Promise<number>;
}

export interface AuditRepository {
  record(event: AuditEvent): Promise<void>;
  list(page: PageRequest, filter: AuditFilter): Promise<Page<AuditEvent>>;
}

export interface SettingsRepository {
  get(key: string): Promise<string | null>;
  /** Stores `value` unless the key exists; returns the value that is stored either way. */
  putIfAbsent(key: string, value: string): Promise<string>;
  /** Stores `value`, replacing what was there (issue #14: the dashboard password hash). */
  put(key: string, value: string): Promise<void>;
  /** Removes the key; false when it was not set. */
  delete(key: string): Promise<boolean>;
}

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
