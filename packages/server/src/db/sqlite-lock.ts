// Waiting for SQLite's write lock without blocking the event loop. The handle's busy_timeout is 0, so a statement that
// finds the lock held by another connection (a second `v4h` process, a maintenance script) fails at once with
// SQLITE_BUSY instead of sleeping inside better-sqlite3 (synchronously, with every request stalled behind it); it is
// tried again after growing pauses until a deadline, the event loop free meanwhile.

/** How long a write waits for the lock before it fails with SQLITE_BUSY (answered 503 service_unavailable). */
export const DEFAULT_LOCK_WAIT_MS = 5000;
/** The longest pause between two attempts: how soon after the release a waiting write notices it. */
const MAX_PAUSE_MS = 25;

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, …). */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The waits for one handle's write lock: retries, and whether any is under way (`/readyz` reports it). */
export class SqliteLockWaits {
  #waiting = 0;

  constructor(readonly timeoutMs = DEFAULT_LOCK_WAIT_MS) {}

  /** True while some statement waits for a write lock that another connection holds. */
  get busy(): boolean {
    return this.#waiting > 0;
  }

  /**
   * Runs `attempt` again, after a pause, for as long as it fails with SQLITE_BUSY, until `timeoutMs` have passed since
   * the call; then the last SQLITE_BUSY error is thrown. Call it after a first attempt failed with SQLITE_BUSY. `pause`
   * waits for the given milliseconds (a caller holding a connection lets go of it meanwhile).
   */
  async retry<T>(attempt: () => T | Promise<T>, pause: (ms: number) => Promise<void> = sleep): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    this.#waiting++;
    try {
      for (let delay = 1; ; delay = Math.min(delay * 2, MAX_PAUSE_MS)) {
        await pause(Math.max(1, Math.min(delay, deadline - Date.now())));
        try {
          return await attempt();
        } catch (error) {
          if (!isSqliteBusy(error) || Date.now() >= deadline) throw error;
        }
      }
    } finally {
      this.#waiting--;
    }
  }
}
