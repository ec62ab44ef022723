// Migration 018 on the dialect under test: existing usernames become their normalised form; collisions are renamed apart.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { migrateToLatest } from '../migrate.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../../test-support/test-app.js';
import { plan } from './019-usernames-normalised.js';

let database: MigratedTestDatabase | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await database?.destroy();
  database = undefined;
});

describe('migration 018: usernames normalised', () => {
  it('rewrites names to NFC lowercase, keeps the oldest of a collision, suffixes the others and reports them by id', async () => {
    database = await createMigratedTestDatabase('m018', { upTo: '017-file-encryption' });
    const { db } = database;
    const users = [
      { id: 'u1', username: 'DR.ANA', created_at: 100 }, // oldest of the dr.ana group: keeps the name
      { id: 'u2', username: 'dr.ana', created_at: 200 },
      { id: 'u3', username: 'Dr.Ana', created_at: 300 },
      { id: 'u4', username: 'dr.ana-2', created_at: 50 }, // the suffix a collision would take is already used
      { id: 'u5', username: 'Jo\u0061\u0303o', created_at: 10 }, // decomposed
      { id: 'u6', username: 'bob', created_at: 10 }, // already normalised
    ];
    for (const u of users)
      await db.kysely
        .insertInto('users')
        .values({ ...u, password_hash: 'x', disabled: 0 })
        .execute();
    await db.kysely
      .insertInto('conferences')
      .values({
        session_id: 's',
        owner_id: 'u2',
        room_name: 'r',
        state: 'ended',
        created_at: 0,
        started_at: 0,
        ended_at: 1,
        end_reason: 'owner',
        last_activity_at: 1,
        hash: null,
        hash_type: null,
        dlt_id: null,
        dlt_type: null,
        join_policy: 'ORG',
        join_password_hash: null,
      })
      .execute();
    const file = {
      session_id: 's',
      kind: 'attachment' as const,
      name: 'f',
      size: 1,
      content_type: 'text/plain',
      sha256: '0'.repeat(64),
      storage_key: 'k',
      created_at: 0,
      shared: 0,
    };
    await db.kysely
      .insertInto('files')
      .values({ ...file, id: 'f1', uploader: 'user:dr.ana', uploader_id: 'u2' })
      .execute();
    await db.kysely
      .insertInto('files')
      .values({ ...file, id: 'f2', uploader: 'recorder', uploader_id: null })
      .execute();

    const warnings: string[] = [];
    vi.spyOn(process, 'emitWarning').mockImplementation(((message: string) => void warnings.push(message)) as never);
    await migrateToLatest(db);

    const rows = await db.kysely.selectFrom('users').select(['id', 'username']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'u1', username: 'dr.ana' },
      { id: 'u2', username: 'dr.ana-3' },
      { id: 'u3', username: 'dr.ana-4' },
      { id: 'u4', username: 'dr.ana-2' },
      { id: 'u5', username: 'jo\u00e3o' },
      { id: 'u6', username: 'bob' },
    ]);
    const files = await db.kysely.selectFrom('files').select(['id', 'uploader']).orderBy('id').execute();
    expect(files).toEqual([
      { id: 'f1', uploader: 'user:dr.ana-3' },
      { id: 'f2', uploader: 'recorder' },
    ]);
    // One report naming the renamed accounts by id only (a username is personal data, kept out of logs).
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('u2, u3');
    expect(warnings[0]).not.toMatch(/dr\.ana/i);
  });

  it('says nothing when no names collide', async () => {
    database = await createMigratedTestDatabase('m018q', { upTo: '017-file-encryption' });
    await database.db.kysely.insertInto('users').values({ id: 'a', username: 'Alice', password_hash: 'x', disabled: 0, created_at: 0 }).execute();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    await migrateToLatest(database.db);
    expect(warn).not.toHaveBeenCalled();
    expect(await database.db.kysely.selectFrom('users').select('username').execute()).toEqual([{ username: 'alice' }]);
  });

  it('plan keeps suffixed names within 64 characters', () => {
    const long = 'A'.repeat(64);
    const { renames } = plan([
      { id: 'x', username: long, created_at: 1 },
      { id: 'y', username: long.toLowerCase(), created_at: 2 },
    ]);
    expect(renames.get('x')).toBe('a'.repeat(64));
    expect(renames.get('y')).toBe(`${'a'.repeat(62)}-2`);
  });
});
