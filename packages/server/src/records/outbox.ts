// The anchoring outbox: batches are written (root, members, Merkle tree) before anything is sent to a ledger.
import { SqliteAdapter, sql, type Kysely } from 'kysely';
import { prepareQuery } from '../db/prepared.js';
import { enqueueAnchoredBatch } from '../db/webhook-outbox.js';
import type { AnchorBatchesTable, Database } from '../db/schema.js';
import { newId } from '../lib/ids.js';
import { buildMerkleTree } from './merkle.js';
import type { AnchorOutcome, AttemptStore } from './ledger.js';

/** Retry delays after a ledger failure: 1 s doubling to 5 min. */
export const backoffMs = (attempts: number) => Math.min(1000 * 2 ** Math.max(0, attempts - 1), 300_000);

const UPDATE_CHUNK = 1000;
const setLeaf = prepareQuery((db, p: { batchId: string; leafIndex: number; hash: string }) =>
  db.updateTable('manifests').set({ batch_id: p.batchId, leaf_index: p.leafIndex }).where('hash', '=', p.hash).where('batch_id', 'is', null),
);
const TILE_CHUNK = 500;

export class Outbox implements AttemptStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The oldest batch not anchored yet (batches are published in order, one at a time). */
  oldestUnanchored(): Promise<AnchorBatchesTable | undefined> {
    return this.db.selectFrom('anchor_batches').selectAll().where('status', '!=', 'anchored').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
  }

  /** Puts up to `limit` sealed, unbatched manifests into a new batch with its tree; undefined when none wait. */
  async createBatch(limit: number, now: number, ledger: string): Promise<AnchorBatchesTable | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const members = await trx
        .selectFrom('manifests')
        .select('hash')
        .where('batch_id', 'is', null)
        .orderBy('sealed_at')
        .orderBy('hash')
        .limit(limit)
        .execute();
      if (members.length === 0) return undefined;
      const tree = buildMerkleTree(members.map((m) => m.hash));
      const batch: AnchorBatchesTable = {
        id: newId(),
        created_at: now,
        root: tree.root,
        size: tree.size,
        ledger,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_error: null,
        tx_nonce: null,
        tx_attempts: null,
        dlt_id: null,
        anchor: null,
        anchored_at: null,
      };
      await trx.insertInto('anchor_batches').values(batch).execute();
      // The tree once, as tiles (every member's audit path is read back from them); members get their leaf index.
      const tiles = tree.tiles().map((t) => ({ batch_id: batch.id, level: t.level, tile: t.index, nodes: t.nodes }));
      for (let start = 0; start < tiles.length; start += TILE_CHUNK)
        await trx
          .insertInto('merkle_tiles')
          .values(tiles.slice(start, start + TILE_CHUNK))
          .execute();
      if (trx.getExecutor().adapter instanceof SqliteAdapter) {
        // Row by row, prepared once and run on the SQLite handle (as fast per row as one statement for many).
        for (let i = 0; i < members.length; i++) await setLeaf.run(trx, { batchId: batch.id, leafIndex: i, hash: members[i].hash });
        return batch;
      }
      for (let start = 0; start < members.length; start += UPDATE_CHUNK) {
        const rows = members.slice(start, start + UPDATE_CHUNK).map((m, i) => sql`(${m.hash}, ${start + i})`);
        // One statement per chunk, a round trip each (VALUES columns are column1..).
        await sql`update manifests set batch_id = ${batch.id}, leaf_index = cast(v.column2 as integer)
          from (values ${sql.join(rows)}) as v where manifests.hash = v.column1 and manifests.batch_id is null`.execute(trx);
      }
      return batch;
    });
  }

  async recordTxAttempts(batchId: string, nonce: number | null, attempts: string): Promise<void> {
    await this.db.updateTable('anchor_batches').set({ status: 'submitted', tx_nonce: nonce, tx_attempts: attempts }).where('id', '=', batchId).execute();
  }

  /** Records the anchor and gives the batch's conferences their DLTId/DLTType (where that manifest is still the latest). */
  async markAnchored(batch: AnchorBatchesTable, outcome: Extract<AnchorOutcome, { status: 'anchored' }>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('anchor_batches')
        .set({
          status: 'anchored',
          dlt_id: outcome.dltId,
          anchor: JSON.stringify(outcome.anchor),
          anchored_at: outcome.anchoredAt,
          last_error: null,
          ledger: outcome.anchor.ledger,
        })
        .where('id', '=', batch.id)
        .execute();
      // Driven by the batch's members (an index seek each), not by a scan of every conference.
      await sql`update conferences set dlt_id = ${outcome.dltId}, dlt_type = ${outcome.anchor.ledger}
        from manifests m where m.batch_id = ${batch.id} and conferences.session_id = m.session_id and conferences.hash = m.hash`.execute(trx);
      // Webhooks' manifest.anchored for every member, committed with the anchor (db/webhook-outbox.ts).
      await enqueueAnchoredBatch(trx, { id: batch.id, at: outcome.anchoredAt, dltId: outcome.dltId, ledger: outcome.anchor.ledger });
    });
  }

  async markFailed(batch: AnchorBatchesTable, message: string, now: number): Promise<void> {
    const attempts = batch.attempts + 1;
    await this.db
      .updateTable('anchor_batches')
      .set({ attempts, next_attempt_at: now + backoffMs(attempts), last_error: message.slice(0, 500) })
      .where('id', '=', batch.id)
      .execute();
  }
}
