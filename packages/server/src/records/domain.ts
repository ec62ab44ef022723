// The records domain (events → manifests → Merkle batches → ledgers) built from the config in one place: the ledger,
// the service behind the routes, the sealer and the anchor worker, and their timers. V4H_SEAL_DELAY enters here only.
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import type { AccessPolicy } from '../conferences/access-policy.js';
import { startPeriodicJob, type PeriodicJob } from '../lib/periodic-job.js';
import type { Metrics } from '../metrics/metrics.js';
import { AnchorWorker } from './anchor-worker.js';
import { createLedger } from './create-ledger.js';
import type { Ledger } from './ledger.js';
import { Sealer } from './sealer.js';
import { RecordsService } from './service.js';

export interface RecordsDomainDeps {
  config: Config;
  db: Kysely<Database>;
  /** The SQLite file `db` is on: large seal runs then read and hash in worker threads. */
  sqliteFile?: string;
  clock: Clock;
  /** Who may read a conference's records. */
  access: AccessPolicy;
  metrics?: Pick<Metrics, 'manifestsSealed' | 'batchAnchored' | 'ledgerError'>;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface RecordsDomain {
  ledger: Ledger;
  /** What the routes serve: bundles, verification links, the ledger description. */
  service: RecordsService;
  sealer: Sealer;
  anchorer: AnchorWorker;
  /** Seals and anchors on timers (a server does; tests call runOnce()); stop() waits for the runs in progress. */
  startWorkers(): PeriodicJob;
}

export async function createRecordsDomain({ config, db, sqliteFile, clock, access, metrics, log }: RecordsDomainDeps): Promise<RecordsDomain> {
  const ledger = await createLedger(config, db, clock);
  const service = new RecordsService({ db, clock, ledger, access, tokenSecret: config.tokenSecret!, publicUrl: config.publicUrl });
  const sealer = new Sealer({ db, clock, sealDelay: config.sealDelay, sqliteFile, metrics });
  const anchorer = new AnchorWorker({ db, ledger, clock, log, metrics });
  // Sealing is cheap when nothing is due: check often enough that the delay is kept within a few seconds.
  const sealEvery = Math.max(1, Math.min(config.sealDelay || 1, config.anchorInterval, 30)) * 1000;
  const startWorkers = (): PeriodicJob => {
    const jobs = [
      startPeriodicJob(() => sealer.runOnce(), { name: 'sealer run', intervalMs: sealEvery, log }),
      startPeriodicJob(() => anchorer.runOnce(), { name: 'anchorer run', intervalMs: config.anchorInterval * 1000, log }),
    ];
    return { stop: async () => void (await Promise.all(jobs.map((job) => job.stop()))) };
  };
  return { ledger, service, sealer, anchorer, startWorkers };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The records workers and ledger (tests call runOnce() to move time along). */
    records: Pick<RecordsDomain, 'sealer' | 'anchorer' | 'ledger'>;
  }
}
