// A cache for the reads that every authenticated request repeats (its token family's status, the conference it
// asks for, that conference's primary recording), on SQLite. It keeps rows read outside transactions and forgets
// all of them whenever the database may have changed: at once when this connection writes anything, and within
// OTHER_CONNECTIONS_CHECK_MS (or the event-loop turn running then, if longer) when another connection commits
// (another process on the same file, the CLI), which SQLite signals through PRAGMA data_version. PostgreSQL has no
// such cheap signal: there every read goes to the database.
import type { Database as SqliteHandle, Statement } from 'better-sqlite3';

/** How stale a cached row may be with respect to commits made by other connections. */
export const OTHER_CONNECTIONS_CHECK_MS = 1;
const MAX_ENTRIES = 10_000;
export const MISS = Symbol('read-cache miss');
/** Stored for "no row": a cached undefined must differ from an absent entry. */
const NO_ROW = Symbol('read-cache: no row');

/** Parameter values a cache key may hold: compared by value (a Map compares objects by identity). */
export type CacheKeyPart = string | number | bigint | boolean | null;

/** True when every value can be part of a cache key (a query with any other parameter is not cached). */
export function areCacheKeyParts(values: readonly unknown[]): values is CacheKeyPart[] {
  for (const value of values) {
    if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'boolean') return false;
  }
  return true;
}

export class SqliteReadCache {
  // Query id → first parameter → … → last parameter → row. Nested maps rather than one map of joined keys: V8 hashes
  // each key string once and remembers the hash in the string, and parameters that come from a remembered object
  // (an access token's claims) are the same strings on every request; a joined key is a new string to build and hash.
  #entries = new Map<unknown, unknown>();
  #size = 0;
  readonly #dataVersion: Statement<[], number>;
  #lastDataVersion: number;
  /** Set by a timer OTHER_CONNECTIONS_CHECK_MS after each check: reading a clock on every lookup costs more than the lookup. */
  #checkDue = true;

  /** `prepare` must be the handle's own (uncached) prepare: the statement below is switched to pluck mode. */
  constructor(prepare: SqliteHandle['prepare']) {
    this.#dataVersion = prepare('pragma data_version').pluck() as Statement<[], number>;
    this.#lastDataVersion = this.#dataVersion.get()!;
  }

  /** This connection wrote (or may have): nothing cached can be trusted any more. */
  invalidate(): void {
    if (this.#size > 0) {
      this.#entries = new Map();
      this.#size = 0;
    }
  }

  /** The value cached for `query` run with `parameters`, or MISS. Only for reads outside a transaction (the caller checks). */
  lookup(query: string, parameters: readonly CacheKeyPart[]): unknown {
    if (this.#checkDue) {
      this.#checkDue = false;
      setTimeout(() => (this.#checkDue = true), OTHER_CONNECTIONS_CHECK_MS).unref();
      const version = this.#dataVersion.get()!;
      if (version !== this.#lastDataVersion) {
        this.#lastDataVersion = version;
        this.invalidate();
      }
    }
    let node = this.#entries.get(query);
    for (let i = 0; i < parameters.length && node !== undefined; i++) node = (node as Map<unknown, unknown>).get(parameters[i]);
    if (node === undefined) return MISS;
    return node === NO_ROW ? undefined : node;
  }

  /** Remembers a value just read outside a transaction (frozen: it is shared by every later caller). */
  store(query: string, parameters: readonly CacheKeyPart[], value: unknown): void {
    if (this.#size >= MAX_ENTRIES) this.invalidate();
    if (value !== null && typeof value === 'object') Object.freeze(value);
    let node = this.#entries;
    let key: unknown = query;
    for (const parameter of parameters) {
      let next = node.get(key) as Map<unknown, unknown> | undefined;
      if (next === undefined) node.set(key, (next = new Map()));
      node = next;
      key = parameter;
    }
    node.set(key, value === undefined ? NO_ROW : value);
    this.#size++;
  }
}
