// Several real server processes on one database (SQLite file or PostgreSQL): one refresh-token rotation wins,
// and login counters lose no attempt. The children run the built code (dist/), as deployed processes do.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { openDatabase, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../test-support/test-app.js';
import { AuthService } from './service.js';

const dist = path.resolve(fileURLToPath(import.meta.url), '../../../dist');
const PROCESSES = 4;

// Each child waits for a common start time, then does its work and prints one JSON line.
const CHILD = `
const [, , mode, url, token, startAt] = process.argv;
const { openDatabase } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'db/database.js')).href)});
const { AuthService } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'auth/service.js')).href)});
const { RateLimiter } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'auth/rate-limiter.js')).href)});
const { loadConfig } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'config.js')).href)});
const db = await openDatabase(url);
const config = loadConfig({ V4H_DATABASE_URL: url, V4H_TOKEN_SECRET: 'x'.repeat(40) });
const auth = new AuthService({ db, clock: { now: () => Date.now() }, config });
const limiter = new RateLimiter(db);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
let result;
if (mode === 'refresh') {
  result = await auth.refresh(token).then(() => 'ok', (error) => error.code ?? String(error));
} else {
  result = await Promise.all(Array.from({ length: 10 }, () => limiter.hit('shared-key', 600000, Date.now()).then((hit) => hit.count)));
}
await db.close();
console.log(JSON.stringify(result));
`;

let dir: string;
let database: TestDatabase;
let db: Db;

beforeEach(async () => {
  expect(fs.existsSync(path.join(dist, 'auth/service.js')), 'run `npm run build -w @v4h/server` first').toBe(true);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-mp-'));
  database = await createTestDatabase(dir);
  db = await openDatabase(database.url);
  await migrateToLatest(db);
  fs.writeFileSync(path.join(dir, 'child.mjs'), CHILD);
});

afterEach(async () => {
  await db.close();
  await database.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

function runChildren(mode: 'refresh' | 'hits', token = '-'): Promise<unknown[]> {
  const startAt = String(Date.now() + 2500); // time enough for every child to load
  return Promise.all(
    Array.from(
      { length: PROCESSES },
      () =>
        new Promise<unknown>((resolve, reject) =>
          execFile(process.execPath, [path.join(dir, 'child.mjs'), mode, database.url, token, startAt], (error, stdout, stderr) =>
            error ? reject(new Error(`child failed: ${stderr}`)) : resolve(JSON.parse(stdout)),
          ),
        ),
    ),
  );
}

it('the same refresh token presented by several processes at once: exactly one wins', async () => {
  const config = loadConfig({ V4H_DATABASE_URL: database.url, V4H_TOKEN_SECRET: 'x'.repeat(40) });
  const auth = new AuthService({ db, clock: { now: () => Date.now() }, config });
  await auth.createUser('racer', 'racer password');
  const { refreshToken } = await auth.login('racer', 'racer password', '127.0.0.1');
  const results = await runChildren('refresh', refreshToken);
  expect(results.filter((r) => r === 'ok')).toHaveLength(1);
  expect(results.filter((r) => r === 'invalid_refresh_token')).toHaveLength(PROCESSES - 1);
  const family = await db.kysely.selectFrom('token_families').select('revoked_reason').executeTakeFirstOrThrow();
  expect(family.revoked_reason).toBe('refresh_token_reuse');
});

it('rate-limit counters shared by several processes lose no increment', async () => {
  const counts = (await runChildren('hits')).flat() as number[];
  expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: PROCESSES * 10 }, (_, i) => i + 1));
});
