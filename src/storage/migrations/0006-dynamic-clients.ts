import type { Kysely } from 'kysely';

/**
 * Issue #10: clients nobody registered by hand. Dynamically registered
 * (RFC 7591) and metadata-document (CIMD) clients are Connect applications
 * with their metadata as JSON, when a document must be fetched again, and
 * when a token was last issued to them (unused ones are purged). A
 * registration row per such client records its RFC 7592 registration access
 * token (digest; none for CIMD) and the address that created it, so creation
 * is rate-limited by counting these rows. Client assertions (RFC 7523) are
 * single use across nodes: their `jti`s are kept until they expire.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('connect_applications').addColumn('client_metadata', 'text').execute();
  await db.schema.alterTable('connect_applications').addColumn('metadata_expires_at', 'text').execute();
  await db.schema.alterTable('connect_applications').addColumn('last_used_at', 'text').execute();
  await db.schema
    .createTable('client_registrations')
    .addColumn('application_id', 'text', (c) => c.primaryKey().references('connect_applications.id').onDelete('cascade'))
    .addColumn('token_digest', 'text', (c) => c.unique())
    .addColumn('client_address', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('client_registrations_address_recent').on('client_registrations').columns(['client_address', 'created_at']).execute();
  await db.schema
    .createTable('used_client_assertions')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('used_client_assertions_expiry').on('used_client_assertions').column('expires_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('Portico migrations only move forward');
}
