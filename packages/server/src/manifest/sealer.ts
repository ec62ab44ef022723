// The seal worker: V4H_SEAL_DELAY after a conference ends (and after its last late event), seals what is unsealed.
import { SqliteAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database, ManifestsTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { manifestText, type StoredEventFields } from './format.js';
import { acquireLease, releaseLease } from '../ledger/lease.js';
import { newId, sha256Hex } from '../lib/ids.js';
import { prepareQuery } from '../db/prepared.js';

export interface SealerOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** Seconds after the end (and after the newest unsealed event) before sealing. */
  sealDelay: number;
  /** Conferences per run. */
  limit?: number;
}

/** Conferences per transaction: one read of their events, one insert of their manifests. */
const CHUNK = 500;

export class Sealer {
  readonly #holder = newId();

  constructor(private readonly opts: SealerOptions) {}

  /** Seals every due conference (up to the limit); returns the manifests written. One process at a time (a lease). */
  async runOnce(): Promise<ManifestsTable[]> {
    const { db, clock } = this.opts;
    if (!(await acquireLease(db, 'seal', this.#holder, clock.now(), 120_000))) return [];
    try {
      return await this.#run();
    } finally {
      await releaseLease(db, 'seal', this.#holder);
    }
  }

  async #run(): Promise<ManifestsTable[]> {
    const { db, clock } = this.opts;
    const cutoff = clock.now() - this.opts.sealDelay * 1000;
    const due = await sql<{ session_id: string }>`
      select c.session_id from conferences c
      where c.state = 'ended' and c.ended_at <= ${cutoff}
        and exists (select 1 from conference_events e where e.session_id = c.session_id
          and e.seq > coalesce((select max(m.to_seq) from manifests m where m.session_id = c.session_id), 0))
        and (select max(e.at) from conference_events e where e.session_id = c.session_id) <= ${cutoff}
      limit ${this.opts.limit ?? 2000}`.execute(db);
    const sealed: ManifestsTable[] = [];
    const ids = due.rows.map((r) => r.session_id);
    for (let i = 0; i < ids.length; i += CHUNK) sealed.push(...(await this.#sealChunk(ids.slice(i, i + CHUNK))));
    return sealed;
  }

  async #sealChunk(sessionIds: string[]): Promise<ManifestsTable[]> {
    const now = this.opts.clock.now();
    return this.opts.db.transaction().execute(async (trx) => {
      const sealedBefore = await trx
        .selectFrom('manifests')
        .select(['session_id', 'hash', 'part', 'to_seq'])
        .where('session_id', 'in', sessionIds)
        .orderBy('part')
        .execute();
      // Ordered by part: the last one written per session is its latest manifest.
      const previous = new Map(sealedBefore.map((m) => [m.session_id, m]));
      const sealed: ManifestsTable[] = [];
      for (const [sessionId, events] of await eventsAfter(trx, new Map(sessionIds.map((id) => [id, previous.get(id)?.to_seq ?? 0])))) {
        const prev = previous.get(sessionId);
        const run = contiguousRun(events, (prev?.to_seq ?? 0) + 1);
        if (run.length === 0) continue;
        const input = { sessionId, part: prev ? prev.part + 1 : 0, prev: prev?.hash ?? null, sealedAt: now, events: run };
        // The text is not stored: it is rebuilt from the (append-only) events it seals, and its hash is what is anchored.
        sealed.push({
          session_id: sessionId, part: input.part, hash: sha256Hex(manifestText(input)), prev_hash: input.prev, from_seq: run[0].seq,
          to_seq: run[run.length - 1].seq, body: null, sealed_at: now, batch_id: null, leaf_index: null, proof: null,
        });
      }
      if (sealed.length > 0) await writeSealed(trx, sealed);
      return sealed;
    });
  }
}

const insertManifest = prepareQuery((db, p: ManifestsTable) =>
  db.insertInto('manifests').values({
    session_id: p.session_id, part: p.part, hash: p.hash, prev_hash: p.prev_hash, from_seq: p.from_seq, to_seq: p.to_seq,
    body: p.body, sealed_at: p.sealed_at, batch_id: p.batch_id, leaf_index: p.leaf_index, proof: p.proof,
  }),
);
// The new manifest is not anchored yet: DLTId/DLTType follow it once it is.
const setConferenceHash = prepareQuery((db, p: { sessionId: string; hash: string }) =>
  db.updateTable('conferences').set({ hash: p.hash, hash_type: 'SHA-256', dlt_id: null, dlt_type: null }).where('session_id', '=', p.sessionId),
);

/** Stores new manifests and points their conferences at them. */
async function writeSealed(trx: Transaction<Database>, sealed: ManifestsTable[]): Promise<void> {
  if (trx.getExecutor().adapter instanceof SqliteAdapter) {
    // Row by row, prepared once and run on the SQLite handle: as fast per row as one statement for all of them, without
    // building and compiling thousands of parameters every time.
    for (const m of sealed) await insertManifest.run(trx, m);
    for (const m of sealed) await setConferenceHash.run(trx, { sessionId: m.session_id, hash: m.hash });
    return;
  }
  // PostgreSQL: one statement each for the whole chunk (a round trip per statement). VALUES columns are column1...
  await trx.insertInto('manifests').values(sealed).execute();
  const pairs = sealed.map((row) => sql`(${row.session_id}, ${row.hash})`);
  await sql`update conferences set hash = v.column2, hash_type = 'SHA-256', dlt_id = null, dlt_type = null
    from (values ${sql.join(pairs)}) as v where conferences.session_id = v.column1`.execute(trx);
}

/** The events of each conference after the given seq (its latest manifest's), oldest first. */
async function eventsAfter(trx: Transaction<Database>, after: Map<string, number>): Promise<Map<string, StoredEventFields[]>> {
  const bySession = new Map<string, StoredEventFields[]>();
  if (trx.getExecutor().adapter instanceof SqliteAdapter) {
    // One JSON array per conference: on SQLite a row per event costs more to read than the event's text. Joined with a
    // VALUES list (columns column1..): an index range per conference.
    const { rows } = await sql<{ session_id: string; events: string }>`
      select e.session_id, json_group_array(json_array(e.seq, e.type, e.actor, e.at, e.data, e.prev_hash, e.hash) order by e.seq) as events
      from (values ${sql.join([...after].map(([id, seq]) => sql`(${id}, ${seq})`))}) as v
      join conference_events e on e.session_id = v.column1 and e.seq > v.column2
      group by e.session_id`.execute(trx);
    for (const row of rows) {
      const tuples = JSON.parse(row.events) as EventTuple[];
      bySession.set(row.session_id, tuples.map(([seq, type, actor, at, data, prev_hash, hash]) => ({ seq, type, actor, at, data, prev_hash, hash })));
    }
    return bySession;
  }
  // PostgreSQL builds JSON more slowly than it sends rows.
  const rows = await trx
    .selectFrom('conference_events')
    .select(['session_id', 'seq', 'type', 'actor', 'at', 'data', 'prev_hash', 'hash'])
    .where('session_id', 'in', [...after.keys()])
    .orderBy('session_id')
    .orderBy('seq')
    .execute();
  for (const { session_id, ...event } of rows) {
    if (event.seq <= after.get(session_id)!) continue;
    const list = bySession.get(session_id);
    if (list) list.push(event);
    else bySession.set(session_id, [event]);
  }
  return bySession;
}

type EventTuple = [seq: number, type: string, actor: string, at: number, data: string, prev_hash: string, hash: string];

/** The events from `firstSeq` on without a gap (a gap means an append still in flight: seal it next time). */
function contiguousRun(events: StoredEventFields[], firstSeq: number): StoredEventFields[] {
  const run: StoredEventFields[] = [];
  for (const e of events) {
    if (e.seq !== firstSeq + run.length) break;
    run.push(e);
  }
  return run;
}
