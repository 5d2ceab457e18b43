import type { Kysely } from 'kysely';
import type { CreateInteractionResult, InteractionLimits } from '../port.ts';
import { atomically, toIso } from './rows.ts';
import type { Database } from './schema.ts';

/** Tables of rows that unauthenticated requests create, each with `client_address`, `application_id`, `created_at`. */
type LimitedTable = 'interactions' | 'device_authorizations';

/**
 * Issue #7: counts the rows `row`'s address and application created since
 * `limits.since` and runs `insert` only below both limits, in one transaction.
 * SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so counts
 * are exact. PostgreSQL: creators for one application queue on its row;
 * creators for different applications from one address may each pass a count
 * taken at the same moment, so an address can exceed its limit by the number
 * of requests it has in flight at once.
 */
export function createLimited(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  table: LimitedTable,
  row: { readonly applicationId: string; readonly clientAddress: string },
  limits: InteractionLimits,
  insert: (trx: Kysely<Database>) => Promise<void>,
): Promise<CreateInteractionResult> {
  const since = toIso(limits.since);
  return atomically(db, async (trx): Promise<CreateInteractionResult> => {
    if (dialect === 'postgres') await trx.selectFrom('connect_applications').select('id').where('id', '=', row.applicationId).forUpdate().executeTakeFirst();
    // Both tables have these columns; Kysely types the query against one of them.
    const from = table as 'interactions';
    const count = async (column: 'client_address' | 'application_id', value: string) =>
      Number((await trx.selectFrom(from).select((eb) => eb.fn.countAll().as('n')).where(column, '=', value).where('created_at', '>', since).executeTakeFirstOrThrow()).n);
    if ((await count('client_address', row.clientAddress)) >= limits.perAddress) return 'address_limited';
    if ((await count('application_id', row.applicationId)) >= limits.perApplication) return 'application_limited';
    await insert(trx);
    return 'created';
  });
}
