// The waiting room (issue 20): whether a conference's guests wait for the owner, and each guest link's place in it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Conferences from before keep their links as they were: no waiting room.
  await db.schema
    .alterTable('conferences')
    .addColumn('waiting_room', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // The owner's name in the call (start's displayName): the guest page says whom the guest waits for. Erasable.
  await db.schema.alterTable('conferences').addColumn('host_name', 'text').execute();
  // One row per guest link of a conference with a waiting room (one person at a time per link). The guest's name
  // lives in `guests` (erasable); `deny_reason` is the owner's words to the guest, erased with the guest.
  await db.schema
    .createTable('waiting_room')
    .addColumn('guest_id', 'text', (c) => c.primaryKey().references('guests.guest_id'))
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('participant_id', 'text', (c) => c.notNull().unique())
    // new | waiting | admitted | denied
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('knocked_at', 'bigint')
    .addColumn('decided_at', 'bigint')
    .addColumn('deny_reason', 'text')
    // When the video token of the current admission was issued (POST /api/visit/enter), else null.
    .addColumn('entered_at', 'bigint')
    // The last time a stream of this guest opened (leaving the queue is decided against it across processes).
    .addColumn('seen_at', 'bigint')
    .execute();
  await db.schema.createIndex('waiting_room_session').on('waiting_room').columns(['session_id', 'state']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
