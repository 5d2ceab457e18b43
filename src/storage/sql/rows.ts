import type { Kysely, SelectQueryBuilder, Transaction } from 'kysely';
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
