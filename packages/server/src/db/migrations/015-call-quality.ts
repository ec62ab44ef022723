// The built-in room's call quality summaries: one row per participant of a conference, from its meeting page
// (issue 23). Numbers and the room's participant id only: no personal data.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('call_quality')
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('participant_id', 'text', (c) => c.notNull())
    .addColumn('reported_at', 'bigint', (c) => c.notNull())
    // A QualitySummary (room/quality.ts), rebuilt from known numeric fields before it is stored.
    .addColumn('summary', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_quality_pk', ['session_id', 'participant_id'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
