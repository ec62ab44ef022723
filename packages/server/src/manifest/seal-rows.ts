// What sealing a chunk of due conferences computes from what it reads: shared by the sealer's own thread and its worker
// threads (seal-threads.ts). Light imports only, since a worker thread loads this module.
import type { ManifestsTable } from '../db/schema.js';
import { sha256Hex } from '../lib/ids.js';
import { manifestText, type StoredEventFields } from './text.js';

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

/**
 * SQLite, one parameter (a JSON array of session ids): each conference's events after its latest manifest, as one JSON
 * array of [seq, type, actor, at, data, prev_hash, hash] tuples (on SQLite a row per event costs more to read than the
 * event's text).
 */
export const SQLITE_EVENTS_SQL = `select e.session_id, json_group_array(json_array(e.seq, e.type, e.actor, e.at, e.data, e.prev_hash, e.hash) order by e.seq) as events
  from json_each(?) v join conference_events e on e.session_id = v.value
    and e.seq > coalesce((select max(m.to_seq) from manifests m where m.session_id = v.value), 0)
  group by e.session_id`;

type EventTuple = [seq: number, type: string, actor: string, at: number, data: string, prev_hash: string, hash: string];

/** The rows of SQLITE_EVENTS_SQL as events by session. */
export function eventsFromSqliteRows(rows: readonly { session_id: string; events: string }[]): Map<string, StoredEventFields[]> {
  const bySession = new Map<string, StoredEventFields[]>();
  for (const row of rows) {
    const tuples = JSON.parse(row.events) as EventTuple[];
    bySession.set(row.session_id, tuples.map(([seq, type, actor, at, data, prev_hash, hash]) => ({ seq, type, actor, at, data, prev_hash, hash })));
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
      session_id: sessionId, part: input.part, hash: sha256Hex(manifestText(input)), prev_hash: input.prev, from_seq: run[0].seq,
      to_seq: run[run.length - 1].seq, body: null, sealed_at: sealedAt, batch_id: null, leaf_index: null, proof: null,
    });
  }
  return sealed;
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
