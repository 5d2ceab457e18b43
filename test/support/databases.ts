import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Storage } from '../../src/storage/port.ts';
import { openStorage } from '../../src/storage/sql/store.ts';

export type Dialect = 'sqlite' | 'postgres';

/**
 * PostgreSQL for tests: PORTICO_TEST_POSTGRES_URL, else a local server with
 * the credentials .ci/run sets up, if one answers. CI sets
 * PORTICO_REQUIRE_POSTGRES=1 so that a missing server fails instead of
 * skipping.
 */
const DEFAULT_PG = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

async function detectPostgres(): Promise<string | null> {
  const url = process.env.PORTICO_TEST_POSTGRES_URL ?? DEFAULT_PG;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('select 1');
    return url;
  } catch (err) {
    if (process.env.PORTICO_REQUIRE_POSTGRES === '1') {
      throw new Error(`PostgreSQL is required (PORTICO_REQUIRE_POSTGRES=1) but ${url.replace(/\/\/[^@]*@/, '//')} did not answer: ${String(err)}`);
    }
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

const pgAdminUrl = await detectPostgres();

/** The dialects every storage and API suite runs on here. */
export const DIALECTS: readonly Dialect[] = pgAdminUrl ? ['sqlite', 'postgres'] : ['sqlite'];

if (!pgAdminUrl) {
  process.stderr.write('# PostgreSQL not reachable: storage and API suites run on SQLite only (set PORTICO_TEST_POSTGRES_URL; CI requires it)\n');
}

export interface TestDatabase {
  readonly url: string;
  /** Drops the database (PostgreSQL) or deletes the file (SQLite). */
  drop(): Promise<void>;
}

/** A fresh, empty database of the given dialect: a temp file, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'portico-test-'));
    return { url: `sqlite:${join(dir, 'portico.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!pgAdminUrl) throw new Error('PostgreSQL is not available');
  const name = `portico_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: pgAdminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A migrated Storage on a fresh database; `close()` also drops the database. */
export async function createTestStorage(dialect: Dialect): Promise<Storage & { readonly url: string }> {
  const db = await createTestDatabase(dialect);
  const storage = openStorage({ url: db.url });
  await storage.migrate();
  return {
    ...storage,
    url: db.url,
    async close() {
      await storage.close();
      await db.drop();
    },
  };
}
