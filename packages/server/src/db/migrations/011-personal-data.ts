// Personal data out of the event log (issue 19): per-subject commitment keys and guests' details in ordinary,
// erasable tables; conferences created before this are marked, as their events may still name people.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('subject_keys')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('guests')
    .addColumn('guest_id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('name', 'text')
    .addColumn('avatar_url', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('erased_at', 'bigint')
    .execute();
  await db.schema.createIndex('guests_session').on('guests').column('session_id').execute();
  await db.schema
    .alterTable('conferences')
    .addColumn('pseudonymous', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await sql`update conferences set pseudonymous = 0`.execute(db);
  await db.schema.alterTable('files').addColumn('deleted_at', 'bigint').execute();
  await db.schema.alterTable('files').addColumn('deleted_reason', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
