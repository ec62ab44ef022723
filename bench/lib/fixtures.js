// Fixtures shared by the benchmarks and the reliability tests: fresh databases, users, and small HTTP helpers.
import { randomBytes } from 'node:crypto';
import path from 'node:path';

const dist = new URL('../../packages/server/dist/', import.meta.url);
export const POSTGRES_URL = process.env.V4H_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, empty database: a SQLite file in `dir`, or a new PostgreSQL database (dropped by destroy()). */
export async function freshDatabase(dialect, dir) {
  if (dialect === 'sqlite') return { url: `sqlite:${path.join(dir, 'v4h.sqlite')}`, destroy: async () => {} };
  const { default: pg } = await import('pg');
  const name = `v4h_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL at ${POSTGRES_URL} is unreachable: ${error.message}`, { cause: error });
  }
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async destroy() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** Opens the database with the built server's code, migrates it, and runs `work(db)`. */
export async function withDatabase(databaseUrl, work) {
  const { openDatabase } = await import(new URL('db/database.js', dist).href);
  const { migrateToLatest } = await import(new URL('db/migrate.js', dist).href);
  const db = await openDatabase(databaseUrl);
  try {
    await migrateToLatest(db);
    return await work(db);
  } finally {
    await db.close();
  }
}

/** Creates users through the built AuthService (argon2id hashes, as `v4h user add` makes them). */
export async function createUsers(databaseUrl, dataDir, count, prefix = 'bench') {
  const { loadConfig } = await import(new URL('config.js', dist).href);
  const { AuthService } = await import(new URL('auth/service.js', dist).href);
  const config = loadConfig({ V4H_DATA_DIR: dataDir, V4H_DATABASE_URL: databaseUrl, V4H_TOKEN_SECRET: 'x'.repeat(32) });
  return withDatabase(databaseUrl, async (db) => {
    const auth = new AuthService({ db, clock: { now: () => Date.now() }, config });
    const users = [];
    for (let i = 0; i < count; i++) {
      const user = { username: `${prefix}${i}-${randomBytes(3).toString('hex')}`, password: `pw-${randomBytes(12).toString('hex')}` };
      await auth.createUser(user.username, user.password);
      users.push(user);
    }
    return users;
  });
}

/** JSON over HTTP; resolves with { status, body, headers } and never throws on 4xx/5xx. */
export async function call(baseUrl, method, route, { body, token, headers = {} } = {}) {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Logs in and returns { accessToken, refreshToken }; throws unless 200. */
export async function login(baseUrl, user) {
  const res = await call(baseUrl, 'POST', '/api/auth/login', { body: user });
  if (res.status !== 200) throw new Error(`login of ${user.username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
