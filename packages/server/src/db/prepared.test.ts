// Prepared queries: compiled once, run with real parameters on both dialects, inside and outside transactions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './database.js';
import { prepareQuery } from './prepared.js';
import { createMigratedTestDatabase, testDialect, type MigratedTestDatabase } from '../test-support/test-app.js';

const insertUser = prepareQuery((db, p: { id: string; username: string; at: number }) =>
  db.insertInto('users').values({ id: p.id, username: p.username, password_hash: 'x', disabled: 0, created_at: p.at }),
);
const userByName = prepareQuery((db, p: { username: string }) =>
  db.selectFrom('users').select(['id', 'username', 'created_at']).where('username', '=', p.username).limit(1),
);

describe('prepareQuery', () => {
  let database: MigratedTestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createMigratedTestDatabase('prepared');
    db = database.db;
  });
  afterAll(() => database?.destroy());

  it('runs with each call’s parameters, keeping constants (limit) in place', async () => {
    await insertUser.run(db.kysely, { id: 'u1', username: 'alice', at: 1000 });
    await insertUser.run(db.kysely, { id: 'u2', username: 'bob', at: 2000 });
    expect(await userByName.first(db.kysely, { username: 'bob' })).toEqual({ id: 'u2', username: 'bob', created_at: 2000 });
    expect(await userByName.first(db.kysely, { username: 'alice' })).toEqual({ id: 'u1', username: 'alice', created_at: 1000 });
    expect(await userByName.all(db.kysely, { username: 'nobody' })).toEqual([]);
  });

  it('runs inside a transaction, and rolls back with it', async () => {
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await insertUser.run(trx, { id: 'u3', username: 'carol', at: 3000 });
        expect(await userByName.first(trx, { username: 'carol' })).toMatchObject({ id: 'u3' });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await userByName.first(db.kysely, { username: 'carol' })).toBeUndefined();
  });

  it('outside a transaction, never runs inside another one that is open (nor sees its rows)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const open = db.kysely.transaction().execute(async (trx) => {
      await insertUser.run(trx, { id: 'u4', username: 'dave', at: 4000 });
      await gate;
      throw new Error('undo');
    });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the transaction holds the connection now
    const read = userByName.first(db.kysely, { username: 'dave' });
    const write = insertUser.run(db.kysely, { id: 'u5', username: 'erin', at: 5000 });
    release();
    await expect(open).rejects.toThrow('undo');
    expect(await read).toBeUndefined();
    await write;
    expect(await userByName.first(db.kysely, { username: 'erin' })).toMatchObject({ id: 'u5' }); // not rolled back with the other
  });

  it('firstSoon answers without a promise on SQLite, and with a promise where the read must wait', async () => {
    await insertUser.run(db.kysely, { id: 'u6', username: 'frank', at: 6000 });
    const now = userByName.firstSoon(db.kysely, { username: 'frank' });
    if (testDialect() === 'postgres') {
      expect(now).toBeInstanceOf(Promise); // every read is a round trip there
      expect(await now).toEqual({ id: 'u6', username: 'frank', created_at: 6000 });
      return;
    }
    expect(now).toEqual({ id: 'u6', username: 'frank', created_at: 6000 });
    expect(userByName.firstSoon(db.kysely, { username: 'nobody' })).toBeUndefined();
    // A transaction holds the only connection: a read from outside it waits, one from inside answers at once.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inside: unknown;
    const open = db.kysely.transaction().execute(async (trx) => {
      await insertUser.run(trx, { id: 'u7', username: 'grace', at: 7000 });
      inside = userByName.firstSoon(trx, { username: 'grace' });
      await gate;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inside).toMatchObject({ id: 'u7' });
    const soon = userByName.firstSoon(db.kysely, { username: 'frank' });
    expect(soon).toBeInstanceOf(Promise);
    release();
    expect(await soon).toEqual({ id: 'u6', username: 'frank', created_at: 6000 });
    await open;
    expect(userByName.firstSoon(db.kysely, { username: 'grace' })).toMatchObject({ id: 'u7' });
  });

  it('refuses a parameter that is not a bound value', async () => {
    const bad = prepareQuery((k, p: { column: string }) => k.selectFrom('users').select('id').where('username', '=', p.column.toUpperCase()));
    await expect(bad.first(db.kysely, { column: 'x' })).rejects.toThrow(/not a bound value/);
  });
});
