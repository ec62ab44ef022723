// The per-conference event log: append-only and hash-chained (each event names the previous one's hash).
// The canonical form of an event is specified in docs/manifest.md; change it only with that document.
import { sql, type Kysely, type Transaction } from 'kysely';
import { canonicalize, EVENT_FORMAT_VERSION, GENESIS_HASH, type Json, type ManifestEvent } from '@v4h/protocol/verify';
import { sha256Hex } from '../lib/ids.js';
import type { ConferenceEventsTable, Database } from './schema.js';
import type { ConferenceEventType } from '@v4h/protocol';
import { prepareQuery } from './prepared.js';
import { enqueueLoggedEvent } from './webhook-outbox.js';

export { EVENT_FORMAT_VERSION, GENESIS_HASH };

/** The types of events the log holds: the wire's list (the event channel names its events by them). */
export type EventType = ConferenceEventType;

/** An event as it appears in a manifest, without its `hash`: exactly the object whose JCS bytes are hashed. */
export type CanonicalEvent = Omit<ManifestEvent, 'hash'>;

export function canonicalEvent(row: Omit<ConferenceEventsTable, 'hash'>): CanonicalEvent {
  return {
    v: EVENT_FORMAT_VERSION,
    sessionId: row.session_id,
    seq: row.seq,
    type: row.type,
    actor: row.actor,
    at: new Date(row.at).toISOString(),
    data: JSON.parse(row.data) as CanonicalEvent['data'],
    prev: row.prev_hash,
  };
}

/** SHA-256 (lowercase hex) of the event's canonical JSON. */
export const eventHash = (event: CanonicalEvent) => sha256Hex(canonicalize(event));

/**
 * The JCS text of a stored row's event, written out directly: byte for byte canonicalize(canonicalEvent(row)), the
 * members in JCS order, without building and sorting the object (a third of an append's cost). `data` is stored as
 * JCS text already (appendEvent writes it so), and JCS of a value parsed from JCS text is that text.
 */
export function canonicalEventText(row: Omit<ConferenceEventsTable, 'hash'>): string {
  const at = canonicalize(new Date(row.at).toISOString());
  return `{"actor":${canonicalize(row.actor)},"at":${at},"data":${row.data},"prev":${canonicalize(row.prev_hash)},"seq":${canonicalize(row.seq)},"sessionId":${canonicalize(row.session_id)},"type":${canonicalize(row.type)},"v":${EVENT_FORMAT_VERSION}}`;
}

export interface NewEvent {
  sessionId: string;
  type: EventType;
  /** `user:<userId>`, `guest:<guestId>`, `recorder` or `system`: ids, never names (docs/manifest.md §1.1). */
  actor: string;
  at: number;
  data?: { [key: string]: Json };
}

// Every change of every conference appends an event: its statements are compiled once (see db/prepared.ts), with
// a literal LIMIT, as SQLite runs `limit ?` several times slower. The newest event comes with the conference's
// state: an event appended to an ended conference files a seal request.
const lastEvent = prepareQuery((db, p: { sessionId: string }) =>
  db
    .selectFrom('conferences')
    .leftJoin('conference_events', 'conference_events.session_id', 'conferences.session_id')
    .select(['conference_events.seq', 'conference_events.hash', 'conferences.state'])
    .where('conferences.session_id', '=', p.sessionId)
    .orderBy('conference_events.seq', 'desc')
    .limit(sql.lit(1)),
);
/** An event row as the values of an insert statement (only its columns, whatever else `p` holds). */
export const eventValues = (p: ConferenceEventsTable): ConferenceEventsTable => ({
  session_id: p.session_id,
  seq: p.seq,
  type: p.type,
  actor: p.actor,
  at: p.at,
  data: p.data,
  prev_hash: p.prev_hash,
  hash: p.hash,
});
const insertEvent = prepareQuery((db, p: ConferenceEventsTable) => db.insertInto('conference_events').values(eventValues(p)));
const insertSealRequest = prepareQuery((db, p: ConferenceEventsTable) =>
  db.insertInto('seal_requests').values({ session_id: p.session_id, seq: p.seq, at: p.at }),
);

/**
 * Appends one event inside the caller's transaction. The caller must hold the conference row
 * (see lockConference) so that two appends to the same conference never race for a sequence number.
 */
export async function appendEvent(trx: Transaction<Database> | Kysely<Database>, event: NewEvent): Promise<ConferenceEventsTable> {
  const last = await lastEvent.first(trx, { sessionId: event.sessionId });
  const row = await insertChained(trx, event, last?.seq == null ? undefined : { seq: last.seq, hash: last.hash! });
  // Its `ended` event (appended once the state is 'ended') and every later one ask to be sealed (records/sealer.ts).
  if (last?.state === 'ended') await insertSealRequest.run(trx, row);
  return row;
}

/**
 * Appends a conference's first event (seq 1, after the genesis hash) inside the transaction that has just inserted
 * the conference: no event can precede it (events reference their conference, and conferences are never deleted),
 * so the last-event lookup of appendEvent is skipped.
 */
export async function appendFirstEvent(trx: Transaction<Database>, event: NewEvent): Promise<ConferenceEventsTable> {
  return insertChained(trx, event, undefined);
}

/** The row of a conference's first event, hash included: for a statement that inserts it with the conference. */
export const firstEventRow = (event: NewEvent) => chainedRow(event, undefined);

async function insertChained(trx: Transaction<Database> | Kysely<Database>, event: NewEvent, last: { seq: number; hash: string } | undefined) {
  const row = chainedRow(event, last);
  await insertEvent.run(trx, row);
  // The webhooks' outbox rows, in the same transaction: the one path from the log to webhooks (db/webhook-outbox.ts).
  await enqueueLoggedEvent(trx, row);
  return row;
}

function chainedRow(event: NewEvent, last: { seq: number; hash: string } | undefined): ConferenceEventsTable {
  const row = {
    session_id: event.sessionId,
    seq: (last?.seq ?? 0) + 1,
    type: event.type,
    actor: event.actor,
    at: event.at,
    data: canonicalize(event.data ?? {}),
    prev_hash: last?.hash ?? GENESIS_HASH,
  };
  return { ...row, hash: sha256Hex(canonicalEventText(row)) };
}

// The same row as conferences/repository.ts conferenceById: the event log, used by every domain, imports no domain.
const conferenceById = prepareQuery((db, p: { sessionId: string }) => db.selectFrom('conferences').selectAll().where('session_id', '=', p.sessionId));
const conferenceForUpdate = prepareQuery((db, p: { sessionId: string }) =>
  db.selectFrom('conferences').selectAll().where('session_id', '=', p.sessionId).forUpdate(),
);

/** Locks the conference row for the rest of the transaction (PostgreSQL; SQLite transactions are serial). */
export async function lockConference(trx: Transaction<Database>, sessionId: string, dialect: 'sqlite' | 'postgres') {
  return (dialect === 'postgres' ? conferenceForUpdate : conferenceById).first(trx, { sessionId });
}

export async function listEvents(db: Kysely<Database>, sessionId: string): Promise<ConferenceEventsTable[]> {
  return db.selectFrom('conference_events').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute();
}
