// Conference queries on the hot paths (compiled once, see db/prepared.ts) and the list cursor.
import { prepareQuery } from '../db/prepared.js';
import { AppError } from '../errors.js';
import type { JoinPolicy, ListPolicy } from '../db/schema.js';

// The per-request queries (getConference, requestConference), compiled once: see db/prepared.ts.
export const conferenceById = prepareQuery((db, p: { sessionId: string }) => db.selectFrom('conferences').selectAll().where('session_id', '=', p.sessionId));
// getConference: answered from the SQLite read cache when nothing changed since the last call (clients poll it).
export const conferenceWithOwner = prepareQuery(
  (db, p: { sessionId: string }) =>
    db
      .selectFrom('conferences')
      .innerJoin('users', 'users.id', 'conferences.owner_id')
      .selectAll('conferences')
      .select('users.username')
      .where('session_id', '=', p.sessionId),
  { cached: true },
);
/** The row of a conference just requested: the values of the insert statements that create one. */
export interface NewConferenceRow {
  sessionId: string;
  ownerId: string;
  roomName: string;
  now: number;
  joinPolicy: JoinPolicy;
  joinPasswordHash: string | null;
  /** The owner's organisation. */
  organisationId: string;
  listPolicy: ListPolicy;
  /** 1: guests wait for the owner (waiting/); a number, not a boolean: prepared queries bind it as it is. */
  waitingRoom: 0 | 1 | 2;
}
export const requestedConferenceValues = (p: NewConferenceRow) => ({
  session_id: p.sessionId,
  owner_id: p.ownerId,
  room_name: p.roomName,
  state: 'requested' as const,
  created_at: p.now,
  started_at: null,
  ended_at: null,
  end_reason: null,
  last_activity_at: p.now,
  hash: null,
  hash_type: null,
  dlt_id: null,
  dlt_type: null,
  join_policy: p.joinPolicy,
  join_password_hash: p.joinPasswordHash,
  organisation_id: p.organisationId,
  list_policy: p.listPolicy,
  waiting_room: p.waitingRoom,
});
export const insertConference = prepareQuery((db, p: NewConferenceRow) => db.insertInto('conferences').values(requestedConferenceValues(p)));

/** Opaque position in a newest-first listing. */
export function encodeCursor(createdAt: number, sessionId: string) {
  return Buffer.from(`${createdAt}:${sessionId}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; sessionId: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):([A-Za-z0-9_-]{1,64}(?:~[A-Za-z0-9_-]{1,64})?)$/.exec(text);
  if (!match) throw new AppError('bad_request', 'invalid cursor');
  return { createdAt: Number(match[1]), sessionId: match[2] };
}
