import type { Application, ApplicationPatch } from '../domain/application.ts';
import type { DomainState, Organization, OrganizationFilter } from '../domain/organization.ts';
import type { Page, PageRequest } from '../domain/pagination.ts';

/**
 * The storage port: one repository per aggregate. Every method is atomic on
 * its own; methods are named for what they mean (`createCapped`, `touch`),
 * not for the SQL they run. Implementations: storage/sql (SQLite, PostgreSQL).
 */
export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  readonly organizations: OrganizationRepository;
  readonly applications: ApplicationRepository;
  readonly secrets: ClientSecretRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly idempotency: IdempotencyRepository;
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

export interface NewApplication extends Omit<Application, 'createdAt' | 'updatedAt'> {
  readonly at: Date;
}

export interface ApplicationRepository {
  /** Null when the owning organization vanished meanwhile. */
  create(app: NewApplication): Promise<Application | null>;
  /** By application ID (`conn_app_…`) or client ID (`client_…`). */
  find(idOrClientId: string): Promise<Application | null>;
  list(page: PageRequest, filter: { organizationId?: string }): Promise<Page<Application>>;
  update(id: string, patch: ApplicationPatch, at: Date): Promise<Application | null>;
  /** Deletes the application and, with it, every secret. */
  delete(id: string): Promise<boolean>;
}

export interface ClientSecret {
  readonly id: string;
  readonly applicationId: string;
  readonly hint: string;
  readonly lastUsedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewClientSecret {
  readonly id: string;
  readonly applicationId: string;
  /** HMAC-SHA-256 of the plaintext under the server key; the plaintext is never stored. */
  readonly digest: Buffer;
  readonly hint: string;
  readonly at: Date;
}

export type CreateSecretResult =
  | { readonly ok: true; readonly secret: ClientSecret }
  | { readonly ok: false; readonly reason: 'application_not_found' | 'limit_reached' };

export interface ClientSecretRepository {
  /** Inserts unless the application already holds `max` secrets, atomically (no race can exceed it). */
  createCapped(secret: NewClientSecret, max: number): Promise<CreateSecretResult>;
  listByApplication(applicationId: string): Promise<ClientSecret[]>;
  delete(id: string): Promise<boolean>;
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly hint: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

export interface ApiKeyRepository {
  create(key: { id: string; name: string; digest: Buffer; hint: string; at: Date }): Promise<ApiKey>;
  /** The live (unrevoked) key with this digest. */
  findByDigest(digest: Buffer): Promise<ApiKey | null>;
  list(): Promise<ApiKey[]>;
  /** Revokes by ID; false when unknown or already revoked. */
  revoke(id: string, at: Date): Promise<boolean>;
  countLive(): Promise<number>;
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
