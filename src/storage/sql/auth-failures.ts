import { sql, type Kysely } from 'kysely';
import type { AuthFailureRepository, FailureWindow } from '../port.ts';
import { fromIso, reusable, toIso, unstorable } from './rows.ts';
import type { Database } from './schema.ts';

export class SqlAuthFailures implements AuthFailureRepository {
  readonly #db: Kysely<Database>;
  /** The per-request check (a client and an address), compiled once. */
  readonly #pairQuery;

  constructor(db: Kysely<Database>) {
    this.#db = db;
    this.#pairQuery = reusable(
      db,
      () => db
        .selectFrom('auth_failures')
        .selectAll()
        .where('key', 'in', ['\u0001k1', '\u0001k2'])
        .where('window_start', '>', '\u0001since'),
      ['\u0001k1', '\u0001k2', '\u0001since'],
    );
  }

  async windows(keys: readonly string[], since: Date): Promise<FailureWindow[]> {
    keys = keys.filter((k) => !unstorable(k));
    if (keys.length === 0) return [];
    const rows =
      keys.length <= 2
        ? await this.#pairQuery(keys[0], keys[1] ?? keys[0], toIso(since))
        : await this.#db.selectFrom('auth_failures').selectAll().where('key', 'in', [...keys]).where('window_start', '>', toIso(since)).execute();
    return rows.map((r) => ({ key: r.key, count: Number(r.count), windowStart: fromIso(r.window_start) }));
  }

  async record(entries: readonly { readonly key: string; readonly count: number }[], at: Date, since: Date): Promise<FailureWindow[]> {
    const now = toIso(at);
    const cutoff = toIso(since);
    const out: FailureWindow[] = [];
    for (const { key, count } of entries.filter((e) => !unstorable(e.key))) {
      // One atomic upsert per key: a stale window restarts at `count`, a live one counts up. RETURNING
      // gives the count after this very increment, exact however many processes and nodes count at once.
      const row = await this.#db
        .insertInto('auth_failures')
        .values({ key, window_start: now, count })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            count: sql<number>`case when auth_failures.window_start <= ${cutoff} then ${count} else auth_failures.count + ${count} end`,
            window_start: sql<string>`case when auth_failures.window_start <= ${cutoff} then ${now} else auth_failures.window_start end`,
          }),
        )
        .returning(['key', 'count', 'window_start'])
        .executeTakeFirstOrThrow();
      out.push({ key: row.key, count: Number(row.count), windowStart: fromIso(row.window_start) });
    }
    return out;
  }

  async purge(before: Date): Promise<number> {
    const r = await this.#db.deleteFrom('auth_failures').where('window_start', '<', toIso(before)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
