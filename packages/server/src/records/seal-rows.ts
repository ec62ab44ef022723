// What sealing a chunk of due conferences computes from what it reads: shared by the sealer's own thread and its worker
// threads (seal-threads.ts). Light imports only, since a worker thread loads this module.
import type { ManifestsTable } from '../db/schema.js';
import { sha256Hex } from '../lib/ids.js';
import { manifestAroundEvents, manifestText, SQLITE_EVENT_TEXT, SQLITE_EVENT_TEXT_EXACT, type StoredEventFields } from './text.js';

/** A conference's latest manifest, which the next one continues. */
export interface LatestManifest {
  session_id: string;
  hash: string;
  part: number;
  to_seq: number;
}

/**
 * SQLite, one parameter (a JSON array of session ids): their manifests, by part. The last row of a session is its
 * latest manifest.
 */
export const SQLITE_MANIFESTS_SQL = `select session_id, hash, part, to_seq from manifests
  where session_id in (select value from json_each(?)) order by part`;

// The events after a conference's latest manifest (the parameter: a JSON array of session ids).
const UNSEALED_EVENTS = `from json_each(?) v join conference_events e on e.session_id = v.value
    and e.seq > coalesce((select max(m.to_seq) from manifests m where m.session_id = v.value), 0)
  group by e.session_id`;

/**
 * SQLite, one parameter (a JSON array of session ids): each conference's events after its latest manifest, written
 * by SQLite as manifest text (null where it cannot write a time exactly), with their first and last seq and count.
 * Reading one string per conference costs less than reading its event rows and writing their text in JavaScript.
 */
export const SQLITE_EVENT_TEXTS_SQL = `select e.session_id, min(e.seq) as from_seq, max(e.seq) as to_seq, count(*) as count,
    case when min(${SQLITE_EVENT_TEXT_EXACT}) then group_concat(${SQLITE_EVENT_TEXT}, ',' order by e.seq) end as texts
  ${UNSEALED_EVENTS}`;

export interface EventTextsRow {
  session_id: string;
  from_seq: number;
  to_seq: number;
  count: number;
  texts: string | null;
}

/**
 * SQLite, one parameter (a JSON array of session ids): each conference's events after its latest manifest, as one JSON
 * array of [seq, type, actor, at, data, prev_hash, hash] tuples (on SQLite a row per event costs more to read than the
 * event's text). For what SQLITE_EVENT_TEXTS_SQL leaves to JavaScript.
 */
export const SQLITE_EVENTS_SQL = `select e.session_id, json_group_array(json_array(e.seq, e.type, e.actor, e.at, e.data, e.prev_hash, e.hash) order by e.seq) as events
  ${UNSEALED_EVENTS}`;

type EventTuple = [seq: number, type: string, actor: string, at: number, data: string, prev_hash: string, hash: string];

/** The rows of SQLITE_EVENTS_SQL as events by session. */
export function eventsFromSqliteRows(rows: readonly { session_id: string; events: string }[]): Map<string, StoredEventFields[]> {
  const bySession = new Map<string, StoredEventFields[]>();
  for (const row of rows) {
    const tuples = JSON.parse(row.events) as EventTuple[];
    bySession.set(
      row.session_id,
      tuples.map(([seq, type, actor, at, data, prev_hash, hash]) => ({ seq, type, actor, at, data, prev_hash, hash })),
    );
  }
  return bySession;
}

/**
 * The manifests that seal each conference's events after its latest manifest (`manifests`: rows ordered by part),
 * as rows to store. Only a gapless run is sealed: a gap is an append still in flight, sealed next time.
 */
export function sealedManifests(
  manifests: readonly LatestManifest[],
  eventsBySession: ReadonlyMap<string, readonly StoredEventFields[]>,
  sealedAt: number,
): ManifestsTable[] {
  const latest = new Map(manifests.map((m) => [m.session_id, m]));
  const sealed: ManifestsTable[] = [];
  for (const [sessionId, events] of eventsBySession) {
    const prev = latest.get(sessionId);
    const run = contiguousRun(events, (prev?.to_seq ?? 0) + 1);
    if (run.length === 0) continue;
    const input = { sessionId, part: prev ? prev.part + 1 : 0, prev: prev?.hash ?? null, sealedAt, events: run };
    // The text is not stored: it is rebuilt from the (append-only) events it seals, and its hash is what is anchored.
    sealed.push({
      session_id: sessionId,
      part: input.part,
      hash: sha256Hex(manifestText(input)),
      prev_hash: input.prev,
      from_seq: run[0].seq,
      to_seq: run[run.length - 1].seq,
      body: null,
      sealed_at: sealedAt,
      batch_id: null,
      leaf_index: null,
      proof: null,
    });
  }
  return sealed;
}

/**
 * The manifests that seal the conferences whose unsealed events SQLite wrote as text (SQLITE_EVENT_TEXTS_SQL), and the
 * conferences left to sealedManifests: a gap in their events (only the run before it is sealed) or a time SQLite could
 * not write.
 */
export function sealedFromEventTexts(
  manifests: readonly LatestManifest[],
  rows: readonly EventTextsRow[],
  sealedAt: number,
): { sealed: ManifestsTable[]; rowByRow: string[] } {
  const latest = new Map(manifests.map((m) => [m.session_id, m]));
  const sealed: ManifestsTable[] = [];
  const rowByRow: string[] = [];
  for (const row of rows) {
    const prev = latest.get(row.session_id);
    const fromSeq = (prev?.to_seq ?? 0) + 1;
    if (row.texts === null || row.from_seq !== fromSeq || row.to_seq - row.from_seq + 1 !== row.count) {
      rowByRow.push(row.session_id);
      continue;
    }
    const header = { sessionId: row.session_id, part: prev ? prev.part + 1 : 0, prev: prev?.hash ?? null, sealedAt, fromSeq, toSeq: row.to_seq };
    sealed.push({
      session_id: row.session_id,
      part: header.part,
      hash: sha256Hex(manifestAroundEvents(header, row.texts)),
      prev_hash: header.prev,
      from_seq: fromSeq,
      to_seq: row.to_seq,
      body: null,
      sealed_at: sealedAt,
      batch_id: null,
      leaf_index: null,
      proof: null,
    });
  }
  return { sealed, rowByRow };
}

/** The events from `firstSeq` on without a gap. */
function contiguousRun(events: readonly StoredEventFields[], firstSeq: number): StoredEventFields[] {
  const run: StoredEventFields[] = [];
  for (const e of events) {
    if (e.seq !== firstSeq + run.length) break;
    run.push(e);
  }
  return run;
}
