// Test harness: a real app on real HTTP (127.0.0.1) over a real database — a fresh SQLite file,
// or, when V4H_TEST_DB=postgres, a fresh PostgreSQL database (which must be reachable: no skipping).
import { loggerOptions } from '../logging.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { openDatabase, type Db } from '../db/database.js';
import { migrateToLatest, migrateUpTo } from '../db/migrate.js';
import { buildApp } from '../app.js';
import { AuthService } from '../auth/service.js';
import type { Clock } from '../lib/clock.js';

export const TEST_POSTGRES_URL = process.env.V4H_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const testDialect = (): 'sqlite' | 'postgres' => (process.env.V4H_TEST_DB === 'postgres' ? 'postgres' : 'sqlite');

/**
 * A self-hosted Jitsi with token auth: the SDK reports presence with presence tokens (the built-in
 * room, the default, sees presence itself and hands out none).
 */
export const JITSI_TEST_ENV = {
  V4H_JITSI_URL: 'https://meet.example.org',
  V4H_JITSI_APP_ID: 'clinic',
  V4H_JITSI_APP_SECRET: 'jitsi-test-secret-'.padEnd(40, 'x'),
} as const;

/** A clock tests can move by hand. */
export class ManualClock implements Clock {
  constructor(public ms = Date.UTC(2026, 0, 1, 9, 0, 0)) {}
  now() {
    return this.ms;
  }
  advance(seconds: number) {
    this.ms += seconds * 1000;
  }
}

export interface TestDatabase {
  url: string;
  /** Drops the database (PostgreSQL) or removes the file. */
  destroy(): Promise<void>;
}

/** A fresh, empty database of the dialect under test. */
export async function createTestDatabase(dir: string): Promise<TestDatabase> {
  if (testDialect() === 'sqlite') {
    const file = path.join(dir, 'v4h.sqlite');
    return { url: `sqlite:${file}`, destroy: async () => {} };
  }
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL at ${TEST_POSTGRES_URL} is unreachable (V4H_TEST_DB=postgres): ${(error as Error).message}`, { cause: error });
  }
  const name = `v4h_t_${randomBytes(6).toString('hex')}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async destroy() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** A fresh database of the dialect under test, migrated, with a connection (`db`) open on it. */
export interface MigratedTestDatabase {
  dir: string;
  url: string;
  db: Db;
  /** Another connection to the same database, as another server process would have (closed by destroy). */
  connect(): Promise<Db>;
  /** Closes every connection, then drops the database and removes `dir`. */
  destroy(): Promise<void>;
}

/** `upTo`: migrate only up to this migration (tests of a later migration fill the older schema first). */
export async function createMigratedTestDatabase(prefix: string, options: { upTo?: string } = {}): Promise<MigratedTestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `v4h-${prefix}-`));
  const database = await createTestDatabase(dir);
  const db = await openDatabase(database.url);
  if (options.upTo === undefined) await migrateToLatest(db);
  else await migrateUpTo(db, options.upTo);
  const others: Db[] = [];
  return {
    dir,
    url: database.url,
    db,
    async connect() {
      const other = await openDatabase(database.url);
      others.push(other);
      return other;
    },
    async destroy() {
      for (const other of others.splice(0)) await other.close();
      await db.close();
      await database.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  db: Db;
  clock?: ManualClock;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  dataDir: string;
  /** Creates a user (argon2id) and returns its credentials. */
  createUser(username?: string, password?: string): Promise<{ username: string; password: string }>;
  /** Logs in over HTTP and returns the tokens. */
  login(username: string, password: string): Promise<{ accessToken: string; refreshToken: string }>;
  /** A logged-in user's tokens, created on the spot. */
  userSession(username?: string): Promise<{ username: string; password: string; accessToken: string; refreshToken: string; auth: { authorization: string } }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment (as the product would read it). */
  env?: Record<string, string>;
  /** Use a manual clock (default: the system clock). */
  manualClock?: boolean;
  workers?: boolean;
  /** Reuse a data dir and database (restart tests). */
  dataDir?: string;
  database?: TestDatabase;
  /** Where the app writes its log (info level, as in production); none when unset. */
  logStream?: import('node:stream').Writable;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-test-'));
  const database = options.database ?? (await createTestDatabase(dataDir));
  // Listen first on a free port so that public URLs are right.
  const probe = await import('node:net').then(
    (net) =>
      new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const port = (s.address() as { port: number }).port;
          s.close(() => resolve(port));
        });
      }),
  );
  const config = resolveSecrets(
    loadConfig({
      HOST: '127.0.0.1',
      PORT: String(probe),
      V4H_DATA_DIR: dataDir,
      V4H_DATABASE_URL: database.url,
      V4H_LOG_LEVEL: 'silent',
      // Tests written before the waiting room (issue 20) open guest links straight into the room; the waiting room's
      // own tests (waiting/) turn it on.
      V4H_WAITING_ROOM: 'off',
      ...options.env,
    }),
  );
  const db = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const clock = options.manualClock ? new ManualClock() : undefined;
  const logger = options.logStream ? { ...loggerOptions('info'), stream: options.logStream } : false;
  let app: FastifyInstance;
  try {
    app = await buildApp({ config, db, clock, logger, workers: options.workers ?? false });
  } catch (error) {
    // Refused at start (e.g. a wrong master key): nothing of this app may stay open.
    await db.close();
    if (!options.database) await database.destroy();
    if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  await app.listen({ host: '127.0.0.1', port: probe });
  const baseUrl = `http://127.0.0.1:${probe}`;
  const auth = new AuthService({ db, clock: clock ?? { now: () => Date.now() }, config });
  let counter = 0;

  const testApp: TestApp = {
    app,
    config,
    db,
    clock,
    baseUrl,
    dataDir,
    async createUser(username = `user${++counter}-${randomBytes(3).toString('hex')}`, password = `pw-${randomBytes(8).toString('hex')}`) {
      await auth.createUser(username, password);
      return { username, password };
    },
    async login(username, password) {
      const res = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as { accessToken: string; refreshToken: string };
    },
    async userSession(username) {
      const user = await testApp.createUser(username);
      const tokens = await testApp.login(user.username, user.password);
      return { ...user, ...tokens, auth: { authorization: `Bearer ${tokens.accessToken}` } };
    },
    async close() {
      // Fastify closes idle keep-alive connections once, at close; one still busy (or opened by fetch after an
      // aborted upload) would hold close() for its full timeout. Tests cut those after a second.
      const cut = setTimeout(() => app.server.closeAllConnections(), 1000);
      await app.close();
      clearTimeout(cut);
      await db.close();
      if (!options.database) await database.destroy();
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return testApp;
}
