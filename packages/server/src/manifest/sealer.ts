// The seal worker: V4H_SEAL_DELAY after a conference ends (and after its last late event), seals what is unsealed.
import { sql, type Kysely } from 'kysely';
import type { ConferenceEventsTable, Database, ManifestsTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { manifestText } from './format.js';
import { acquireLease, releaseLease } from '../ledger/lease.js';
import { newId, sha256Hex } from '../lib/ids.js';

export interface SealerOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** Seconds after the end (and after the newest unsealed event) before sealing. */
  sealDelay: number;
  /** Conferences per run. */
  limit?: number;
}

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
    for (let i = 0; i < ids.length; i += 500) sealed.push(...(await this.#sealChunk(ids.slice(i, i + 500))));
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
      const events = await trx.selectFrom('conference_events').selectAll().where('session_id', 'in', sessionIds).orderBy('session_id').orderBy('seq').execute();
      const bySession = new Map<string, ConferenceEventsTable[]>();
      for (const e of events) {
        const prev = previous.get(e.session_id);
        if (prev && e.seq <= prev.to_seq) continue;
        const list = bySession.get(e.session_id) ?? [];
        list.push(e);
        bySession.set(e.session_id, list);
      }
      const rows: ManifestsTable[] = [];
      for (const [sessionId, list] of bySession) {
        const prev = previous.get(sessionId);
        const run = contiguousRun(list, (prev?.to_seq ?? 0) + 1);
        if (run.length === 0) continue;
        const input = { sessionId, part: prev ? prev.part + 1 : 0, prev: prev?.hash ?? null, sealedAt: now, events: run };
        const body = manifestText(input);
        rows.push({
          session_id: sessionId, part: input.part, hash: sha256Hex(body), prev_hash: input.prev, from_seq: run[0].seq, to_seq: run[run.length - 1].seq,
          body, sealed_at: now, batch_id: null, leaf_index: null, proof: null,
        });
      }
      for (let i = 0; i < rows.length; i += 100) await trx.insertInto('manifests').values(rows.slice(i, i + 100)).execute();
      for (let i = 0; i < rows.length; i += 500) {
        const pairs = rows.slice(i, i + 500).map((row) => sql`(${row.session_id}, ${row.hash})`);
        // The new manifest is not anchored yet: DLTId/DLTType follow it once it is. (VALUES columns are column1.. in both databases.)
        await sql`update conferences set hash = v.column2, hash_type = 'SHA-256', dlt_id = null, dlt_type = null
          from (values ${sql.join(pairs)}) as v where conferences.session_id = v.column1`.execute(trx);
      }
      return rows;
    });
  }
}

/** The events from `firstSeq` on without a gap (a gap means an append still in flight: seal it next time). */
function contiguousRun(events: ConferenceEventsTable[], firstSeq: number): ConferenceEventsTable[] {
  const run: ConferenceEventsTable[] = [];
  for (const e of events) {
    if (e.seq !== firstSeq + run.length) break;
    run.push(e);
  }
  return run;
}
