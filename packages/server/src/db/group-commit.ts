// Write transactions with group commit on SQLite: the writes of concurrent requests share one transaction and one
// COMMIT, each isolated by a savepoint. A commit costs far more than the statements of a small write (the WAL frames
// of every page touched, Kysely's executor around BEGIN and COMMIT); shared, it is paid once per batch.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { SqliteConnection } from './sqlite-connection.js';
import { isSqliteBusy } from './sqlite-lock.js';

/**
 * Runs `work` in a write transaction and resolves once that transaction is committed (never before). The work must
 * use only `trx`, and wait for nothing but the database: on SQLite it shares its transaction with other works.
 */
export type WriteTransaction = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

/** PostgreSQL (and anything with real concurrent transactions): one transaction per work, as Kysely runs it. */
export function separateTransactions(kysely: Kysely<Database>): WriteTransaction {
  return (work) => kysely.transaction().execute(work);
}

/** Works queued beyond this wait for the next batch: bounds how long one batch holds the connection. */
const MAX_BATCH = 256;

interface Pending {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/**
 * SQLite: works queued in one turn of the event loop run one after another in a single transaction, each inside
 * its own savepoint: a work that throws is rolled back alone and rejects with its own error. Every work settles
 * only after the shared COMMIT; if the transaction as a whole fails (COMMIT, or an error SQLite answers by rolling
 * back everything, such as a full disk), every work of the batch rejects, since none of them was committed.
 * Durability is SQLite's own for one transaction (WAL, synchronous=NORMAL: a commit survives a process crash).
 */
export function groupCommit(kysely: Kysely<Database>, sqlite: SqliteConnection): WriteTransaction {
  let queue: Pending[] = [];
  let scheduled = false;
  // Run on the connection directly, as prepared.ts does inside a transaction (the transaction holds Kysely's only
  // connection, so nothing else runs on it meanwhile).
  const savepoint = sqlite.prepare('savepoint v4h_write');
  const release = sqlite.prepare('release v4h_write');
  const rollbackTo = sqlite.prepare('rollback to v4h_write');

  async function runBatch(batch: Pending[]): Promise<void> {
    let fatal: { error: unknown } | undefined;
    try {
      await kysely.transaction().execute(async (trx) => {
        for (const pending of batch) {
          savepoint.run();
          try {
            pending.outcome = { ok: true, value: await pending.work(trx) };
            release.run();
          } catch (error) {
            // SQLite ends the whole transaction on some errors (SQLITE_FULL, SQLITE_IOERR, ...): nothing to roll back to.
            // SQLITE_BUSY cannot happen here (the transaction began IMMEDIATE, holding the write lock: sqlite-dialect.ts);
            // were it to, the batch fails as a whole (nothing of it was written).
            if (!sqlite.inTransaction || isSqliteBusy(error)) {
              fatal = { error };
              throw error;
            }
            rollbackTo.run();
            release.run();
            pending.outcome = { ok: false, error };
          }
        }
      });
    } catch (error) {
      // Kysely's ROLLBACK fails too when SQLite already ended the transaction: report the cause, not that.
      const cause = fatal ? fatal.error : error;
      for (const pending of batch) pending.reject(pending.outcome?.ok === false ? pending.outcome.error : cause);
      return;
    }
    for (const pending of batch) {
      const outcome = pending.outcome!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    }
  }

  function flush(): void {
    scheduled = false;
    const batch = queue.length > MAX_BATCH ? queue.splice(0, MAX_BATCH) : queue;
    if (batch === queue) queue = [];
    else schedule();
    void runBatch(batch);
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    // After the poll phase: requests read in the same turn of the event loop join this batch.
    setImmediate(flush);
  }

  return (work) =>
    new Promise((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      schedule();
    });
}
