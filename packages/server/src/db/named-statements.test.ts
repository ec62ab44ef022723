// PostgreSQL runs the prepared queries (db/prepared.ts) as named statements, parsed and planned once per connection;
// other SQL stays unnamed, and a connection whose statements a schema change made stale is replaced.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './database.js';
import { prepareQuery, preparedStatementName } from './prepared.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../test-support/test-app.js';

const leaseByName = prepareQuery((db, p: { name: string }) => db.selectFrom('worker_leases').selectAll().where('name', '=', p.name));
const namedOnThisConnection = sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`;

describe.runIf(process.env.V4H_TEST_DB === 'postgres')('named statements (PostgreSQL)', () => {
  let database: MigratedTestDatabase;
  let db: Db;
  beforeAll(async () => {
    database = await createMigratedTestDatabase('named');
    db = database.db;
    await db.kysely.insertInto('worker_leases').values({ name: 'seal', holder: 'h', expires_at: 5 }).execute();
  });
  afterAll(() => database?.destroy());

  it('a prepared query is prepared once on its connection, under its name; other SQL is not', async () => {
    await db.kysely.transaction().execute(async (trx) => {
      expect(await leaseByName.all(trx, { name: 'seal' })).toEqual([{ name: 'seal', holder: 'h', expires_at: 5 }]);
      expect(await leaseByName.all(trx, { name: 'other' })).toEqual([]);
      await trx.selectFrom('worker_leases').select('holder').where('name', '=', 'seal').execute(); // plain Kysely
      const { rows } = await namedOnThisConnection.execute(trx);
      const mine = rows.filter((r) => r.statement.includes('worker_leases'));
      expect(mine).toHaveLength(1);
      expect(mine[0].name).toBe(preparedStatementName(mine[0].statement));
    });
  });

  /** Prepares the statement on every connection of the pool (10), then changes the table under it. */
  async function staleEverywhere() {
    // (A previous test's schema change may have left stale connections: those fail here once and are replaced.)
    for (let attempt = 0; ; attempt++) {
      const prepared = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          db.kysely.transaction().execute(async (trx) => {
            await leaseByName.all(trx, { name: 'seal' });
            await sql`select pg_sleep(0.05)`.execute(trx); // hold the connection so the next transaction takes another
          }),
        ),
      );
      if (prepared.every((p) => p.status === 'fulfilled')) break;
      if (attempt === 2) throw new Error('could not prepare the statement on every connection');
    }
    await sql`alter table worker_leases add column note text`.execute(db.kysely);
  }
  const shape = (rows: object[]) => (Object.keys(rows[0]).includes('note') ? 'ok' : 'old shape');

  it('after a schema change, a query on its own runs again at once, unnamed, and its stale connection is replaced', async () => {
    await staleEverywhere();
    const outcomes: string[] = [];
    for (let i = 0; i < 25; i++) {
      try {
        outcomes.push(shape(await leaseByName.all(db.kysely, { name: 'seal' })));
      } catch (error) {
        outcomes.push((error as { code?: string }).code ?? String(error));
      }
    }
    expect(outcomes).toEqual(Array(25).fill('ok'));
    // The pool holds no stale connection any more: the named statement, prepared again, sees the new columns.
    await db.kysely.transaction().execute(async (trx) => {
      expect(shape(await leaseByName.all(trx, { name: 'seal' }))).toBe('ok');
    });
    await sql`alter table worker_leases drop column note`.execute(db.kysely);
  });

  it('in a transaction the query cannot run again: it fails once per stale connection, which is replaced', async () => {
    await staleEverywhere();
    const outcomes: string[] = [];
    for (let i = 0; i < 25; i++) {
      try {
        outcomes.push(await db.kysely.transaction().execute(async (trx) => shape(await leaseByName.all(trx, { name: 'seal' }))));
      } catch (error) {
        outcomes.push((error as { code?: string }).code ?? String(error));
      }
    }
    // Each connection that had prepared the statement fails at most once (and is then closed), never twice.
    expect(outcomes.filter((o) => o !== 'ok' && o !== '0A000')).toEqual([]);
    expect(outcomes.filter((o) => o === '0A000').length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === '0A000').length).toBeLessThanOrEqual(10);
    expect(outcomes.slice(-5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    await sql`alter table worker_leases drop column note`.execute(db.kysely);
  });
});
