import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import type { Database } from './schema.ts';

export interface SqliteOptions {
  /** File path, or `:memory:`. */
  readonly path: string;
  /** How long a writer may wait for another process's write lock before giving up (ms). */
  readonly busyTimeoutMs?: number;
}

const STATEMENT_CACHE = 256;
type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

/** SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes. */
export function isBusy(err: unknown): boolean {
  const e = err as { code?: unknown; errcode?: unknown };
  return e?.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number' && (e.errcode & 0xff) >= 5 && (e.errcode & 0xff) <= 6;
}

/**
 * One `node:sqlite` connection. Another process holding the write lock makes a
 * statement fail with SQLITE_BUSY at once (busy_timeout 0), and the statement
 * is retried after an *asynchronous* pause: SQLite's own busy handler would
 * sleep inside the synchronous call, freezing this worker's event loop (and
 * every request on it) for as long as the other process writes. A BUSY
 * statement has had no effect, so retrying it is safe.
 */
class NodeSqliteConnection implements DatabaseConnection {
  readonly #db: DatabaseSync;
  readonly #timeoutMs: number;
  readonly #cache = new Map<string, { stmt: StatementSync; reader: boolean }>();

  constructor(db: DatabaseSync, timeoutMs: number) {
    this.#db = db;
    this.#timeoutMs = timeoutMs;
  }

  #prepare(sql: string): { stmt: StatementSync; reader: boolean } {
    let hit = this.#cache.get(sql);
    if (!hit) {
      const stmt = this.#db.prepare(sql);
      hit = { stmt, reader: stmt.columns().length > 0 };
      if (this.#cache.size >= STATEMENT_CACHE) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(sql, hit);
    }
    return hit;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const params = compiled.parameters as Param[];
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const { stmt, reader } = this.#prepare(compiled.sql);
        if (reader) return { rows: stmt.all(...params) as R[] };
        const { changes, lastInsertRowid } = stmt.run(...params);
        return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
      } catch (err) {
        if (!isBusy(err) || Date.now() - started > this.#timeoutMs) throw err;
        // 1, 1, 2, 2, 4, ... up to 16 ms, jittered so two processes do not retry in lockstep.
        await sleep(Math.min(16, 2 ** Math.floor(attempt / 2)) * (0.5 + Math.random()));
      }
    }
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported');
  }

  close(): void {
    this.#cache.clear();
    this.#db.close();
  }
}

/** Kysely's single-connection discipline for SQLite: one query or transaction at a time per process. */
class NodeSqliteDriver implements Driver {
  readonly #connection: NodeSqliteConnection;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(connection: NodeSqliteConnection) {
    this.#connection = connection;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Write transactions take the write lock up front (else two readers deadlock on upgrade). */
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    this.#connection.close();
  }
}

class NodeSqliteDialect implements Dialect {
  readonly #connection: NodeSqliteConnection;
  constructor(connection: NodeSqliteConnection) {
    this.#connection = connection;
  }
  createDriver(): Driver {
    return new NodeSqliteDriver(this.#connection);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/** Opens (creating if needed) a SQLite database in WAL mode and wraps it in Kysely. */
export function openSqlite(options: SqliteOptions): Kysely<Database> {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new DatabaseSync(options.path);
  // Opening can race another process initialising the file: wait it out synchronously, once.
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA journal_mode = WAL');
  // FULL: a commit that was acknowledged survives power loss, not only a
  // process crash (security bar §5, invariants I1/I2).
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  // From here on lock waits are asynchronous retries (NodeSqliteConnection).
  db.exec('PRAGMA busy_timeout = 0');
  return new Kysely<Database>({ dialect: new NodeSqliteDialect(new NodeSqliteConnection(db, options.busyTimeoutMs ?? 5000)) });
}
