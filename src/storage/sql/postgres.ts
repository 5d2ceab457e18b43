import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export interface PostgresOptions {
  readonly url: string;
  readonly poolSize?: number;
  /** Upper bound for any one statement and for getting a connection (ms). */
  readonly timeoutMs?: number;
}

/**
 * After a read timeout pg leaves the abandoned query active on the connection, so every later
 * statement on it (a transaction's ROLLBACK above all) waits out another full timeout: a write
 * answered 503 only after twice the bound. Cut the connection instead: the ROLLBACK fails at once
 * ("Connection terminated", a 503), the server rolls back when the socket closes, and the pool
 * drops the client on release.
 */
function dropOnReadTimeout(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (err instanceof Error && err.message === 'Query read timeout') (client as unknown as pg.Client).connection.stream.destroy();
      });
    }
    return result;
  };
}

/** A pooled PostgreSQL connection wrapped in Kysely. Every call is bounded in time. */
export function openPostgres(options: PostgresOptions): Kysely<Database> {
  const timeout = options.timeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: timeout,
    statement_timeout: timeout,
    query_timeout: timeout + 1000,
    idleTimeoutMillis: 30_000,
  });
  // A dropped idle connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // pg-pool listens for errors only on idle clients. A client that is checked out (a query in
  // flight, or a transaction between statements) when the server dies emits 'error' with no
  // listener, which kills the process. The failure still reaches the query (its promise rejects,
  // a 503), and the pool drops the dead client on release.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    dropOnReadTimeout(client);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
