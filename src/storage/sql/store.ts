import { Migrator, sql, type Kysely } from 'kysely';
import { migrations } from '../migrations/index.ts';
import type { Repositories, Storage } from '../port.ts';
import { SqlApiKeys } from './api-keys.ts';
import { SqlApplications } from './applications.ts';
import { SqlAudit } from './audit.ts';
import { SqlAuthFailures } from './auth-failures.ts';
import { SqlConsents } from './consents.ts';
import { SqlAuthorizationCodes } from './codes.ts';
import { SqlDeviceAuthorizations } from './device-authorizations.ts';
import { SqlRefreshTokens } from './refresh-tokens.ts';
import { SqlDynamicClients } from './dynamic-clients.ts';
import { SqlInteractions, SqlSessions } from './interactions.ts';
import { translateError, translating } from './errors.ts';
import { SqlIdempotency } from './idempotency.ts';
import { SqlOrganizations } from './organizations.ts';
import { openPostgres } from './postgres.ts';
import type { Database } from './schema.ts';
import { SqlRevocations } from './revocations.ts';
import { SqlClientSecrets } from './secrets.ts';
import { SqlSettings } from './settings.ts';
import { SqlSigningKeys } from './signing-keys.ts';
import { SqlMemberships, SqlUsers } from './users.ts';
import { SqlWebhooks } from './webhooks.ts';
import { openSqlite } from './sqlite.ts';
import { openCredentialReader, type CredentialReader } from './credential-reader.ts';

/** Every repository over `db`, which may be the database or one transaction. */
function repositories(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', reader: CredentialReader | null = null): Repositories {
  return {
    organizations: translating(new SqlOrganizations(db)),
    applications: translating(new SqlApplications(db)),
    secrets: translating(new SqlClientSecrets(db, dialect, reader)),
    apiKeys: translating(new SqlApiKeys(db)),
    idempotency: translating(new SqlIdempotency(db)),
    signingKeys: translating(new SqlSigningKeys(db)),
    revocations: translating(new SqlRevocations(db)),
    authFailures: translating(new SqlAuthFailures(db)),
    audit: translating(new SqlAudit(db)),
    settings: translating(new SqlSettings(db)),
    users: translating(new SqlUsers(db)),
    memberships: translating(new SqlMemberships(db)),
    interactions: translating(new SqlInteractions(db, dialect)),
    sessions: translating(new SqlSessions(db)),
    consents: translating(new SqlConsents(db)),
    codes: translating(new SqlAuthorizationCodes(db)),
    refreshTokens: translating(new SqlRefreshTokens(db)),
    dynamicClients: translating(new SqlDynamicClients(db)),
    deviceAuthorizations: translating(new SqlDeviceAuthorizations(db, dialect)),
    webhooks: translating(new SqlWebhooks(db, dialect)),
  };
}

/**
 * The Kysely implementation of the storage port, for either dialect.
 * `reader` (SQLite files): the credential lookup's own connection (issue #12),
 * used outside transactions only: a transaction reads through its own connection.
 */
export function createSqlStorage(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', reader: CredentialReader | null = null): Storage {
  return {
    dialect,
    ...repositories(db, dialect, reader),
    async transaction(fn) {
      try {
        return await db.transaction().execute((trx) => fn(repositories(trx, dialect)));
      } catch (err) {
        throw translateError(err);
      }
    },
    async migrate() {
      // Unordered: 0007 (issue #11) and 0008 (issue #13) were built at once, so a database may have run 0008 first;
      // migrations are independent and only move forward, so a late lower number is applied when it arrives.
      const migrator = new Migrator({ db, provider: migrations, migrationTableName: 'portico_migrations', migrationLockTableName: 'portico_migrations_lock', allowUnorderedMigrations: true });
      const { error } = await migrator.migrateToLatest();
      if (error) throw translateError(error);
    },
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (err) {
        throw translateError(err);
      }
    },
    async close() {
      reader?.close();
      await db.destroy();
    },
  };
}

export interface OpenOptions {
  /** `sqlite:PATH`, `sqlite::memory:`, or a `postgres://` / `postgresql://` URL. */
  readonly url: string;
  readonly poolSize?: number;
  readonly timeoutMs?: number;
}

/** Picks the adapter from the database URL. Only composition roots call this. */
export function openStorage(options: OpenOptions): Storage {
  const { url } = options;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return createSqlStorage(openSqlite({ path, busyTimeoutMs: options.timeoutMs ?? 5000 }), 'sqlite', openCredentialReader(path));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pg = { url, ...(options.poolSize !== undefined && { poolSize: options.poolSize }), ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) };
    return createSqlStorage(openPostgres(pg), 'postgres');
  }
  throw new Error(`unsupported database URL scheme: ${url.split(':')[0]}`);
}
