// A sealer worker thread (seal-threads.ts starts it): reads due conferences on its own read-only SQLite connection,
// then builds and hashes their manifests, while the sealer's thread stores the ones it already has.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { eventsFromSqliteRows, sealedManifests, SQLITE_EVENTS_SQL, SQLITE_MANIFESTS_SQL, type LatestManifest } from './seal-rows.js';
import type { SealReply, SealRequest } from './seal-threads.js';

const db = new SQLite((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const readManifests = db.prepare<[string], LatestManifest>(SQLITE_MANIFESTS_SQL);
const readEvents = db.prepare<[string], { session_id: string; events: string }>(SQLITE_EVENTS_SQL);
// Both reads in one transaction: one snapshot.
const readChunk = db.transaction((ids: string) => ({ manifests: readManifests.all(ids), events: readEvents.all(ids) }));

parentPort!.on('message', ({ id, sessionIds, sealedAt }: SealRequest) => {
  let reply: SealReply;
  try {
    const { manifests, events } = readChunk(JSON.stringify(sessionIds));
    reply = { id, sealed: sealedManifests(manifests, eventsFromSqliteRows(events), sealedAt) };
  } catch (error) {
    reply = { id, error: (error as Error).message ?? String(error) };
  }
  parentPort!.postMessage(reply);
});
