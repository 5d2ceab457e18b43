import type { Kysely } from 'kysely';

/**
 * Issue #7: unauthenticated callers must not create rows without bound.
 * Interactions record the address that started them (IPv4, or an IPv6 /64),
 * so `/oauth2/authorize` can count recent ones per address and per client
 * in the rows themselves, on every node.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('interactions').addColumn('client_address', 'text').execute();
  await db.schema.createIndex('interactions_address_recent').on('interactions').columns(['client_address', 'created_at']).execute();
  await db.schema.createIndex('interactions_application_recent').on('interactions').columns(['application_id', 'created_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('Portico migrations only move forward');
}
