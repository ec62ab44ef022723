// Hot queries compiled once: Kysely builds and compiles a query on every call, which costs more than running a simple
// one; a prepared query keeps the compiled SQL per dialect and only fills in the parameters when it runs.
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';
import { areCacheKeyParts, MISS } from './read-cache.js';
import type { SqliteConnection } from './sqlite-connection.js';
import { isSqliteBusy } from './sqlite-lock.js';

/** SQLite connections by the Kysely dialect adapter of their Kysely instance (a transaction shares its adapter). */
const sqliteTargets = new WeakMap<object, SqliteConnection>();

/**
 * Lets prepared queries on `kysely` run on its SQLite connection directly: Kysely's executor (connection mutex,
 * promises) costs several times what the statement itself does.
 */
export function runPreparedOnSqlite(kysely: Kysely<Database>, connection: SqliteConnection): void {
  sqliteTargets.set(kysely.getExecutor().adapter, connection);
}

/**
 * The connection to run on directly, when that is the same as going through Kysely: inside a transaction (its callback
 * holds the only connection), or outside one while no transaction is open (else Kysely waits for it to finish).
 */
function directTarget(db: Kysely<Database>): SqliteConnection | undefined {
  const target = sqliteTargets.get(db.getExecutor().adapter);
  return runsDirectly(target, db) ? target : undefined;
}

/** directTarget's rule for a connection already looked up. */
function runsDirectly(target: SqliteConnection | undefined, db: Kysely<Database>): target is SqliteConnection {
  return target !== undefined && target.inTransaction === db.isTransaction;
}

/** The prefix of the stand-in values a query is built with; real values never contain NUL. */
const PLACEHOLDER = '\u0000v4h-param:';

/** A bound value of a compiled query: the parameter named `key`, or a constant (`value`) the builder put there. */
interface Slot {
  key: string | undefined;
  value: unknown;
}
interface Compiled {
  query: CompiledQuery['query'];
  sql: string;
  slots: Slot[];
}

/** What `firstNow` answers when the row cannot be had without waiting. */
const PENDING: unique symbol = Symbol('prepared query: pending');

/** A query built and compiled once per dialect, then run with parameters on any Kysely instance or transaction. */
export interface PreparedQuery<P, R> {
  /** Runs the query and returns Kysely's result (rows, affected rows). */
  run(db: Kysely<Database>, params: P): Promise<QueryResult<R>>;
  /** Runs the query and returns its rows. */
  all(db: Kysely<Database>, params: P): Promise<R[]>;
  /**
   * Runs the query and returns its first row, or undefined. A query prepared with `{ cached: true }` answers from
   * the SQLite read cache outside transactions (db/read-cache.ts); the row is then frozen: never modify it.
   */
  first(db: Kysely<Database>, params: P): Promise<R | undefined>;
  /**
   * What `first` answers, without a promise when that needs no waiting: on SQLite, unless a transaction this read is
   * not part of holds the connection (from the read cache, or from the statement itself); else a promise of it. Only
   * for authenticate.ts, which every authenticated request runs, and getConference's read, which every client polls
   * (db/fence.test.ts holds the list): each promise they awaited would cost more than the cached read. Everything
   * else awaits `first`.
   */
  firstSoon(db: Kysely<Database>, params: P): R | undefined | Promise<R | undefined>;
}

let preparedCount = 0;

/** Names of the prepared queries' SQL texts: on PostgreSQL they run as named statements (database.ts). */
const statementNames = new Map<string, string>();

/** The statement name of a prepared query's SQL text, or undefined for any other SQL. */
export function preparedStatementName(sql: string): string | undefined {
  return statementNames.get(sql);
}

/**
 * Prepares `build`: it is called once per dialect with stand-ins for the parameters (read them only as query
 * values, never in JavaScript logic), and every parameter it reads must end up a bound value of the compiled query.
 */
