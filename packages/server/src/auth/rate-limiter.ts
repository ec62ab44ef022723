// Fixed-window attempt counters kept in the database, so every server process sharing it shares the limits.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export interface RateLimitHit {
  /** Attempts counted in the current window, this one included. */
  count: number;
  /** When the current window ends (ms). */
  resetAt: number;
}

/** Counters keyed by a string (e.g. `login:user:alice`); each hit is one atomic statement. */
export class RateLimiter {
  #db: Db;
  #lastPurge = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Counts one attempt under `key` in a window of `windowMs` and returns the new count.
   * A single INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike): concurrent hits from any number
   * of processes never lose an increment, and an expired window restarts at 1.
   */
  async hit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
    const expired = sql<boolean>`${sql.ref('rate_limits.reset_at')} <= ${now}`;
    const row = await this.#db.write((trx) =>
      trx
        .insertInto('rate_limits')
        .values({ key, count: 1, reset_at: now + windowMs })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            count: sql<number>`case when ${expired} then 1 else ${sql.ref('rate_limits.count')} + 1 end`,
            reset_at: sql<number>`case when ${expired} then ${now + windowMs} else ${sql.ref('rate_limits.reset_at')} end`,
          }),
        )
        .returning(['count', 'reset_at'])
        .executeTakeFirstOrThrow(),
    );
    await this.#purgeExpired(windowMs, now);
    return { count: Number(row.count), resetAt: Number(row.reset_at) };
  }

  /** Forgets the attempts under `key` (e.g. after a successful login). */
  async clear(key: string): Promise<void> {
    await this.#db.write((trx) => trx.deleteFrom('rate_limits').where('key', '=', key).execute());
  }

  /** Deletes finished windows at most once per window, so made-up keys cannot grow the table without bound. */
  async #purgeExpired(windowMs: number, now: number): Promise<void> {
    if (now - this.#lastPurge < windowMs) return;
    this.#lastPurge = now;
    await this.#db.write((trx) => trx.deleteFrom('rate_limits').where('reset_at', '<=', now).execute());
  }
}
