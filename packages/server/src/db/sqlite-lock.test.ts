// Another process holding SQLite's write lock: every kind of write (db.write, a Kysely statement on its own, a prepared
// statement run directly) waits for it without blocking the event loop, reads go on, and db.busy() says so meanwhile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database.js';
import { migrateToLatest } from './migrate.js';
import { prepareQuery } from './prepared.js';
import { testDialect } from '../test-support/test-app.js';

const insertUser = prepareQuery((db, p: { id: string }) =>
  db.insertInto('users').values({ id: p.id, username: p.id, password_hash: 'x', disabled: 0, created_at: 1 }),
);
const disableUser = prepareQuery((db, p: { id: string }) => db.updateTable('users').set({ disabled: 1 }).where('id', '=', p.id).returning('id'));

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lockedDatabase(lockWaitMs?: number): Promise<{ db: Db; other: SQLite.Database; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-sqlite-lock-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'v4h.sqlite');
  const db = await openDatabase(`sqlite:${file}`, { lockWaitMs });
  cleanups.push(() => db.close());
  await migrateToLatest(db);
  await insertUser.run(db.kysely, { id: 'before' });
  const other = new SQLite(file);
  cleanups.push(() => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
  });
  other.exec('BEGIN IMMEDIATE');
  return { db, other, file };
}

/** Whether each promise has settled, read after the event loop has run timers for `ms`. */
function tracked<T>(promise: Promise<T>) {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(testDialect() === 'sqlite')('SQLite write lock held by another connection', () => {
  it('writes wait for it with the event loop free: timers run, reads are answered, db.busy() is true; all commit after the release', async () => {
    const { db, other } = await lockedDatabase();
    expect(db.busy()).toBe(false);
    const writes = [
      tracked(db.write((trx) => insertUser.run(trx, { id: 'grouped' }))),
      tracked(db.kysely.insertInto('users').values({ id: 'alone', username: 'alone', password_hash: 'x', disabled: 0, created_at: 1 }).execute()),
      tracked(insertUser.run(db.kysely, { id: 'prepared' })),
      tracked(disableUser.first(db.kysely, { id: 'before' })),
    ];
    // With a blocking busy_timeout this timer would fire only once the writes had given up (settled).
    await sleep(100);
    expect(writes.map((w) => w.settled)).toEqual([false, false, false, false]);
    expect(db.busy()).toBe(true);
    // Reads, through Kysely and directly, beside the waiting writes (WAL).
    expect(await db.kysely.selectFrom('users').select('id').where('id', '=', 'before').executeTakeFirst()).toEqual({ id: 'before' });
    other.exec('COMMIT');
    await Promise.all(writes.map((w) => w.promise));
    expect(db.busy()).toBe(false);
    const rows = await db.kysely.selectFrom('users').select(['id', 'disabled']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'alone', disabled: 0 },
      { id: 'before', disabled: 1 },
      { id: 'grouped', disabled: 0 },
      { id: 'prepared', disabled: 0 },
    ]);
  });

  it('a write still waiting at the deadline fails with SQLITE_BUSY and writes nothing; the next one succeeds', async () => {
    const { db, other } = await lockedDatabase(300);
    const outcomes = await Promise.allSettled([db.write((trx) => insertUser.run(trx, { id: 'late' })), insertUser.run(db.kysely, { id: 'late-alone' })]);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as { code?: string }).code)).toEqual(['SQLITE_BUSY', 'SQLITE_BUSY']);
    expect(db.busy()).toBe(false);
    other.exec('COMMIT');
    await db.write((trx) => insertUser.run(trx, { id: 'after' }));
    expect((await db.kysely.selectFrom('users').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['after', 'before']);
  });

  it('a write transaction takes the lock up front (BEGIN IMMEDIATE): the other connection cannot write meanwhile', async () => {
    const { db, other } = await lockedDatabase();
    other.exec('COMMIT');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const open = db.kysely.transaction().execute(async (trx) => {
      // Only reads so far: a deferred BEGIN would not have taken the write lock yet.
      await trx.selectFrom('users').select('id').execute();
      await gate;
    });
    await sleep(20);
    other.pragma('busy_timeout = 0');
    expect(() => other.exec('BEGIN IMMEDIATE')).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    release();
    await open;
    other.exec('BEGIN IMMEDIATE');
  });
});
