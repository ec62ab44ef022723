// A background job run again and again (sealer, anchorer, conference sweeper, retention): one run at a time, a failed
// run logged and the job kept going, stop() waiting for the run in progress (the database closes right after it).

export interface PeriodicJobOptions {
  /** Names the job in the log line of a failed run: "<name> failed". */
  name: string;
  /** From the end of one run to the start of the next: a slow run is never overlapped by the next. */
  intervalMs: number;
  /** Before the first run (default: `intervalMs`). */
  firstDelayMs?: number;
  log: { error(obj: object, msg: string): void };
}

export interface PeriodicJob {
  /** No run starts after this; resolves once the run in progress (if any) has finished. */
  stop(): Promise<void>;
}

/** Runs `run` every `intervalMs` after the previous run finished. Its timer does not keep the process alive. */
export function startPeriodicJob(run: () => Promise<unknown>, opts: PeriodicJobOptions): PeriodicJob {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    if (stopped) return;
    // An async wrapper, so that a run that throws before its first await is logged like one that rejects.
    running = (async () => run())()
      .then(
        () => undefined,
        (err: unknown) => opts.log.error({ err }, `${opts.name} failed`),
      )
      .finally(() => {
        running = undefined;
        if (!stopped) schedule(opts.intervalMs);
      });
  };
  schedule(opts.firstDelayMs ?? opts.intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
