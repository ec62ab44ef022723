// Background sweeper: ends conferences past their max duration or idle timeout. State lives in the
// database, so a restart simply resumes sweeping.
import type { FastifyBaseLogger } from 'fastify';
import type { ConferenceService } from './service.js';

export function startConferenceSweeper(conferences: ConferenceService, intervalSeconds: number, log: FastifyBaseLogger) {
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return; // a slow sweep is not overlapped by the next
    running = conferences
      .sweepOnce()
      .then((n) => n > 0 && log.info({ ended: n }, 'sweeper ended conferences'))
      .catch((error) => log.error({ err: error }, 'sweeper failed'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, intervalSeconds * 1000);
  timer.unref();
  setImmediate(tick);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
