import type { Kysely } from 'kysely';

/** Issue #8: `last_sign_in_at` of users, stamped by each sign-in the company vouches for. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('last_sign_in_at', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('Portico migrations only move forward');
}
