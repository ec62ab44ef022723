// Types of fixtures.js for the TypeScript tests that share it (test/reliability, test/e2e); the benchmarks run it as plain JS.
import type { Kysely } from 'kysely';
import type { Database } from '../../packages/server/src/db/schema.js';

/** What `work` gets: the server's database handle (packages/server/src/db/database.ts), as far as tests read it. */
export interface Db {
  dialect: 'sqlite' | 'postgres';
  kysely: Kysely<Database>;
}

export const POSTGRES_URL: string;

export interface FreshDatabase {
  url: string;
  /** The PostgreSQL database's name (absent for SQLite). */
  name?: string;
  destroy(): Promise<void>;
}

/** A fresh, empty database: a SQLite file in `dir`, or a new PostgreSQL database (dropped by destroy()). */
export function freshDatabase(dialect: 'sqlite' | 'postgres', dir: string): Promise<FreshDatabase>;

/** Opens the database with the built server's code, migrates it, and runs `work(db)`. */
export function withDatabase<T>(databaseUrl: string, work: (db: Db) => T | Promise<T>): Promise<T>;

export interface User {
  username: string;
  password: string;
}

/** Creates users through the built AuthService (argon2id hashes, as `v4h user add` makes them). */
export function createUsers(databaseUrl: string, dataDir: string, count: number, prefix?: string): Promise<User[]>;

/** JSON over HTTP; never throws on 4xx/5xx. `body` is the parsed JSON (or the text when it is not JSON). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON of any route: the tests that read it check its shape
export function call<T = any>(
  baseUrl: string,
  method: string,
  route: string,
  options?: { body?: unknown; token?: string; headers?: Record<string, string> },
): Promise<{ status: number; body: T; headers: Headers }>;

/** Logs in and returns the token pair; throws unless 200. */
export function login(baseUrl: string, user: User): Promise<{ accessToken: string; refreshToken: string; expiresIn: number }>;
