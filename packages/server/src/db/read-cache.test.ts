// The read cache of `prepareQuery(…, { cached: true })`: repeated reads are answered from memory on SQLite, and
// every kind of change is seen by the next read — this connection's writes at once, another connection's within
// OTHER_CONNECTIONS_CHECK_MS. On PostgreSQL the same queries always go to the database.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './database.js';
import { prepareQuery } from './prepared.js';
import { OTHER_CONNECTIONS_CHECK_MS } from './read-cache.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../test-support/test-app.js';

const insertUser = prepareQuery((db, p: { id: string; username: string }) =>
  db.insertInto('users').values({ id: p.id, username: p.username, password_hash: 'x', disabled: 0, created_at: 1 }),
);
const renameUser = prepareQuery((db, p: { id: string; username: string }) => db.updateTable('users').set({ username: p.username }).where('id', '=', p.id));
const userById = prepareQuery((db, p: { id: string }) => db.selectFrom('users').select(['id', 'username', 'disabled']).where('id', '=', p.id), {
  cached: true,
});

const userByIdAndName = prepareQuery(
  (db, p: { id: string; username: string }) => db.selectFrom('users').select(['id', 'username']).where('id', '=', p.id).where('username', '=', p.username),
  { cached: true },
);

const afterOtherConnectionsCheck = () => new Promise((resolve) => setTimeout(resolve, OTHER_CONNECTIONS_CHECK_MS + 5));

describe('cached prepared queries', () => {
  let database: MigratedTestDatabase;
  let db: Db;
  let other: Db;
  beforeAll(async () => {
    database = await createMigratedTestDatabase('read-cache');
    db = database.db;
    other = await database.connect(); // another process on the same database, as far as SQLite can tell
    await insertUser.run(db.kysely, { id: 'u1', username: 'alice' });
  });
  afterAll(() => database?.destroy());

  it('answer repeated reads from memory on SQLite (one frozen row), from the database on PostgreSQL', async () => {
    const first = await userById.first(db.kysely, { id: 'u1' });
    const second = await userById.first(db.kysely, { id: 'u1' });
    expect(second).toEqual({ id: 'u1', username: 'alice', disabled: 0 });
    if (db.dialect === 'sqlite') {
      expect(second).toBe(first);
      expect(Object.isFrozen(second)).toBe(true);
    } else {
      expect(second).not.toBe(first);
    }
    // Another key is another entry.
    expect(await userById.first(db.kysely, { id: 'nobody' })).toBeUndefined();
  });

  it('see every write of this connection at once: prepared, built by Kysely, raw SQL, in a committed transaction', async () => {
    await userById.first(db.kysely, { id: 'u1' });
    await renameUser.run(db.kysely, { id: 'u1', username: 'alice-2' });
    expect((await userById.first(db.kysely, { id: 'u1' }))?.username).toBe('alice-2');

    await db.kysely.updateTable('users').set({ username: 'alice-3' }).where('id', '=', 'u1').execute();
    expect((await userById.first(db.kysely, { id: 'u1' }))?.username).toBe('alice-3');

    await sql`update users set disabled = 1 where id = 'u1'`.execute(db.kysely);
    expect((await userById.first(db.kysely, { id: 'u1' }))?.disabled).toBe(1);

    await db.kysely.transaction().execute(async (trx) => {
      await renameUser.run(trx, { id: 'u1', username: 'alice-4' });
    });
    expect((await userById.first(db.kysely, { id: 'u1' }))?.username).toBe('alice-4');
  });

  it('keep one entry per list of parameter values: no two lists share one, whatever characters they hold', async () => {
    // Joined into one key with a separator, these two lists would read the same; SQLite stores NUL in text,
    // PostgreSQL refuses it, so other characters stand in there.
    const sep = db.dialect === 'sqlite' ? '\u0000' : '|';
    await insertUser.run(db.kysely, { id: `k${sep}1`, username: 'x' });
    await insertUser.run(db.kysely, { id: 'k', username: `1${sep}x` });
    for (let round = 0; round < 2; round++) {
      expect(await userByIdAndName.first(db.kysely, { id: `k${sep}1`, username: 'x' })).toEqual({ id: `k${sep}1`, username: 'x' });
      expect(await userByIdAndName.first(db.kysely, { id: 'k', username: `1${sep}x` })).toEqual({ id: 'k', username: `1${sep}x` });
      expect(await userByIdAndName.first(db.kysely, { id: 'k', username: 'x' })).toBeUndefined();
    }
  });

  it('forget a cached "not found" when the row appears', async () => {
    expect(await userById.first(db.kysely, { id: 'u2' })).toBeUndefined();
    await insertUser.run(db.kysely, { id: 'u2', username: 'bob' });
    expect(await userById.first(db.kysely, { id: 'u2' })).toMatchObject({ username: 'bob' });
  });

  it('inside a transaction read its own writes, and keep nothing of a rolled-back one', async () => {
    expect((await userById.first(db.kysely, { id: 'u2' }))?.username).toBe('bob');
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await renameUser.run(trx, { id: 'u2', username: 'bob-uncommitted' });
        expect((await userById.first(trx, { id: 'u2' }))?.username).toBe('bob-uncommitted');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await userById.first(db.kysely, { id: 'u2' }))?.username).toBe('bob');
  });

  it(`see a commit of another connection within ${OTHER_CONNECTIONS_CHECK_MS} ms`, async () => {
    expect((await userById.first(db.kysely, { id: 'u2' }))?.username).toBe('bob');
    await other.kysely.updateTable('users').set({ username: 'bob-elsewhere', disabled: 1 }).where('id', '=', 'u2').execute();
    await afterOtherConnectionsCheck();
    expect(await userById.first(db.kysely, { id: 'u2' })).toMatchObject({ username: 'bob-elsewhere', disabled: 1 });

    await other.kysely.deleteFrom('users').where('id', '=', 'u2').execute();
    await afterOtherConnectionsCheck();
    expect(await userById.first(db.kysely, { id: 'u2' })).toBeUndefined();
  });
});
