import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { Database } from './schema.ts';

export interface SqliteOptions {
  /** File path, or `:memory:`. */
  readonly path: string;
  /** How long a writer waits for another process's lock before SQLITE_BUSY (ms). */
  readonly busyTimeoutMs?: number;
}

const STATEMENT_CACHE = 256;

/**
 * Adapts `node:sqlite`'s DatabaseSync to the better-sqlite3 shape Kysely's
 * SqliteDialect expects: parameters are spread, `reader` comes from
 * `columns()`. Prepared statements are cached by SQL text (the query builder
 * produces a small, fixed set of statements).
 */
class NodeSqliteAdapter implements SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, SqliteStatement>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  close(): void {
    this.#cache.clear();
    this.#db.close();
  }

  prepare(text: string): SqliteStatement {
    // Kysely opens transactions with a plain `begin` (deferred). Write
    // transactions must take the write lock up front, or two processes that
    // both read first deadlock into SQLITE_BUSY on upgrade; and a deferred
    // read-then-insert could break the 5-secret cap across processes.
    const sqlText = text === 'begin' ? 'begin immediate' : text;
    const hit = this.#cache.get(sqlText);
    if (hit) return hit;
    const stmt = wrap(this.#db.prepare(sqlText));
    if (this.#cache.size >= STATEMENT_CACHE) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(sqlText, stmt);
    return stmt;
  }
}

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

function wrap(stmt: StatementSync): SqliteStatement {
  return {
    reader: stmt.columns().length > 0,
    all: (params) => stmt.all(...(params as Param[])),
    run: (params) => stmt.run(...(params as Param[])),
    iterate: (params) => stmt.iterate(...(params as Param[])),
  };
}

/** Opens (creating if needed) a SQLite database in WAL mode and wraps it in Kysely. */
export function openSqlite(options: SqliteOptions): Kysely<Database> {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new DatabaseSync(options.path);
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  db.exec('PRAGMA journal_mode = WAL');
  // FULL: a commit that was acknowledged survives power loss, not only a
  // process crash (security bar §5, invariants I1/I2).
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: new NodeSqliteAdapter(db) }) });
}
