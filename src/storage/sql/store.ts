import { Migrator, sql, type Kysely } from 'kysely';
import { migrations } from '../migrations/index.ts';
import type { Storage } from '../port.ts';
import { SqlApiKeys } from './api-keys.ts';
import { SqlApplications } from './applications.ts';
import { translateError, translating } from './errors.ts';
import { SqlIdempotency } from './idempotency.ts';
import { SqlOrganizations } from './organizations.ts';
import { openPostgres } from './postgres.ts';
import type { Database } from './schema.ts';
import { SqlClientSecrets } from './secrets.ts';
import { openSqlite } from './sqlite.ts';

/** The Kysely implementation of the storage port, for either dialect. */
export function createSqlStorage(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): Storage {
  return {
    dialect,
    organizations: translating(new SqlOrganizations(db)),
    applications: translating(new SqlApplications(db)),
    secrets: translating(new SqlClientSecrets(db, dialect)),
    apiKeys: translating(new SqlApiKeys(db)),
    idempotency: translating(new SqlIdempotency(db)),
    async migrate() {
      const migrator = new Migrator({ db, provider: migrations, migrationTableName: 'portico_migrations', migrationLockTableName: 'portico_migrations_lock' });
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
    return createSqlStorage(openSqlite({ path: url.slice('sqlite:'.length), busyTimeoutMs: options.timeoutMs ?? 5000 }), 'sqlite');
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pg = { url, ...(options.poolSize !== undefined && { poolSize: options.poolSize }), ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) };
    return createSqlStorage(openPostgres(pg), 'postgres');
  }
  throw new Error(`unsupported database URL scheme: ${url.split(':')[0]}`);
}
