// Opens the database named by a URL: an embedded SQLite file (default) or PostgreSQL.
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Pool } from 'pg';
import type { Database } from './schema.js';
import { preparedStatementName, runPreparedOnSqlite } from './prepared.js';
import { groupCommit, separateTransactions, type WriteTransaction } from './group-commit.js';
import { LockWaitingSqliteDialect } from './sqlite-dialect.js';
import { SqliteConnection } from './sqlite-connection.js';
import { DEFAULT_LOCK_WAIT_MS, SqliteLockWaits } from './sqlite-lock.js';
import { chmodPrivate, mkdirPrivate, PRIVATE_FILE_MODE } from '../lib/private-files.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file the database is in (not on PostgreSQL, nor in memory): other connections may open it. */
  sqliteFile?: string;
  /**
   * Runs a short write in a transaction and resolves once it is committed; on SQLite, concurrent writes share one
   * commit (see group-commit.ts). The work uses only its `trx` and waits for nothing but the database.
   */
  write: WriteTransaction;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  /** True while writes wait for a write lock that another process holds (SQLite; never on PostgreSQL). */
  busy(): boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** SQLite: how long a write waits for the write lock another process holds before it fails with SQLITE_BUSY. */
  lockWaitMs?: number;
}

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Db> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  throw new Error(`unsupported database URL scheme: ${url.split(':')[0]}`);
}

async function openSqlite(file: string, lockWaitMs: number): Promise<Db> {
  const { default: SQLite } = await import('better-sqlite3');
  const onDisk = file !== ':memory:' && file !== '';
  if (onDisk) {
    mkdirPrivate(path.dirname(path.resolve(file)));
    // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files it makes the database file's mode.
    fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
    chmodPrivate(file);
  }
  const sqlite = new SQLite(file);
  // WAL lets readers run beside the writer; NORMAL sync is durable across a process crash (kill -9).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // -wal and -shm left by an older version (or made before the chmod above) may be readable by others.
  if (onDisk) for (const suffix of ['-wal', '-shm']) chmodPrivate(`${file}${suffix}`);
  // A statement that finds the write lock taken fails at once rather than sleeping on the event loop (better-sqlite3
  // is synchronous); the dialect and the prepared queries wait for it asynchronously instead (sqlite-lock.ts).
  sqlite.pragma('busy_timeout = 0');
  const sqliteFile = sqlite.memory || file === '' ? undefined : path.resolve(file);
  // From here on the handle is used only through the connection (statement cache, read cache).
  const connection = new SqliteConnection(sqlite, { maxStatements: 500 });
  const locks = new SqliteLockWaits(lockWaitMs);
  const kysely = new Kysely<Database>({ dialect: new LockWaitingSqliteDialect(connection, locks) });
  runPreparedOnSqlite(kysely, connection);
  return {
    kysely,
    dialect: 'sqlite',
    sqliteFile,
    write: groupCommit(kysely, connection),
    async ping() {
      try {
        connection.prepare('select 1').get();
        return true;
      } catch {
        return false;
      }
    },
    busy: () => locks.busy,
    async close() {
      await kysely.destroy(); // kysely only closes what it opened (lazily): close the connection ourselves
      connection.close();
    },
  };
}

async function openPostgres(url: string): Promise<Db> {
  const pg = (await import('pg')).default;
  // Times are bigint milliseconds: read them back as numbers (safe below 2^53).
  pg.types.setTypeParser(20, (value: string) => Number(value));
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => {});
  // Nor a checked-out one: pg-pool listens for a client's 'error' only while it is idle, and an unhandled 'error'
  // event ends the process. The query in flight is rejected anyway (and answered 503, see errors.ts).
  pool.on('connect', (client) => client.on('error', () => {}));
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: namingStatements(pool) }) });
  return {
    kysely,
    dialect: 'postgres',
    write: separateTransactions(kysely),
    async ping() {
      try {
        await pool.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    busy: () => false,
    async close() {
      await kysely.destroy();
      if (!pool.ended) await pool.end();
    },
  };
}

/**
 * Kysely's pool, except that its clients run the prepared queries (db/prepared.ts) as named statements: PostgreSQL then
 * parses and plans each once per connection instead of on every call.
 */
function namingStatements(pool: Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let stale = false;
      // Kysely opens and ends transactions with plain SQL through this client (savepoints stay inside one).
      let inTransaction = false;
      const query = async (sql: string, parameters: ReadonlyArray<unknown>) => {
        const name = preparedStatementName(sql);
        // Kysely hands over a fresh array of its own: no copy needed.
        const values = parameters as unknown[];
        if (!name && TRANSACTION_ENDS.test(sql)) inTransaction = false;
        else if (!name && TRANSACTION_BEGINS.test(sql)) inTransaction = true;
        try {
          return await client.query(name ? { name, text: sql, values } : { text: sql, values });
        } catch (error) {
          // "cached plan must not change result type": a table changed under a statement this connection prepared (a
          // migration by a newer process). The connection is closed on release, so the next one prepares afresh. A
          // query on its own runs again at once, unnamed (parsed anew); one in a transaction cannot: the transaction
          // failed with it.
          if ((error as { code?: string }).code !== '0A000') throw error;
          stale = true;
          if (inTransaction) throw error;
          return client.query({ text: sql, values });
        }
      };
      return {
        // Cursors (Kysely's stream()) pass straight through.
        query: ((sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) =>
          typeof sqlOrCursor === 'string'
            ? query(sqlOrCursor, parameters ?? [])
            : client.query(sqlOrCursor as never)) as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy || stale),
      };
    },
    end: () => pool.end(),
  };
}

const TRANSACTION_BEGINS = /^\s*(begin|start\s+transaction)\b/i;
const TRANSACTION_ENDS = /^\s*(commit|end|abort|rollback(?!\s+to\b))\b/i;
