// Creating a conference: its row and its first event ('requested'), committed together.
import type { Db } from '../db/database.js';
import type { ConferenceEventsTable, JoinPolicy, ListPolicy } from '../db/schema.js';
import { prepareQuery } from '../db/prepared.js';
import { appendFirstEvent, eventValues, firstEventRow } from '../db/event-log.js';
import { insertConference, requestedConferenceValues } from './repository.js';

export interface NewConference {
  sessionId: string;
  ownerId: string;
  roomName: string;
  now: number;
  /** Who asked for it, as the event log names actors (`user:<username>`). */
  actor: string;
  joinPolicy: JoinPolicy;
  joinPasswordHash: string | null;
  organisationId: string;
  listPolicy: ListPolicy;
  /** 1: guests wait for the owner. */
  waitingRoom: 0 | 1;
}

// PostgreSQL: one statement, so one implicit transaction and one round trip instead of four (BEGIN, two inserts,
// COMMIT). A data-modifying WITH runs to completion whether or not the main insert reads it, and the event's
// foreign key is checked at the end of the statement, after the conference row exists.
const insertWithFirstEvent = prepareQuery(
  (
    db,
    p: {
      ownerId: string;
      roomName: string;
      now: number;
      joinPolicy: JoinPolicy;
      joinPasswordHash: string | null;
      organisationId: string;
      listPolicy: ListPolicy;
      waitingRoom: 0 | 1;
    } & ConferenceEventsTable,
  ) =>
    db
      .with('created', (q) =>
        q
          .insertInto('conferences')
          .values(
            requestedConferenceValues({
              sessionId: p.session_id,
              ownerId: p.ownerId,
              roomName: p.roomName,
              now: p.now,
              joinPolicy: p.joinPolicy,
              joinPasswordHash: p.joinPasswordHash,
              organisationId: p.organisationId,
              listPolicy: p.listPolicy,
              waitingRoom: p.waitingRoom,
            }),
          )
          .returning('session_id'),
      )
      .insertInto('conference_events')
      .values(eventValues(p)),
);

/** Inserts the conference and its first event atomically; rejects (unique violation) when the session id exists. */
export async function createConference(db: Db, c: NewConference): Promise<void> {
  const event = { sessionId: c.sessionId, type: 'requested' as const, actor: c.actor, at: c.now };
  if (db.dialect === 'postgres') {
    await insertWithFirstEvent.run(db.kysely, {
      ownerId: c.ownerId,
      roomName: c.roomName,
      now: c.now,
      joinPolicy: c.joinPolicy,
      joinPasswordHash: c.joinPasswordHash,
      organisationId: c.organisationId,
      listPolicy: c.listPolicy,
      waitingRoom: c.waitingRoom,
      ...firstEventRow(event),
    });
    return;
  }
  // SQLite has no data-modifying WITH: two statements in a write transaction (with group commit, see db/group-commit.ts).
  await db.write(async (trx) => {
    await insertConference.run(trx, {
      sessionId: c.sessionId,
      ownerId: c.ownerId,
      roomName: c.roomName,
      now: c.now,
      joinPolicy: c.joinPolicy,
      joinPasswordHash: c.joinPasswordHash,
      organisationId: c.organisationId,
      listPolicy: c.listPolicy,
      waitingRoom: c.waitingRoom,
    });
    await appendFirstEvent(trx, event);
  });
}
