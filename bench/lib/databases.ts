import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { openPostgres } from '../../src/storage/sql/postgres.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { openSqlite } from '../../src/storage/sql/sqlite.ts';

export type Dialect = 'sqlite' | 'postgres';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

/** A throw-away database for one benchmark size. */
export interface BenchDatabase {
  readonly dialect: Dialect;
  /** PORTICO_DATABASE_URL for the server and for openStorage(). */
  readonly url: string;
  /** On-disk size in bytes (SQLite: file + WAL; PostgreSQL: pg_database_size). */
  sizeBytes(): Promise<number>;
  /** Deletes the temp directory or drops the database. Idempotent. */
  drop(): Promise<void>;
}

/** Redacts the password of a postgres:// URL for printing. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** A fresh SQLite file in a new temp directory, or a fresh PostgreSQL database next to `adminUrl`. */
export async function createBenchDatabase(dialect: Dialect, tag: string, adminUrl: string): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `portico-bench-${tag}-`));
    const file = join(dir, 'portico.db');
    let dropped = false;
    return {
      dialect,
      url: `sqlite:${file}`,
      async sizeBytes() {
        let total = 0;
        for (const suffix of ['', '-wal']) {
          try {
            total += statSync(file + suffix).size;
          } catch {
            // no WAL right now
          }
        }
        return total;
      },
      async drop() {
        if (dropped) return;
        dropped = true;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  // Names are generated here (hex only), never taken from input, so they can be inlined.
  const name = `portico_bench_${tag}_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    dialect,
    url: url.toString(),
    async sizeBytes() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        const r = await c.query<{ size: string }>('select pg_database_size($1)::text as size', [name]);
        return Number(r.rows[0]?.size ?? 0);
      } finally {
        await c.end();
      }
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Fails fast, with a readable line, when the PostgreSQL server does not answer. */
export async function checkPostgres(adminUrl: string): Promise<void> {
  await adminQuery(adminUrl, 'select 1');
}

/** The same Kysely handle the server would build for this URL (same adapter, same pragmas). */
export function openKysely(url: string): Kysely<Database> {
  if (url.startsWith('sqlite:')) return openSqlite({ path: url.slice('sqlite:'.length) });
  // Seeding statements are large: allow them more than the server's 5 s.
  return openPostgres({ url, poolSize: 2, timeoutMs: 600_000 });
}

/** Deletes every client secret (between create-secret laps; the server is idle then). */
export async function deleteAllSecrets(url: string): Promise<number> {
  const db = openKysely(url);
  try {
    const r = await db.deleteFrom('client_secrets').executeTakeFirst();
    if (url.startsWith('sqlite:')) await sql`pragma wal_checkpoint(truncate)`.execute(db);
    return Number(r.numDeletedRows);
  } finally {
    await db.destroy();
  }
}
