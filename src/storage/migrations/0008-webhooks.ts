import type { Kysely } from 'kysely';

/**
 * Issue #13: webhooks and the secret lifecycle.
 *
 * - `webhook_endpoints`: where events go. The signing secret must be usable to
 *   sign, so it is sealed (AES-256-GCM under the server key, bound to the
 *   endpoint ID), never stored in plaintext; `secret_hint` is its last 4.
 * - `webhook_subscriptions`: one row per (endpoint, event name), so the outbox
 *   insert that runs with every audit event is one INSERT ... SELECT on both
 *   dialects (no JSON matching in SQL).
 * - `webhook_deliveries`: the outbox proper. A row per (endpoint, event) is
 *   written in the same transaction as the audit event (audit_events is the
 *   event store that `/events` and webhooks share). `claimed_until` is the lease
 *   of the process sending it; `window_started_at` starts the ~3-day retry window.
 * - `webhook_attempts`: every attempt (status code, error, a short excerpt of
 *   the answer), purged with its delivery.
 * - `client_secrets`: an optional expiry, and when the expiring / expired events
 *   were emitted (each once: a conditional UPDATE marks them).
 *
 * Migration 0007 is reserved for concurrent work; the migrator orders by name.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('endpoint_url', 'text', (c) => c.notNull().unique())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('secret_hint', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_subscriptions_pk', ['endpoint_id', 'event'])
    .execute();
  await db.schema.createIndex('webhook_subscriptions_event').on('webhook_subscriptions').columns(['event', 'endpoint_id']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull().references('audit_events.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text')
    .addColumn('window_started_at', 'text', (c) => c.notNull())
    .addColumn('claimed_until', 'text')
    .addColumn('claim_token', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['endpoint_id', 'event_id'])
    .execute();
  // Claiming: the due rows of one endpoint, oldest first; the purge: finished rows by age.
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_endpoint_due').on('webhook_deliveries').columns(['endpoint_id', 'status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute();
  await db.schema.createIndex('webhook_deliveries_finished').on('webhook_deliveries').column('finished_at').execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('response_excerpt', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['endpoint_id', 'event_id', 'attempt'])
    .addForeignKeyConstraint('webhook_attempts_delivery', ['endpoint_id', 'event_id'], 'webhook_deliveries', ['endpoint_id', 'event_id'], (fk) => fk.onDelete('cascade'))
    .execute();

  await db.schema.alterTable('client_secrets').addColumn('expires_at', 'text').execute();
  await db.schema.alterTable('client_secrets').addColumn('expiring_notified_at', 'text').execute();
  await db.schema.alterTable('client_secrets').addColumn('expired_notified_at', 'text').execute();
  await db.schema.createIndex('client_secrets_expiry').on('client_secrets').column('expires_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('Portico migrations only move forward');
}
