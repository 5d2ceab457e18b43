import type { Kysely } from 'kysely';

/**
 * Users and the authorization-code flow: memberships, interactions (pending
 * authorizations), browser sessions, consents, codes and refresh tokens.
 * Codes, sessions and refresh tokens are stored as digests only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('email_verified', 'integer', (c) => c.notNull())
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('organization_memberships')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('organization_memberships_user_org', ['user_id', 'organization_id'])
    .execute();
  await db.schema.createIndex('organization_memberships_org').on('organization_memberships').columns(['organization_id', 'id']).execute();

  await db.schema
    .createTable('interactions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('application_id', 'text', (c) => c.notNull().references('connect_applications.id').onDelete('cascade'))
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('organization_id', 'text')
    .addColumn('consent_options', 'text', (c) => c.notNull())
    .addColumn('resume_digest', 'text', (c) => c.unique())
    .addColumn('binding_digest', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('resumed_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('interactions_expiry').on('interactions').column('expires_at').execute();

  await db.schema
    .createTable('user_sessions')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('application_id', 'text', (c) => c.notNull().references('connect_applications.id').onDelete('cascade'))
    // '' instead of NULL so the unique key holds (NULLs are distinct in unique constraints).
    .addColumn('organization_key', 'text', (c) => c.notNull())
    .addColumn('resource_key', 'text', (c) => c.notNull())
    .addColumn('granted_scopes', 'text', (c) => c.notNull())
    .addColumn('claims', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('consents_key', ['user_id', 'application_id', 'organization_key', 'resource_key'])
    .execute();

  const grantColumns = (t: ReturnType<Kysely<unknown>['schema']['createTable']>) =>
    t
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('consent_id', 'text', (c) => c.notNull().references('consents.id').onDelete('cascade'))
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('resource', 'text')
      .addColumn('organization_id', 'text')
      .addColumn('claims', 'text', (c) => c.notNull())
      .addColumn('auth_time', 'text', (c) => c.notNull());

  await grantColumns(db.schema.createTable('authorization_codes').addColumn('digest', 'text', (c) => c.primaryKey()))
    // NULL when the authorization request did not send one (RFC 6749 §4.1.3 then lets the token request omit it).
    .addColumn('redirect_uri', 'text')
    .addColumn('nonce', 'text')
    .addColumn('code_challenge', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('consumed_at', 'text')
    .addColumn('family_id', 'text')
    .addColumn('access_jti', 'text')
    .addColumn('access_exp', 'text')
    .execute();
  await db.schema.createIndex('authorization_codes_expiry').on('authorization_codes').column('expires_at').execute();

  await grantColumns(db.schema.createTable('refresh_tokens').addColumn('id', 'text', (c) => c.primaryKey()))
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('family_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('rotated_at', 'text')
    .addColumn('revoked_at', 'text')
    // The successor, sealed under the server key, kept only while a reuse grace window is open.
    .addColumn('successor_sealed', 'text')
    .addColumn('access_jti', 'text', (c) => c.notNull())
    .addColumn('access_exp', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
  await db.schema.createIndex('refresh_tokens_consent').on('refresh_tokens').column('consent_id').execute();
  await db.schema.createIndex('refresh_tokens_expiry').on('refresh_tokens').column('expires_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('Portico migrations only move forward');
}
