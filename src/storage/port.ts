import type { Application, ApplicationFilter, ApplicationPatch } from '../domain/application.ts';
import type { AuditEvent, AuditFilter } from '../domain/audit.ts';
import type { StoredSigningKey } from '../domain/signing-key.ts';
import type { DomainState, Organization, OrganizationFilter } from '../domain/organization.ts';
import type { Page, PageRequest } from '../domain/pagination.ts';
import type { WebhookRepository } from './port/webhooks.ts';
import type { UserRepository, MembershipRepository, InteractionRepository, SessionRepository, ConsentRepository, AuthorizationCodeRepository, RefreshTokenRepository, DynamicClientRepository, DeviceAuthorizationRepository } from './port/user-flow.ts';

export type * from './port/webhooks.ts';
export type * from './port/user-flow.ts';

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
  /** Whether any of these is revoked, in one query (one token, or an exchanged token and the tokens it came from). */
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
