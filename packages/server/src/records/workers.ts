// Runs the seal and anchor workers on timers (never two runs of one worker at once); stop() waits for a run in progress.
import { startPeriodicJob, type PeriodicJobOptions } from '../lib/periodic-job.js';
import type { Sealer } from './sealer.js';
import type { AnchorWorker } from './anchor-worker.js';

export function startRecordsWorkers(opts: { sealer: Sealer; anchorer: AnchorWorker; sealDelay: number; anchorInterval: number; log: PeriodicJobOptions['log'] }) {
  // Sealing is cheap when nothing is due: check often enough that the delay is kept within a few seconds.
  const sealEvery = Math.max(1, Math.min(opts.sealDelay || 1, opts.anchorInterval, 30)) * 1000;
  const jobs = [
    startPeriodicJob(() => opts.sealer.runOnce(), { name: 'sealer run', intervalMs: sealEvery, log: opts.log }),
    startPeriodicJob(() => opts.anchorer.runOnce(), { name: 'anchorer run', intervalMs: opts.anchorInterval * 1000, log: opts.log }),
  ];
  return { stop: async () => void (await Promise.all(jobs.map((job) => job.stop()))) };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The records workers and ledger (tests call runOnce() to move time along). */
    records: { sealer: Sealer; anchorer: AnchorWorker; ledger: import('./ledger.js').Ledger };
  }
}
