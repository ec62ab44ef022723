// A sealer worker thread (seal-threads.ts starts it): reads due conferences on its own read-only SQLite connection,
// then builds and hashes their manifests, while the sealer's thread stores the ones it already has.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import {
  eventsFromSqliteRows,
  sealedFromEventTexts,
  sealedManifests,
  SQLITE_EVENT_TEXTS_SQL,
  SQLITE_EVENTS_SQL,
  SQLITE_MANIFESTS_SQL,
  type EventTextsRow,
  type LatestManifest,
} from './seal-rows.js';
import type { SealReply, SealRequest } from './seal-threads.js';

const db = new SQLite((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const readManifests = db.prepare<[string], LatestManifest>(SQLITE_MANIFESTS_SQL);
const readEventTexts = db.prepare<[string], EventTextsRow>(SQLITE_EVENT_TEXTS_SQL);
const readEvents = db.prepare<[string], { session_id: string; events: string }>(SQLITE_EVENTS_SQL);
// Every read of a chunk in one transaction: one snapshot.
const readAndSeal = db.transaction((sessionIds: string[], sealedAt: number) => {
  const ids = JSON.stringify(sessionIds);
  const manifests = readManifests.all(ids);
  const { sealed, rowByRow } = sealedFromEventTexts(manifests, readEventTexts.all(ids), sealedAt);
  if (rowByRow.length > 0) sealed.push(...sealedManifests(manifests, eventsFromSqliteRows(readEvents.all(JSON.stringify(rowByRow))), sealedAt));
  return sealed;
});

parentPort!.on('message', ({ id, sessionIds, sealedAt }: SealRequest) => {
  let reply: SealReply;
  try {
    reply = { id, sealed: readAndSeal(sessionIds, sealedAt) };
  } catch (error) {
    reply = { id, error: (error as Error).message ?? String(error) };
  }
  parentPort!.postMessage(reply);
});
