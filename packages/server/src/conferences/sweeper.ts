// Background sweeper: ends conferences past their max duration or idle timeout. State lives in the
// database, so a restart simply resumes sweeping.
import { startPeriodicJob, type PeriodicJob } from '../lib/periodic-job.js';
import type { ConferenceService } from './service.js';

/** Sweeps at once, then every `intervalSeconds` after the previous sweep; stop() waits for a sweep in progress. */
export function startConferenceSweeper(
  conferences: Pick<ConferenceService, 'sweepOnce'>,
  intervalSeconds: number,
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
): PeriodicJob {
  const sweep = async () => {
    const ended = await conferences.sweepOnce();
    if (ended > 0) log.info({ ended }, 'sweeper ended conferences');
  };
  return startPeriodicJob(sweep, { name: 'sweeper', intervalMs: intervalSeconds * 1000, firstDelayMs: 0, log });
}
