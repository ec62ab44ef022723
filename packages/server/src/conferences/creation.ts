// Creating a conference: its row and its first event ('requested'), committed together.
import type { Db } from '../db/database.js';
import type { ConferenceEventsTable, JoinPolicy, ListPolicy } from '../db/schema.js';
import { prepareQuery } from '../db/prepared.js';
import { sql } from 'kysely';
import { webhookEventOfLogged } from '@v4h/protocol';
import { appendFirstEvent, eventValues, firstEventRow } from '../db/event-log.js';
import { nudgeWebhookWorkers, webhookEventId } from '../db/webhook-outbox.js';
import { insertConference, requestedConferenceValues } from './repository.js';
import { AppError } from '../errors.js';
import { DEFAULT_ORGANISATION_ID } from '../db/memberships.js';

/**
 * The stored id of a caller-chosen session id: outside the `default` organisation, `<organisationId>~<chosen>`, so that
 * chosen ids are scoped to the organisation (two clinics may both use `appt-123`; neither can probe the other's ids).
 * The `default` organisation (every install before organisations) keeps ids as they were. A chosen id given again in its
 * scoped form is the same id; another organisation's prefix is refused.
 */
export function scopeChosenSessionId(organisationId: string, chosen: string): string {
  const mark = chosen.indexOf('~');
  if (mark !== -1) {
    if (chosen.slice(0, mark) !== organisationId) {
      throw new AppError('validation_failed', "a chosen session id may carry only its owner's organisation prefix (`<organisationId>~`), or none");
    }
    return chosen;
  }
  return organisationId === DEFAULT_ORGANISATION_ID ? chosen : `${organisationId}~${chosen}`;
}

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
  waitingRoom: 0 | 1 | 2;
}

const REQUESTED_WEBHOOK_TYPE = webhookEventOfLogged('requested')!;

// PostgreSQL: one statement, so one implicit transaction and one round trip instead of four (BEGIN, two inserts,
// COMMIT), the webhooks' outbox rows included. A data-modifying WITH runs to completion whether or not the main insert reads it, and the event's
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
      waitingRoom: 0 | 1 | 2;
      eventId: string;
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
          .returning(['session_id', 'organisation_id']),
      )
      .with('logged', (q) => q.insertInto('conference_events').values(eventValues(p)))
      // The webhooks' outbox rows of the first event (db/webhook-outbox.ts; appendFirstEvent writes them on SQLite).
      .insertInto('webhook_outbox')
      .columns(['webhook_id', 'organisation_id', 'session_id', 'event_type', 'event_seq', 'event_id', 'created_at'])
      .expression((eb) =>
        eb
          .selectFrom('webhook_subscriptions as s')
          .innerJoin('created', 'created.organisation_id', 's.organisation_id')
          .select([
            's.webhook_id',
            's.organisation_id',
            'created.session_id',
            's.event_type',
            sql<number>`cast(${p.seq} as integer)`.as('event_seq'),
            sql<string>`cast(${p.eventId} as text)`.as('event_id'),
            sql<number>`cast(${p.at} as bigint)`.as('created_at'),
          ])
          .where('s.event_type', '=', REQUESTED_WEBHOOK_TYPE),
      ),
);

/** Inserts the conference and its first event atomically; rejects (unique violation) when the session id exists. */
export async function createConference(db: Db, c: NewConference): Promise<void> {
  const event = { sessionId: c.sessionId, type: 'requested' as const, actor: c.actor, at: c.now };
  if (db.dialect === 'postgres') {
    const row = firstEventRow(event);
    const result = await insertWithFirstEvent.run(db.kysely, {
      ownerId: c.ownerId,
      roomName: c.roomName,
      now: c.now,
      joinPolicy: c.joinPolicy,
      joinPasswordHash: c.joinPasswordHash,
      organisationId: c.organisationId,
      listPolicy: c.listPolicy,
      waitingRoom: c.waitingRoom,
      ...row,
      eventId: webhookEventId(row.hash),
    });
    if (Number(result.numAffectedRows ?? 0) > 0) nudgeWebhookWorkers();
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
