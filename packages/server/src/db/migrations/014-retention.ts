// Retention (issue 19): which conferences' personal data has been erased, and a record of each retention pass that
// removed something. The indexes let a pass find what is due without reading every file or conference.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('conferences').addColumn('personal_data_erased_at', 'bigint').execute();
  await db.schema.createIndex('conferences_ended').on('conferences').column('ended_at').execute();
  await db.schema.createIndex('files_created').on('files').column('created_at').execute();
  await db.schema
    .createTable('retention_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint', (c) => c.notNull())
    // JSON: { filesDeleted: [fileId], conferencesErased: [sessionId], auditRowsDeleted: n } (ids only).
    .addColumn('removed', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('retention_runs_started').on('retention_runs').column('started_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
