import { CompiledQuery, type Compilable, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { KeysetPlan } from '../../domain/pagination.ts';

/** ISO text <-> Date; the schema stores fixed-width UTC text. */
export const toIso = (d: Date): string => d.toISOString();
export const fromIso = (s: string): Date => new Date(s);
export const fromIsoOrNull = (s: string | null): Date | null => (s === null ? null : new Date(s));

export const toFlag = (b: boolean): number => (b ? 1 : 0);

export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** PostgreSQL rejects NUL in text; such a key can match nothing, so callers answer "not found". */
export function unstorable(value: string): boolean {
  return value.includes('\u0000');
}

/**
 * Applies a keyset plan (domain/pagination.ts) to a query over a table whose
 * `id` column is a monotonic ULID: `id < cursor` newest first, or
 * `id > cursor` oldest first, limited to plan.fetch rows.
 */
export function applyKeyset<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  idColumn: string,
  plan: KeysetPlan,
): SelectQueryBuilder<DB, TB, O> {
  // The column reference is a fixed string chosen by the repository, never input.
  const col = idColumn as never;
  let q = query;
  if (plan.cursor !== undefined) q = q.where(col, plan.direction === 'older' ? '<' : '>', plan.cursor as never);
  return q.orderBy(col, plan.direction === 'older' ? 'desc' : 'asc').limit(plan.fetch);
}

/**
 * Runs `fn` in a transaction, or directly when `db` already is one (a
 * repository used inside Storage.transaction joins the caller's transaction).
 */
export function atomically<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute((trx: Transaction<DB>) => fn(trx));
}

/**
 * Compiles a query once and afterwards only swaps its parameters: the token
 * endpoint's hot queries skip Kysely's per-call building and compiling (and
 * SQLite reuses the prepared statement cached by its SQL text). Build the
 * query with distinct sentinel strings where the arguments go.
 */
export function reusable<DB, R>(db: Kysely<DB>, build: () => Compilable<R>, sentinels: readonly string[]): (...args: unknown[]) => Promise<R[]> {
  // Compiled on first use: repositories are also built per transaction, most never run this query.
  let compiled: CompiledQuery<R> | undefined;
  let positions: number[] = [];
  return async (...args) => {
    if (!compiled) {
      const c = build().compile();
      positions = sentinels.map((s) => {
        const i = c.parameters.indexOf(s);
        if (i === -1 || c.parameters.lastIndexOf(s) !== i) throw new Error(`sentinel ${s} must appear exactly once`);
        return i;
      });
      compiled = c;
    }
    const params = [...compiled.parameters];
    positions.forEach((p, i) => (params[p] = args[i]));
    return (await db.executeQuery<R>(CompiledQuery.raw(compiled.sql, params))).rows;
  };
}
