// The webhooks' outbox proper (issue 22): the transaction that logs an event appends one row per subscribed endpoint
// here, a table with no index but its key and no foreign key, so that the write a request waits for touches one more
// page at most; the delivery worker moves rows in batches into webhook_deliveries (its indexes paid there, off the
// request's path), in one transaction: each row becomes exactly one delivery (db/webhook-outbox.ts, relayWebhookOutbox).
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('webhook_outbox')
    // The order rows were appended in: relayed in that order (a conference's events are appended one after another).
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('organisation_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_seq', 'integer')
    .addColumn('data', 'text')
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
