// Recordings and attachments encrypted at rest (issue 19): each file's data key, wrapped by the master key, and the
// scheme it was stored with. Files stored before this keep null: their bytes are plaintext and are served as they are.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('files').addColumn('encryption', 'text').execute();
  await db.schema.alterTable('files').addColumn('key_id', 'text').execute();
  await db.schema.alterTable('files').addColumn('data_key', 'text').execute();
  // The start-up check asks which master keys wrapped the stored data keys (storage/encryption.ts).
  await db.schema.createIndex('files_key_id').on('files').column('key_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
