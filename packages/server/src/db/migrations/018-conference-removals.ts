// People the owner removed from a conference (a kicked participant, a revoked guest link): their tokens are refused
// and a removed user cannot join that conference again (issue 15 item 2).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conference_removals')
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    // `user:<userId>` or `guest:<guestId>`, as event actors name them.
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('conference_removals_pk', ['session_id', 'subject'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
