import type { Kysely } from 'kysely';

/**
 * Issue #14: API keys that expire. A dashboard session is an API key of its
 * own whose plaintext lives only in the operator's session cookie; it stops
 * authenticating at `expires_at` on every node, whatever housekeeping does.
 * (0008 is issue #13's number; Kysely orders migrations by name.)
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('expires_at', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('Portico migrations only move forward');
}
