import type { Kysely } from 'kysely';

/**
 * Issue #11: device authorizations (RFC 8628) and the organization-wide list
 * of authorized applications. Token exchange (RFC 8693) needs no table: an
 * exchanged token names the tokens it came from (`exchanged_from`), which
 * revocation follows, and shares their consent (`sid`).
 *
 * A device code and a user code are stored only as keyed digests; the user
 * code is also kept sealed under the server key, because the consent page
 * shows it again so the user can compare it with their device (§5.4).
 * (0006 is another change's number; Kysely orders migrations by name.)
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_authorizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('user_code_digest', 'text', (c) => c.notNull().unique())
    .addColumn('user_code_sealed', 'text', (c) => c.notNull())
    .addColumn('application_id', 'text', (c) => c.notNull().references('connect_applications.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('resource', 'text')
    .addColumn('client_address', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('last_polled_at', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    // The approved grant: who, for which organization, under which consent (its deletion takes the row).
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('consent_id', 'text', (c) => c.references('consents.id').onDelete('cascade'))
    .addColumn('organization_id', 'text')
    .addColumn('granted_scopes', 'text')
    .addColumn('claims', 'text')
    .addColumn('auth_time', 'text')
    .addColumn('redeemed_at', 'text')
    .execute();
  // Counting recent rows per address and per application (issue #7 limits), and purging.
  await db.schema.createIndex('device_authorizations_address_recent').on('device_authorizations').columns(['client_address', 'created_at']).execute();
  await db.schema.createIndex('device_authorizations_application_recent').on('device_authorizations').columns(['application_id', 'created_at']).execute();
  await db.schema.createIndex('device_authorizations_expiry').on('device_authorizations').column('expires_at').execute();
  // GET /organizations/:id/authorized_applications: keyset on the consent ID within an organization.
  await db.schema.createIndex('consents_organization').on('consents').columns(['organization_key', 'id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('Portico migrations only move forward');
}
