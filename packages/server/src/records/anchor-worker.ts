// The anchor worker: batches sealed manifests into one Merkle tree and drives the batch to the ledger.
import type { Metrics } from '../metrics/metrics.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Ledger } from './ledger.js';
import { Outbox } from './outbox.js';
import { acquireLease, releaseLease } from '../db/lease.js';

export interface AnchorRunResult {
  anchored: number;
  /** The batch is on its way (sent, waiting for confirmations) or the ledger failed and will be retried. */
  waiting: boolean;
  lastError?: string;
}

export interface AnchorWorkerOptions {
  db: Kysely<Database>;
  ledger: Ledger;
  clock: Clock;
  /** Most manifests per batch. */
  maxBatch?: number;
  /** Longest a run may hold the lease; after a crash another process takes over once it lapses. */
  leaseMs?: number;
  log?: { warn(obj: object, msg: string): void };
  /** Counts anchored batches (and their lag) and ledger failures. */
  metrics?: Pick<Metrics, 'batchAnchored' | 'ledgerError'>;
}

export class AnchorWorker {
  readonly #outbox: Outbox;
  readonly #holder = newId();

  constructor(private readonly opts: AnchorWorkerOptions) {
    this.#outbox = new Outbox(opts.db);
  }

  /** One pass: resume the batch in flight, else batch what is sealed; publish until waiting or done. */
  async runOnce(): Promise<AnchorRunResult> {
    const { db, clock } = this.opts;
    if (!(await acquireLease(db, 'anchor', this.#holder, clock.now(), this.opts.leaseMs ?? 120_000))) return { anchored: 0, waiting: true };
    try {
      return await this.#run();
    } finally {
      await releaseLease(db, 'anchor', this.#holder);
    }
  }

  async #run(): Promise<AnchorRunResult> {
    const { ledger, clock } = this.opts;
    const result: AnchorRunResult = { anchored: 0, waiting: false };
    for (let round = 0; round < 10; round++) {
      const now = clock.now();
      const batch = (await this.#outbox.oldestUnanchored()) ?? (await this.#outbox.createBatch(this.opts.maxBatch ?? 100_000, now, ledger.type));
      if (!batch) return result;
      if (batch.next_attempt_at > now) return { ...result, waiting: true };
      let outcome;
      try {
        outcome = await ledger.advance(batch, this.#outbox);
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        this.opts.log?.warn({ batchId: batch.id, attempts: batch.attempts + 1, error: message }, 'anchoring failed; will retry');
        this.opts.metrics?.ledgerError();
        await this.#outbox.markFailed(batch, message, now);
        return { ...result, waiting: true, lastError: message };
      }
      if (outcome.status !== 'anchored') return { ...result, waiting: true };
      await this.#outbox.markAnchored(batch, outcome);
      this.opts.metrics?.batchAnchored(batch.id, batch.size, outcome.anchoredAt);
      result.anchored += batch.size;
    }
    return result;
  }
}
