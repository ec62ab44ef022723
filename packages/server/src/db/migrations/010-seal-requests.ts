// Seal requests: every event appended to an ended conference (its `ended` event included) files one, and the sealer
// works from them, deleting those its manifest covers. It used to look for work among all ended conferences, sealed
// ones included, on every run: a cost that grew with every conference ever held.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('seal_requests')
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('seal_requests_pk', ['session_id', 'seq'])
    .execute();
  // Ended conferences with events that no manifest seals yet: one request, for their newest event.
  await sql`insert into seal_requests (session_id, seq, at)
    select e.session_id, e.seq, e.at from conferences c join conference_events e on e.session_id = c.session_id
    where c.state = 'ended'
      and e.seq = (select max(x.seq) from conference_events x where x.session_id = c.session_id)
      and e.seq > coalesce((select max(m.to_seq) from manifests m where m.session_id = c.session_id), 0)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
