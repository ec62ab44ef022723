// An index for urlStorage's lookup (a conference's first recording), which getConference runs on every call.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Matches `where session_id = ? and kind = ? order by created_at, id limit 1` exactly: one index seek, no sort.
  await db.schema.createIndex('files_session_kind_created').on('files').columns(['session_id', 'kind', 'created_at', 'id']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
