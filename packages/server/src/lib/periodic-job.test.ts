import { describe, expect, it } from 'vitest';
import { startPeriodicJob } from './periodic-job.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordingLog() {
  const lines: { msg: string; err: unknown }[] = [];
  return { lines, error: (obj: object, msg: string) => void lines.push({ msg, err: (obj as { err: unknown }).err }) };
}

describe('startPeriodicJob', () => {
  it('runs again and again, never two runs at once, the next one intervalMs after the previous one ended', async () => {
    let active = 0;
    let mostActive = 0;
    const ends: number[] = [];
    const starts: number[] = [];
    const job = startPeriodicJob(
      async () => {
        starts.push(performance.now());
        mostActive = Math.max(mostActive, ++active);
        await sleep(30); // a run longer than the interval
        active--;
        ends.push(performance.now());
      },
      { name: 'test job', intervalMs: 5, firstDelayMs: 0, log: recordingLog() },
    );
    while (ends.length < 3) await sleep(10);
    await job.stop();
    expect(mostActive).toBe(1);
    // setTimeout may fire a millisecond early by the clock it is measured with.
    for (let i = 1; i < starts.length; i++) expect(starts[i] - ends[i - 1]).toBeGreaterThanOrEqual(4);
  });

  it('logs a failed run (rejected or thrown before any await) under its name and keeps running', async () => {
    const log = recordingLog();
    let runs = 0;
    const job = startPeriodicJob(
      () => {
        runs++;
        if (runs === 1) throw new Error('thrown');
        if (runs === 2) return Promise.reject(new Error('rejected'));
        return Promise.resolve();
      },
      { name: 'sealer run', intervalMs: 1, firstDelayMs: 0, log },
    );
    while (runs < 3) await sleep(5);
    await job.stop();
    expect(log.lines.map((l) => [l.msg, (l.err as Error).message])).toEqual([
      ['sealer run failed', 'thrown'],
      ['sealer run failed', 'rejected'],
    ]);
  });

  it('stop() waits for the run in progress, and no run starts after it', async () => {
    let runs = 0;
    let finished = 0;
    let started!: () => void;
    const firstStarted = new Promise<void>((resolve) => (started = resolve));
    const job = startPeriodicJob(
      async () => {
        runs++;
        started();
        await sleep(50);
        finished++;
      },
      { name: 'test job', intervalMs: 1, firstDelayMs: 0, log: recordingLog() },
    );
    await firstStarted;
    await job.stop();
    expect(finished).toBe(1);
    await sleep(30);
    expect(runs).toBe(1);
  });

  it('stopped before its first run, never runs', async () => {
    let runs = 0;
    const job = startPeriodicJob(async () => void runs++, { name: 'test job', intervalMs: 1, firstDelayMs: 0, log: recordingLog() });
    await job.stop();
    await sleep(20);
    expect(runs).toBe(0);
  });

  it('waits intervalMs before the first run unless told otherwise', async () => {
    let runs = 0;
    const job = startPeriodicJob(async () => void runs++, { name: 'test job', intervalMs: 60_000, log: recordingLog() });
    await sleep(30);
    await job.stop();
    expect(runs).toBe(0);
  });

  it('does not keep the process alive', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const job = startPeriodicJob(async () => {}, { name: 'test job', intervalMs: 60_000, log: recordingLog() });
    expect(timers()).toBe(before);
    await job.stop();
  });
});
