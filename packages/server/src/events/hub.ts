// The conference event hub: delivers each conference's new event-log rows to its subscribers, in order, across
// server processes. It polls the event log (the one source of truth), one query per watched conference per tick,
// shared by every subscriber of that conference; a change made in this process nudges an immediate poll.
import type { Kysely } from 'kysely';
import type { ConferenceEventsTable, Database } from '../db/schema.js';

/** Receives a conference's events in sequence order, each exactly once per subscription. */
export type EventListener = (events: readonly ConferenceEventsTable[]) => void;

interface Subscription {
  cursor: number;
  listener: EventListener;
}

interface Watch {
  subscriptions: Set<Subscription>;
  polling: boolean;
  again: boolean;
}

// Enough for any burst between two ticks; a longer backlog (a resume after a long gap) comes over several polls.
const BATCH = 500;

/**
 * Why polling and not PostgreSQL LISTEN/NOTIFY: it works the same on SQLite (several processes may share one
 * file), needs no dedicated connection per process, and a missed notification cannot lose an event — the log is
 * read from each subscriber's cursor. At the default interval (1 s) an event reaches every process within ~1 s.
 */
export class ConferenceEventHub {
  readonly #db: Kysely<Database>;
  readonly #intervalMs: number;
  readonly #watches = new Map<string, Watch>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #onError: (error: unknown) => void;

  constructor(deps: { db: Kysely<Database>; pollIntervalMs: number; onError?: (error: unknown) => void }) {
    this.#db = deps.db;
    this.#intervalMs = deps.pollIntervalMs;
    this.#onError = deps.onError ?? (() => {});
  }

  /** Delivers the conference's events with `seq > afterSeq`, now and as they are appended; returns the unsubscribe. */
  subscribe(sessionId: string, afterSeq: number, listener: EventListener): () => void {
    let watch = this.#watches.get(sessionId);
    if (!watch) this.#watches.set(sessionId, (watch = { subscriptions: new Set(), polling: false, again: false }));
    const subscription: Subscription = { cursor: afterSeq, listener };
    watch.subscriptions.add(subscription);
    this.#timer ??= setInterval(() => this.#pollAll(), this.#intervalMs);
    this.#timer.unref?.();
    this.nudge(sessionId);
    return () => {
      watch.subscriptions.delete(subscription);
      if (watch.subscriptions.size === 0 && this.#watches.get(sessionId) === watch) this.#watches.delete(sessionId);
      if (this.#watches.size === 0) this.#stopTimer();
    };
  }

  /** Polls a conference now (something in this process has just appended to its log). */
  nudge(sessionId: string): void {
    const watch = this.#watches.get(sessionId);
    if (watch) void this.#poll(sessionId, watch);
  }

  /** How many conferences are watched (for tests and metrics). */
  get watched(): number {
    return this.#watches.size;
  }

  close(): void {
    this.#watches.clear();
    this.#stopTimer();
  }

  #stopTimer() {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #pollAll() {
    for (const [sessionId, watch] of this.#watches) void this.#poll(sessionId, watch);
  }

  // One query in flight per conference; a nudge during it polls once more after it.
  async #poll(sessionId: string, watch: Watch): Promise<void> {
    if (watch.polling) {
      watch.again = true;
      return;
    }
    watch.polling = true;
    try {
      do {
        watch.again = false;
        const from = Math.min(...[...watch.subscriptions].map((s) => s.cursor));
        if (!Number.isFinite(from)) return;
        const rows = await this.#db
          .selectFrom('conference_events')
          .selectAll()
          .where('session_id', '=', sessionId)
          .where('seq', '>', from)
          .orderBy('seq')
          .limit(BATCH)
          .execute();
        for (const row of rows) row.seq = Number(row.seq);
        this.#deliver(watch, rows);
        if (rows.length === BATCH) watch.again = true;
      } while (watch.again && watch.subscriptions.size > 0);
    } catch (error) {
      this.#onError(error); // the next tick tries again from the same cursors
    } finally {
      watch.polling = false;
    }
  }

  #deliver(watch: Watch, rows: ConferenceEventsTable[]) {
    for (const subscription of watch.subscriptions) {
      const fresh = rows.filter((row) => row.seq > subscription.cursor);
      if (fresh.length === 0) continue;
      subscription.cursor = fresh[fresh.length - 1].seq;
      try {
        subscription.listener(fresh);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
