// The better-sqlite3 handle as db/ uses it: Kysely's dialect, the prepared queries and the group commit all go through
// this object, which keeps one prepared statement per SQL text and makes every statement that can write tell the read
// cache first. The handle itself stays private: nothing can prepare or write around the cache.
import type { Database as SqliteHandle, RunResult, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { SqliteReadCache } from './read-cache.js';

/** A statement of the connection (Kysely's SqliteStatement, plus `get` for a single row). */
export interface SqliteStatement {
  readonly reader: boolean;
  run(...parameters: unknown[]): RunResult;
  get(...parameters: unknown[]): unknown;
  all(...parameters: unknown[]): unknown[];
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
}

/**
 * The access audit's insert (audit/access-audit.ts), one per read of health data: no cached read looks at that table,
 * and forgetting the cache on each would make every audited read miss it.
 */
const writesOnlyUncachedTables = (sql: string) => sql.startsWith('insert into access_audit ');

export class SqliteConnection implements SqliteDatabase {
  readonly #handle: SqliteHandle;
  readonly #statements = new Map<string, SqliteStatement>();
  readonly #maxStatements: number;
  /** Rows read outside transactions; forgotten whenever this connection (or another) may have changed them. */
  readonly readCache: SqliteReadCache;

  /** Takes over `handle`: from now on it is used only through this object. */
  constructor(handle: SqliteHandle, options: { maxStatements: number }) {
    this.#handle = handle;
    this.#maxStatements = options.maxStatements;
    // Its own statement (switched to pluck mode), not one of the cache's.
    this.readCache = new SqliteReadCache(handle.prepare.bind(handle));
  }

  /** True while a transaction is open on the connection (Kysely's, or the group commit's). */
  get inTransaction(): boolean {
    return this.#handle.inTransaction;
  }

  get open(): boolean {
    return this.#handle.open;
  }

  /**
   * The statement for `sql`, prepared on first use and kept (at most `maxStatements`, oldest dropped first): Kysely's
   * SQLite driver asks for it on every query, and preparing is most of a simple query's cost. Safe with Kysely's
   * single connection: a statement is never used by two queries at once.
   */
  prepare(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      const prepared = this.#handle.prepare(sql);
      // Transaction control statements (BEGIN, SAVEPOINT, COMMIT) count as read-only: they change no row.
      statement = prepared.readonly || writesOnlyUncachedTables(sql) ? prepared : reportingWrites(prepared, this.readCache);
      if (this.#statements.size >= this.#maxStatements) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    if (this.#handle.open) this.#handle.close();
  }
}

/** `statement`, except that each run first makes the read cache forget what it holds. */
function reportingWrites(statement: Statement, readCache: SqliteReadCache): SqliteStatement {
  return {
    reader: statement.reader,
    run(...parameters) {
      readCache.invalidate();
      return statement.run(...parameters);
    },
    get(...parameters) {
      readCache.invalidate();
      return statement.get(...parameters);
    },
    all(...parameters) {
      readCache.invalidate();
      return statement.all(...parameters);
    },
    iterate(...parameters) {
      readCache.invalidate();
      return statement.iterate(...parameters);
    },
  };
}
