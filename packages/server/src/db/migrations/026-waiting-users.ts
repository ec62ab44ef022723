// The waiting room for users with accounts (issue 20: invited users do not wait "unless the owner says so"): a
// conference's `waiting_room` 2 makes them knock too; each user's place in its waiting room, as a guest link's.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // conferences.waiting_room (022) now reads 0 none, 1 guests wait, 2 guests and users wait: no new column.
  // One row per user who knocked on a conference; `deny_reason` is the owner's words to them (erased with them).
  await db.schema
    .createTable('waiting_users')
    .addColumn('participant_id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    // new | waiting | admitted | denied
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('knocked_at', 'bigint')
    .addColumn('decided_at', 'bigint')
    .addColumn('deny_reason', 'text')
    .addColumn('entered_at', 'bigint')
    .addColumn('seen_at', 'bigint')
    .addUniqueConstraint('waiting_users_session_user', ['session_id', 'user_id'])
    .execute();
  await db.schema.createIndex('waiting_users_session').on('waiting_users').columns(['session_id', 'state']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
