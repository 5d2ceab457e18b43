import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
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
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
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

/**
 * Every dialect a storage or API suite is written for. Suites pass
 * `dialectSuite(dialect)` to `describe`, so without a PostgreSQL server the
 * PostgreSQL suites are reported as skipped, with the reason (issue #8: a green
 * run without PostgreSQL must never look like full coverage).
 */
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

const PG_MISSING = 'PostgreSQL not reachable (set PORTICO_TEST_POSTGRES_URL, or run .ci/run, which installs it; CI requires it)';

/**
 * `describe` options for a suite of `dialect`: skipped, with the reason, when
 * its database is missing. node:test leaves skipped suites out of its
 * "skipped" count, so a skipped test stands in for each one: the summary then
 * says how many PostgreSQL suites did not run.
 */
export function dialectSuite(dialect: Dialect): { skip: string | false } {
  if (dialect !== 'postgres' || pgAdminUrl) return { skip: false };
  test('a PostgreSQL suite of this file', { skip: PG_MISSING }, () => {});
  return { skip: PG_MISSING };
}

// Said once per `npm test` (every test file runs in its own process; the runner is their parent).
if (!pgAdminUrl) {
  try {
    writeFileSync(join(tmpdir(), `portico-pg-notice-${process.ppid}`), '', { flag: 'wx' });
    process.stderr.write(`# ${PG_MISSING}: the PostgreSQL suites are skipped\n`);
  } catch {
    // Another test file of this run said it already.
  }
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
