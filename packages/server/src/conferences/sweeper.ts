// Background sweeper: ends conferences past their max duration or idle timeout. State lives in the
// database, so a restart simply resumes sweeping.
import type { ConferenceService } from './service.js';

export function startConferenceSweeper(conferences: Pick<ConferenceService, 'sweepOnce'>, intervalSeconds: number, log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void }) {
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const tick = () => {
    // Stopped: the database may be closed already (a server closed right after it started). A slow sweep is not
    // overlapped by the next.
    if (stopped || running) return;
    running = conferences
      .sweepOnce()
      .then((n) => n > 0 && log.info({ ended: n }, 'sweeper ended conferences'))
      .catch((error) => log.error({ err: error }, 'sweeper failed'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  const first = setImmediate(tick);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearImmediate(first);
      await running;
    },
  };
}
