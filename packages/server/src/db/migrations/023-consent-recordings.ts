// Consent requests (the exact texts participants are shown), recordings (live state and chunked upload) and their
// chunks (issue 21). Answers to consent requests are events in the conference's log, not rows here.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('consent_requests')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    // The language of the text the owner gave (or the default language when the server's texts are used).
    .addColumn('locale', 'text', (c) => c.notNull())
    // JSON object: language tag → the exact text shown in it (one entry for an owner's own text).
    .addColumn('texts', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_requests_session').on('consent_requests').columns(['session_id', 'created_at']).execute();

  await db.schema
    .createTable('recordings')
    .addColumn('recording_id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    // 'recording' | 'stopped' for one started with recording/start; null for an upload alone.
    .addColumn('live', 'text')
    .addColumn('stop_reason', 'text')
    // 'open' | 'completing' | 'complete' | 'abandoned'
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('next_index', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('file_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('stopped_at', 'bigint')
    .execute();
  await db.schema.createIndex('recordings_session').on('recordings').columns(['session_id', 'created_at']).execute();
  await db.schema.createIndex('recordings_state').on('recordings').columns(['state', 'updated_at']).execute();

  await db.schema
    .createTable('recording_chunks')
    .addColumn('recording_id', 'text', (c) => c.notNull().references('recordings.recording_id'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('storage_key', 'text', (c) => c.notNull())
    // The chunk's own data key, sealed as a file's is (storage/encryption.ts); null once its object is deleted.
    .addColumn('encryption', 'text')
    .addColumn('key_id', 'text')
    .addColumn('data_key', 'text')
    .addPrimaryKeyConstraint('recording_chunks_pk', ['recording_id', 'idx'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
