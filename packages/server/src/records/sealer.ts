// The seal worker: V4H_SEAL_DELAY after a conference ends (and after its last late event), seals what is unsealed.
import { enqueueSealedManifests } from '../db/webhook-outbox.js';
import type { Metrics } from '../metrics/metrics.js';
import os from 'node:os';
import { CompiledQuery, SqliteAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database, ManifestsTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import type { StoredEventFields } from './text.js';
import { acquireLease, releaseLease } from '../db/lease.js';
import { newId } from '../lib/ids.js';
import { prepareQuery } from '../db/prepared.js';
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
import { defaultSealThreadScript, SealThreads } from './seal-threads.js';

export interface SealerOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** Seconds after the end (and after the newest unsealed event) before sealing. */
  sealDelay: number;
  /** Conferences per round: a run goes on, round after round, as long as it finds that many due. */
  limit?: number;
  /** The SQLite file `db` is on: large runs then read and hash in worker threads, each on its own connection. */
  sqliteFile?: string;
  /** Worker threads for a large run (default: one per CPU beyond the first, at most 2; 0: none). */
  threads?: number;
  /** The compiled seal-worker-thread.js (default: beside this module, when it was compiled). */
  threadScript?: URL;
  /** Counts the manifests sealed. */
  metrics?: Pick<Metrics, 'manifestsSealed'>;
}

/** Conferences per transaction: one read of their events, one insert of their manifests. */
const CHUNK = 500;
/** Smallest run worth starting worker threads for: below two chunks, starting the threads costs about what they save. */
const THREADED_RUN = 2 * CHUNK;
/** How long a round may take before another process may take over (after a crash). */
const LEASE_MS = 120_000;

export class Sealer {
  readonly #holder = newId();

  constructor(private readonly opts: SealerOptions) {}

