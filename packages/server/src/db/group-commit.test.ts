// Write transactions (db.write): concurrent writes commit together on SQLite, yet each one succeeds or fails alone,
// and none is acknowledged before it is committed. The same guarantees hold on PostgreSQL (one transaction each).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './database.js';
import { prepareQuery } from './prepared.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../test-support/test-app.js';

const insertUser = prepareQuery((db, p: { id: string; username: string }) =>
  db.insertInto('users').values({ id: p.id, username: p.username, password_hash: 'x', disabled: 0, created_at: 1 }),
);

describe('db.write', () => {
  let database: MigratedTestDatabase;
  let db: Db;
  /** A second connection: sees only what is committed. */
  let observer: Db;
  const committed = async (ids: string[]) =>
    (await observer.kysely.selectFrom('users').select('id').where('id', 'in', ids).orderBy('id').execute()).map((row) => row.id);

  beforeAll(async () => {
    database = await createMigratedTestDatabase('group-commit');
    db = database.db;
    observer = await database.connect();
  });
  afterAll(() => database?.destroy());

  it('commits concurrent writes, each resolving with its own result only once all of them are committed', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const seenAtFirstAnswer: Promise<string[]>[] = [];
    const writes = ids.map((id) =>
      db
        .write(async (trx) => {
          await insertUser.run(trx, { id, username: `user-${id}` });
          return id.toUpperCase();
        })
        .then((result) => {
          if (seenAtFirstAnswer.length === 0) seenAtFirstAnswer.push(committed(ids));
          return result;
        }),
    );
    expect(await Promise.all(writes)).toEqual(ids.map((id) => id.toUpperCase()));
    // On SQLite the first answer comes after the shared COMMIT, so every write of the batch is visible by then.
    if (db.dialect === 'sqlite') expect(await seenAtFirstAnswer[0]).toEqual(ids);
    expect(await committed(ids)).toEqual(ids);
  });

  it('rolls back a failing write alone, with its own error, and commits the others', async () => {
    await db.write((trx) => insertUser.run(trx, { id: 'f0', username: 'f-zero' }));
    const results = await Promise.allSettled([
      db.write((trx) => insertUser.run(trx, { id: 'f1', username: 'f-one' })),
      db.write(async (trx) => {
        await insertUser.run(trx, { id: 'f2', username: 'f-two' }); // undone with the failure below
        await insertUser.run(trx, { id: 'f3', username: 'f-zero' }); // username taken
      }),
      db.write(async () => {
        throw new Error('refused by the work itself');
      }),
      db.write((trx) => insertUser.run(trx, { id: 'f4', username: 'f-four' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/unique|duplicate/i);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error('refused by the work itself'));
    expect(await committed(['f1', 'f2', 'f3', 'f4'])).toEqual(['f1', 'f4']);
  });

  it('fails every write of a batch whose transaction SQLite ends, and keeps working afterwards', async () => {
    if (db.dialect !== 'sqlite') return; // PostgreSQL runs each write in a transaction of its own
    const results = await Promise.allSettled([
      db.write((trx) => insertUser.run(trx, { id: 'g1', username: 'g-one' })),
      db.write(async (trx) => {
        await sql`rollback`.execute(trx); // what SQLite does by itself on a full disk or an I/O error
        throw new Error('transaction lost');
      }),
      db.write((trx) => insertUser.run(trx, { id: 'g3', username: 'g-three' })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toEqual(new Error('transaction lost'));
    expect(await committed(['g1', 'g3'])).toEqual([]);
    await db.write((trx) => insertUser.run(trx, { id: 'g4', username: 'g-four' }));
    expect(await committed(['g4'])).toEqual(['g4']);
  });

  it('fails a whole batch at once when another process holds the write lock, instead of waiting once per write', async () => {
    if (db.dialect !== 'sqlite') return;
    const { default: SQLite } = await import('better-sqlite3');
    const other = new SQLite(database.url.slice('sqlite:'.length));
    other.exec('begin immediate');
    const started = Date.now();
    try {
      const results = await Promise.allSettled(['b1', 'b2', 'b3'].map((id) => db.write((trx) => insertUser.run(trx, { id, username: `b-${id}` }))));
      for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
    } finally {
      other.exec('rollback');
      other.close();
    }
    // One wait for the lock (5 s), not one per write.
    expect(Date.now() - started).toBeLessThan(9000);
    await db.write((trx) => insertUser.run(trx, { id: 'b4', username: 'b-b4' }));
    expect(await committed(['b1', 'b2', 'b3', 'b4'])).toEqual(['b4']);
  });

  it('leaves reads outside it waiting for its commit rather than seeing its rows early', async () => {
    if (db.dialect !== 'sqlite') return; // PostgreSQL's own isolation: other connections read around it
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const write = db.write(async (trx) => {
      await insertUser.run(trx, { id: 'h1', username: 'h-one' });
      await gate;
    });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the write's transaction is open now
    const read = db.kysely.selectFrom('users').select('id').where('id', '=', 'h1').execute();
    release();
    await write;
    expect(await read).toEqual([{ id: 'h1' }]);
  });
});
