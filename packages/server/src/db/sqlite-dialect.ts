// Kysely's SQLite dialect, except that waiting for the write lock never blocks the event loop: transactions begin
// IMMEDIATE (the write lock is taken up front, so no statement inside one can find it taken), and a BEGIN or a
// statement outside a transaction that finds it taken is tried again after a pause (sqlite-lock.ts), with Kysely's
// single connection free for other queries meanwhile.
import { CompiledQuery, SqliteDialect, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import type { SqliteConnection } from './sqlite-connection.js';
import { isSqliteBusy, type SqliteLockWaits } from './sqlite-lock.js';

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');

export class LockWaitingSqliteDialect extends SqliteDialect {
  readonly #sqlite: SqliteConnection;
  readonly #locks: SqliteLockWaits;

  constructor(sqlite: SqliteConnection, locks: SqliteLockWaits) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
    this.#locks = locks;
  }

  override createDriver(): Driver {
    return new LockWaitingDriver(super.createDriver(), this.#sqlite, this.#locks);
  }
}

/** Kysely's SQLite driver (its one connection, its mutex) with the lock waits around BEGIN and lone statements. */
class LockWaitingDriver implements Driver {
  readonly #inner: Driver;
  readonly #sqlite: SqliteConnection;
  readonly #locks: SqliteLockWaits;
  #connection: LockWaitingConnection | undefined;

  constructor(inner: Driver, sqlite: SqliteConnection, locks: SqliteLockWaits) {
    this.#inner = inner;
    this.#sqlite = sqlite;
    this.#locks = locks;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await this.#inner.acquireConnection();
    // Kysely's SQLite driver has one connection: wrap it once.
    if (this.#connection?.inner !== inner) this.#connection = new LockWaitingConnection(inner, this);
    return this.#connection;
  }

  /** Lets go of the connection for `ms` (other queries may run on it), then takes it back. */
  async pause(ms: number): Promise<void> {
    await this.#inner.releaseConnection(this.#connection!.inner);
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.#inner.acquireConnection();
  }

  /** `query` tried again until it gets the lock (see LockWaitingConnection), or SQLITE_BUSY at the deadline. */
  retry(inner: DatabaseConnection, query: CompiledQuery): Promise<QueryResult<unknown>> {
    return this.#locks.retry(
      () => inner.executeQuery(query),
      (ms) => this.pause(ms),
    );
  }

  /** True when a statement failing with `error` can simply be run again later (it ran alone: no transaction is open). */
  mayRetry(error: unknown): boolean {
    return isSqliteBusy(error) && !this.#sqlite.inTransaction;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(BEGIN_IMMEDIATE);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  savepoint: Driver['savepoint'] = (connection, name, compile) => this.#inner.savepoint!((connection as LockWaitingConnection).inner, name, compile);
  rollbackToSavepoint: Driver['rollbackToSavepoint'] = (connection, name, compile) =>
    this.#inner.rollbackToSavepoint!((connection as LockWaitingConnection).inner, name, compile);
  releaseSavepoint: Driver['releaseSavepoint'] = (connection, name, compile) =>
    this.#inner.releaseSavepoint!((connection as LockWaitingConnection).inner, name, compile);

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection((connection as LockWaitingConnection).inner);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

class LockWaitingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    readonly driver: LockWaitingDriver,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Kysely's SQLite connection runs the statement synchronously and throws its errors synchronously: the usual
    // case costs no more than before. A statement outside any transaction (BEGIN IMMEDIATE included) that found the
    // lock taken did nothing, so running it again is safe.
    try {
      return this.inner.executeQuery<R>(query);
    } catch (error) {
      if (!this.driver.mayRetry(error)) throw error;
      return this.driver.retry(this.inner, query) as Promise<QueryResult<R>>;
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}
