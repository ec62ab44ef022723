// Hot queries compiled once: Kysely builds and compiles a query on every call (~30 µs on a hot path); a prepared
// query keeps the compiled SQL per dialect and only fills in the parameters when it runs.
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database as SqliteHandle } from 'better-sqlite3';
import type { Database } from './schema.js';
import { MISS, type SqliteReadCache } from './read-cache.js';

interface SqliteTarget {
  sqlite: SqliteHandle;
  readCache: SqliteReadCache;
}
/** SQLite handles (with their read cache) by the Kysely dialect adapter of their Kysely instance (a transaction shares its adapter). */
const sqliteTargets = new WeakMap<object, SqliteTarget>();

/**
 * Lets prepared queries on `kysely` run on its better-sqlite3 handle directly: Kysely's executor (connection
 * mutex, promises) costs ~10 µs per query, five times the statement itself.
 */
export function runPreparedOnSqlite(kysely: Kysely<Database>, sqlite: SqliteHandle, readCache: SqliteReadCache): void {
  sqliteTargets.set(kysely.getExecutor().adapter, { sqlite, readCache });
}

/**
 * The handle to run on directly, when that is the same as going through Kysely: inside a transaction (its callback
 * holds the only connection), or outside one while no transaction is open (else Kysely waits for it to finish).
 */
function directTarget(db: Kysely<Database>): SqliteTarget | undefined {
  const target = sqliteTargets.get(db.getExecutor().adapter);
  if (!target || target.sqlite.inTransaction !== db.isTransaction) return undefined;
  return target;
}

/** The prefix of the stand-in values a query is built with; real values never contain NUL. */
const PLACEHOLDER = '\u0000v4h-param:';

type Slot = { key: string } | { value: unknown };
interface Compiled {
  query: CompiledQuery['query'];
  sql: string;
  slots: Slot[];
}

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
      typeof value === 'string' && value.startsWith(PLACEHOLDER) ? { key: value.slice(PLACEHOLDER.length) } : { value },
    );
    for (const key of used) {
      if (!slots.some((slot) => 'key' in slot && slot.key === key)) throw new Error(`prepared query: parameter ${key} is not a bound value`);
    }
    compiled = { query: query.query, sql: query.sql, slots };
    byDialect.set(dialectKey, compiled);
    if (!statementNames.has(query.sql)) statementNames.set(query.sql, `v4h_${id}`);
    return compiled;
  }

  function parametersOf(compiled: Compiled, params: P): unknown[] {
    const values = params as Record<string, unknown>;
    return compiled.slots.map((slot) => ('key' in slot ? values[slot.key] : slot.value));
  }

  /** What Kysely's SQLite driver answers, without its executor. Synchronous. */
  function runOnSqlite(sqlite: SqliteHandle, compiled: Compiled, parameters: unknown[]): QueryResult<R> {
    // The handle keeps one prepared statement per SQL text (database.ts, cachePreparedStatements).
    const statement = sqlite.prepare(compiled.sql);
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), rows: [] };
  }

  async function run(db: Kysely<Database>, params: P): Promise<QueryResult<R>> {
    const compiled = compile(db);
    const parameters = parametersOf(compiled, params);
    const target = directTarget(db);
    if (target) return runOnSqlite(target.sqlite, compiled, parameters);
    return db.executeQuery<R>({ query: compiled.query, queryId: { queryId: 'prepared' }, sql: compiled.sql, parameters } as CompiledQuery<R>);
  }

  return {
    run,
    async all(db, params) {
      return (await run(db, params)).rows;
    },
    async first(db, params) {
      const target = options.cached && !db.isTransaction ? directTarget(db) : undefined;
      if (!target) return (await run(db, params)).rows[0];
      const compiled = compile(db);
      const parameters = parametersOf(compiled, params);
      const key = parameters.every((value) => typeof value === 'string') ? `${id}\u0000${parameters.join('\u0000')}` : id + JSON.stringify(parameters);
      const hit = target.readCache.lookup(key);
      if (hit !== MISS) return hit as R | undefined;
      // Read and stored in one synchronous step: no write can come between them.
      const row = runOnSqlite(target.sqlite, compiled, parameters).rows[0];
      target.readCache.store(key, row);
      return row;
    },
  };
}
