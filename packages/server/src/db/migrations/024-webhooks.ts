// Webhooks (issue 22): an organisation's endpoints, the event types each subscribes to, and the delivery outbox: one
// row per event and endpoint, written in the transaction that logs the event (db/webhook-outbox.ts), so none is lost.
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // No foreign key: organisations may be migrated after this on an install that skipped ahead.
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    // JSON array of the subscribed types (the rows of webhook_subscriptions are what deliveries are made from).
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    // The signing secret wrapped under the master key (storage/encryption.ts MasterKeyring), and its key's id.
    .addColumn('secret_key_id', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    // During a rotation: the old secret, also signing until previous_expires_at.
    .addColumn('previous_key_id', 'text')
    .addColumn('previous_secret', 'text')
    .addColumn('previous_expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .addColumn('disabled_reason', 'text')
    .addColumn('failing_since', 'bigint')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('webhooks_org').on('webhooks').columns(['organisation_id', 'created_at']).execute();
  // Enabled endpoints only: the event log's outbox insert reads this by (organisation, type).
  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('webhook_subscriptions_pk', ['organisation_id', 'event_type', 'webhook_id'])
    .execute();
  await db.schema
    .createTable('webhook_deliveries')
    // Increasing in insert order: a conference's deliveries to an endpoint go out in this order.
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    // Conference events: the logged event (its data and hash are read from the log when sent); else null.
    .addColumn('event_seq', 'integer')
    // Other events (manifests): their data as JSON; the event id for every event.
    .addColumn('data', 'text')
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // pending | delivered | failed
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    // A worker's claim: until then no other process sends it (a crashed worker's claim simply runs out).
    .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('delivered_at', 'bigint')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('redelivery_of', 'text')
    .execute();
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_chain').on('webhook_deliveries').columns(['webhook_id', 'session_id', 'status', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_listing').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