  /**
   * Seals every due conference, `limit` at a time (a backlog is worked off in one run, not `limit` per interval);
   * returns the manifests written. One process at a time: a lease, renewed every round.
   */
  async runOnce(): Promise<ManifestsTable[]> {
    const { db, clock } = this.opts;
    if (!(await acquireLease(db, 'seal', this.#holder, clock.now(), LEASE_MS))) return [];
    try {
      const limit = this.opts.limit ?? 2000;
      const sealed: ManifestsTable[] = [];
      for (;;) {
        const round = await this.#sealDue(limit);
        sealed.push(...round.manifests);
        this.opts.metrics?.manifestsSealed(round.manifests.length);
        // A round that sealed nothing found only conferences with a gap in their events (sealed once it closes).
        if (round.due < limit || round.manifests.length === 0) return sealed;
        if (!(await acquireLease(db, 'seal', this.#holder, clock.now(), LEASE_MS))) return sealed;
      }
    } finally {
      await releaseLease(db, 'seal', this.#holder);
    }
  }

  async #sealDue(limit: number): Promise<{ manifests: ManifestsTable[]; due: number }> {
    const { db, clock } = this.opts;
    const cutoff = clock.now() - this.opts.sealDelay * 1000;
    // Conferences whose newest seal request is older than the delay (requests are filed by the event log).
    const due = await sql<{ session_id: string }>`
      select session_id from seal_requests group by session_id having max(at) <= ${cutoff} limit ${limit}`.execute(db);
    const chunks: string[][] = [];
    for (let i = 0; i < due.rows.length; i += CHUNK) chunks.push(due.rows.slice(i, i + CHUNK).map((r) => r.session_id));
    const threads = due.rows.length >= THREADED_RUN ? this.#threads() : undefined;
    if (threads) return { manifests: await this.#sealInThreads(chunks, threads), due: due.rows.length };
    const manifests: ManifestsTable[] = [];
    for (const chunk of chunks) manifests.push(...(await this.#sealChunk(chunk)));
    return { manifests, due: due.rows.length };
  }

  #threads(): { script: URL; file: string; count: number } | undefined {
    const { sqliteFile, threadScript = defaultSealThreadScript() } = this.opts;
    const count = this.opts.threads ?? Math.min(2, os.availableParallelism() - 1);
    if (!sqliteFile || !threadScript || count < 1) return undefined;
    return { script: threadScript, file: sqliteFile, count };
  }

  /** Worker threads read and hash every chunk, in turn; this thread stores each chunk's manifests as they come. */
  async #sealInThreads(chunks: string[][], threads: { script: URL; file: string; count: number }): Promise<ManifestsTable[]> {
    const pool = new SealThreads(threads.script, threads.file, threads.count);
    try {
      const now = this.opts.clock.now();
      const results = chunks.map((chunk) => pool.seal(chunk, now));
      for (const result of results) result.catch(() => {}); // the first failure is thrown below; the rest are moot
      const sealed: ManifestsTable[] = [];
      for (const result of results) {
        const manifests = await result;
        if (manifests.length > 0) await this.opts.db.transaction().execute((trx) => writeSealed(trx, manifests));
        sealed.push(...manifests);
      }
      return sealed;
    } finally {
      await pool.close();
    }
  }

  async #sealChunk(sessionIds: string[]): Promise<ManifestsTable[]> {
    const now = this.opts.clock.now();
    return this.opts.db.transaction().execute(async (trx) => {
      const sealed = await readAndSeal(trx, sessionIds, now);
      if (sealed.length > 0) await writeSealed(trx, sealed);
      return sealed;
    });
  }
}

const insertManifest = prepareQuery((db, p: ManifestsTable) =>
  db.insertInto('manifests').values({
    session_id: p.session_id,
    part: p.part,
    hash: p.hash,
    prev_hash: p.prev_hash,
    from_seq: p.from_seq,
    to_seq: p.to_seq,
    body: p.body,
    sealed_at: p.sealed_at,
    batch_id: p.batch_id,
    leaf_index: p.leaf_index,
    proof: p.proof,
  }),
);
const deleteSealRequests = prepareQuery((db, p: { sessionId: string; toSeq: number }) =>
  db.deleteFrom('seal_requests').where('session_id', '=', p.sessionId).where('seq', '<=', p.toSeq),
);
// The new manifest is not anchored yet: DLTId/DLTType follow it once it is.
const setConferenceHash = prepareQuery((db, p: { sessionId: string; hash: string }) =>
  db.updateTable('conferences').set({ hash: p.hash, hash_type: 'SHA-256', dlt_id: null, dlt_type: null }).where('session_id', '=', p.sessionId),
);

/** Stores new manifests, points their conferences at them, and drops the seal requests they answer. */
async function writeSealed(trx: Transaction<Database>, sealed: ManifestsTable[]): Promise<void> {
  if (trx.getExecutor().adapter instanceof SqliteAdapter) {
    // Row by row, prepared once and run on the SQLite handle: faster per row than one statement for all of them (built
    // and compiled with thousands of parameters, or unpacked from JSON by SQLite).
    for (const m of sealed) await insertManifest.run(trx, m);
    for (const m of sealed) await setConferenceHash.run(trx, { sessionId: m.session_id, hash: m.hash });
    // Requests for later events (appended since the events were read) stay: the next run seals those.
    for (const m of sealed) await deleteSealRequests.run(trx, { sessionId: m.session_id, toSeq: m.to_seq });
    await enqueueSealedManifests(trx, sealed);
    return;
  }
  // PostgreSQL: one statement each for the whole chunk (a round trip per statement). VALUES columns are column1...
  await trx.insertInto('manifests').values(sealed).execute();
  const pairs = sealed.map((row) => sql`(${row.session_id}, ${row.hash})`);
  await sql`update conferences set hash = v.column2, hash_type = 'SHA-256', dlt_id = null, dlt_type = null
    from (values ${sql.join(pairs)}) as v where conferences.session_id = v.column1`.execute(trx);
  const sealedTo = sealed.map((row) => sql`(${row.session_id}, ${row.to_seq}::integer)`);
  await sql`delete from seal_requests r using (values ${sql.join(sealedTo)}) as v
    where r.session_id = v.column1 and r.seq <= v.column2`.execute(trx);
  // Webhooks' manifest.sealed, committed with the manifests (db/webhook-outbox.ts).
  await enqueueSealedManifests(trx, sealed);
}

/** The manifests that seal the chunk's events after each conference's latest manifest (read in `trx`, not stored yet). */
async function readAndSeal(trx: Transaction<Database>, sessionIds: string[], sealedAt: number): Promise<ManifestsTable[]> {
  if (trx.getExecutor().adapter instanceof SqliteAdapter) {
    // The same statements and computation as the worker threads' (seal-worker-thread.ts).
    const read = async <R>(query: string, ids: string[]) => (await trx.executeQuery(CompiledQuery.raw(query, [JSON.stringify(ids)]))).rows as R[];
    const manifests = await read<LatestManifest>(SQLITE_MANIFESTS_SQL, sessionIds);
    const { sealed, rowByRow } = sealedFromEventTexts(manifests, await read<EventTextsRow>(SQLITE_EVENT_TEXTS_SQL, sessionIds), sealedAt);
    if (rowByRow.length > 0) sealed.push(...sealedManifests(manifests, eventsFromSqliteRows(await read(SQLITE_EVENTS_SQL, rowByRow)), sealedAt));
    return sealed;
  }
  const manifests = await trx
    .selectFrom('manifests')
    .select(['session_id', 'hash', 'part', 'to_seq'])
    .where('session_id', 'in', sessionIds)
    .orderBy('part')
    .execute();
  const after = new Map(manifests.map((m) => [m.session_id, m.to_seq]));
  // PostgreSQL builds JSON more slowly than it sends rows.
  const rows = await trx
    .selectFrom('conference_events')
    .select(['session_id', 'seq', 'type', 'actor', 'at', 'data', 'prev_hash', 'hash'])
    .where('session_id', 'in', sessionIds)
    .orderBy('session_id')
    .orderBy('seq')
    .execute();
  const events = new Map<string, StoredEventFields[]>();
  for (const { session_id, ...event } of rows) {
    if (event.seq <= (after.get(session_id) ?? 0)) continue;
    const list = events.get(session_id);
    if (list) list.push(event);
    else events.set(session_id, [event]);
  }
  return sealedManifests(manifests, events, sealedAt);
}
