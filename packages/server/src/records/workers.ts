// Runs the seal and anchor workers on timers (never two runs of one worker at once); stop() waits for a run in progress.
import type { Sealer } from './sealer.js';
import type { AnchorWorker } from './anchor-worker.js';

interface Log {
  error(obj: object, msg: string): void;
}

/** Calls `run` every `intervalMs` after the previous run finished. */
function every(intervalMs: number, run: () => Promise<unknown>, log: Log, name: string) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = run()
      .catch((err) => log.error({ err }, `${name} run failed`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}

export function startRecordsWorkers(opts: { sealer: Sealer; anchorer: AnchorWorker; sealDelay: number; anchorInterval: number; log: Log }) {
  // Sealing is cheap when nothing is due: check often enough that the delay is kept within a few seconds.
  const sealEvery = Math.max(1, Math.min(opts.sealDelay || 1, opts.anchorInterval, 30)) * 1000;
  const stops = [
    every(sealEvery, () => opts.sealer.runOnce(), opts.log, 'sealer'),
    every(opts.anchorInterval * 1000, () => opts.anchorer.runOnce(), opts.log, 'anchorer'),
  ];
  return { stop: async () => void (await Promise.all(stops.map((stop) => stop()))) };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The records workers and ledger (tests call runOnce() to move time along). */
    records: { sealer: Sealer; anchorer: AnchorWorker; ledger: import('./ledger.js').Ledger };
  }
}
