// Tamper-evident records: sealed manifests, the anchoring outbox, the embedded ledger and worker leases.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('manifests')
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('prev_hash', 'text')
    .addColumn('from_seq', 'integer', (c) => c.notNull())
    .addColumn('to_seq', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('sealed_at', 'bigint', (c) => c.notNull())
    .addColumn('batch_id', 'text')
    .addColumn('leaf_index', 'integer')
    .addColumn('proof', 'text')
    .addPrimaryKeyConstraint('manifests_pk', ['session_id', 'part'])
    .execute();
  await db.schema.createIndex('manifests_batch').on('manifests').columns(['batch_id', 'sealed_at']).execute();

  await db.schema
    .createTable('anchor_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('ledger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('tx_nonce', 'integer')
    .addColumn('tx_attempts', 'text')
    .addColumn('dlt_id', 'text')
    .addColumn('anchor', 'text')
    .addColumn('anchored_at', 'bigint')
    .execute();
  await db.schema.createIndex('anchor_batches_status').on('anchor_batches').columns(['status', 'created_at']).execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('batch_id', 'text', (c) => c.notNull().unique())
    .execute();

  await db.schema
    .createTable('worker_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