export function prepareQuery<P extends object, R>(
  build: (db: Kysely<Database>, params: P) => Compilable<R>,
  options: { cached?: boolean } = {},
): PreparedQuery<P, R> {
  const id = `${++preparedCount}`;
  // Keyed by the dialect adapter's class: one dialect compiles a builder to the same SQL on every instance.
  const byDialect = new Map<unknown, Compiled>();

  function compile(db: Kysely<Database>): Compiled {
    const dialectKey = db.getExecutor().adapter.constructor;
    let compiled = byDialect.get(dialectKey);
    if (compiled) return compiled;
    const used = new Set<string>();
    const stand = new Proxy({} as P, {
      get(_target, key) {
        if (typeof key !== 'string') return undefined;
        used.add(key);
        return PLACEHOLDER + key;
      },
    });
    const query = build(db, stand).compile();
    if (query.sql.includes(PLACEHOLDER)) throw new Error('prepared query: a parameter was inlined into the SQL text');
    const slots: Slot[] = query.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(PLACEHOLDER) ? { key: value.slice(PLACEHOLDER.length), value: undefined } : { key: undefined, value },
    );
    for (const key of used) {
      if (!slots.some((slot) => slot.key === key)) throw new Error(`prepared query: parameter ${key} is not a bound value`);
    }
    compiled = { query: query.query, sql: query.sql, slots };
    byDialect.set(dialectKey, compiled);
    if (!statementNames.has(query.sql)) statementNames.set(query.sql, `v4h_${id}`);
    return compiled;
  }

  // Loops, not map/every with callbacks: this runs for every prepared query, cached reads included.
  function parametersOf(compiled: Compiled, params: P): unknown[] {
    const values = params as Record<string, unknown>;
    const { slots } = compiled;
    const parameters = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const { key, value } = slots[i];
      parameters[i] = key === undefined ? value : values[key];
    }
    return parameters;
  }

  /** What Kysely's SQLite driver answers, without its executor. Synchronous. */
  function runOnSqlite(sqlite: SqliteConnection, compiled: Compiled, parameters: unknown[]): QueryResult<R> {
    // The connection keeps one prepared statement per SQL text (sqlite-connection.ts).
    const statement = sqlite.prepare(compiled.sql);
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), rows: [] };
  }

  /** Through Kysely's executor: it waits for the connection, and for the write lock (sqlite-dialect.ts). */
  function runThroughKysely(db: Kysely<Database>, compiled: Compiled, parameters: unknown[]): Promise<QueryResult<R>> {
    return db.executeQuery<R>({ query: compiled.query, queryId: { queryId: 'prepared' }, sql: compiled.sql, parameters });
  }

  /**
   * A statement run directly outside a transaction that found the write lock taken by another process did nothing
   * (the handle's busy_timeout is 0): it waits for the lock through Kysely, without blocking the event loop.
   */
  function waitsForLock(error: unknown, db: Kysely<Database>): boolean {
    return !db.isTransaction && isSqliteBusy(error);
  }

  async function run(db: Kysely<Database>, params: P): Promise<QueryResult<R>> {
    const compiled = compile(db);
    const parameters = parametersOf(compiled, params);
    const target = directTarget(db);
    if (!target) return runThroughKysely(db, compiled, parameters);
    try {
      return runOnSqlite(target, compiled, parameters);
    } catch (error) {
      if (!waitsForLock(error, db)) throw error;
      return runThroughKysely(db, compiled, parameters);
    }
  }

  // The Kysely instance firstNow last ran on, with its compiled query and SQLite target: outside transactions it is
  // always the same one, and looking both up again costs as much as the cached read itself.
  let last: { db: Kysely<Database>; compiled: Compiled; target: SqliteConnection | undefined } | undefined;

  /** firstSoon's row when it needs no waiting, else PENDING. */
  function firstNow(db: Kysely<Database>, params: P): R | undefined | typeof PENDING {
    if (last?.db !== db) last = { db, compiled: compile(db), target: sqliteTargets.get(db.getExecutor().adapter) };
    const { compiled, target } = last;
    // Not SQLite, or a transaction is open and this read is not part of it: it waits through Kysely.
    if (!runsDirectly(target, db)) return PENDING;
    const parameters = parametersOf(compiled, params);
    if (!options.cached || db.isTransaction || !areCacheKeyParts(parameters)) return runOnSqlite(target, compiled, parameters).rows[0];
    const hit = target.readCache.lookup(id, parameters);
    if (hit !== MISS) return hit as R | undefined;
    // Read and stored in one synchronous step: no write can come between them.
    const row = runOnSqlite(target, compiled, parameters).rows[0];
    target.readCache.store(id, parameters, row);
    return row;
  }

  function firstSoon(db: Kysely<Database>, params: P): R | undefined | Promise<R | undefined> {
    let row: R | undefined | typeof PENDING;
    try {
      row = firstNow(db, params);
    } catch (error) {
      if (!waitsForLock(error, db)) throw error;
      const compiled = compile(db);
      return runThroughKysely(db, compiled, parametersOf(compiled, params)).then((result) => result.rows[0]);
    }
    return row === PENDING ? run(db, params).then((result) => result.rows[0]) : row;
  }

  return {
    run,
    async all(db, params) {
      return (await run(db, params)).rows;
    },
    async first(db, params) {
      return firstSoon(db, params);
    },
    firstSoon,
  };
}
