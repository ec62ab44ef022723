// Migration 020 on the dialect under test: an install made before organisations (users, conferences) moves into the
// organisation `default` and keeps working over HTTP as before; the V4H_ADMIN_USERNAME account becomes its admin.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, createTestDatabase, type TestApp, type TestDatabase } from '../../test-support/test-app.js';
import { openDatabase } from '../database.js';
import { migrateUpTo } from '../migrate.js';
import { hashPassword } from '../../auth/passwords.js';
import { AuthService } from '../../auth/service.js';
import { membershipOf } from '../memberships.js';

let dir: string | undefined;
let database: TestDatabase | undefined;
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await database?.destroy();
  database = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('migration 020: organisations', () => {
  it('moves every existing user into `default`, its conferences too, and nothing else changes over HTTP', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-m020-'));
    database = await createTestDatabase(dir);
    const oldDb = await openDatabase(database.url);
    await migrateUpTo(oldDb, '019-usernames-normalised');
    const old = oldDb.kysely;
    const hash = await hashPassword('a long passphrase');
    for (const [id, username] of [
      ['u-ana', 'dr.ana'],
      ['u-bob', 'dr.bob'],
    ])
      await old.insertInto('users').values({ id, username, password_hash: hash, disabled: 0, created_at: 1 }).execute();
    // The row as an install before 020 had it (written directly: today's event log also writes tables of later migrations).
    const before = 'old-conference';
    const at = Date.now() - 60_000;
    await old
      .insertInto('conferences')
      .values({
        session_id: before,
        owner_id: 'u-ana',
        room_name: 'old-room',
        state: 'ended',
        created_at: at,
        started_at: at,
        ended_at: at + 1000,
        end_reason: 'owner',
        last_activity_at: at + 1000,
        hash: null,
        hash_type: null,
        dlt_id: null,
        dlt_type: null,
        join_policy: 'ORG',
        join_password_hash: null,
      })
      .execute();
    await oldDb.close();
    // The server starts on the old database: createTestApp migrates it, as a start does.
    t = await createTestApp({ dataDir: dir, database });
    const db = t.db.kysely;

    expect(await db.selectFrom('organisations').select(['id', 'name', 'settings']).execute()).toEqual([{ id: 'default', name: 'default', settings: '{}' }]);
    const members = await db.selectFrom('organisation_members').select(['user_id', 'organisation_id', 'role']).orderBy('user_id').execute();
    expect(members).toEqual([
      { user_id: 'u-ana', organisation_id: 'default', role: 'member' },
      { user_id: 'u-bob', organisation_id: 'default', role: 'member' },
    ]);
    const conf = await db
      .selectFrom('conferences')
      .select(['organisation_id', 'list_policy', 'join_policy'])
      .where('session_id', '=', before)
      .executeTakeFirstOrThrow();
    expect(conf).toEqual({ organisation_id: 'default', list_policy: 'RESTRICT', join_policy: 'ORG' });

    // Over HTTP: the old conference is listed to its owner only, a new one admits the colleague (ORG, as before).
    const ana = { authorization: `Bearer ${(await t.login('dr.ana', 'a long passphrase')).accessToken}` };
    const bob = { authorization: `Bearer ${(await t.login('dr.bob', 'a long passphrase')).accessToken}` };
    const list = async (auth: Record<string, string>) =>
      ((await (await fetch(`${t!.baseUrl}/api/conferences`, { headers: auth })).json()) as { items: { sessionId: string }[] }).items.map((c) => c.sessionId);
    expect(await list(ana)).toEqual([before]);
    expect(await list(bob)).toEqual([]);
    const created = await fetch(`${t.baseUrl}/api/conferences`, { method: 'POST', headers: { ...ana, 'content-type': 'application/json' }, body: '{}' });
    expect(created.status).toBe(201);
    const { sessionId } = (await created.json()) as { sessionId: string };
    expect(await db.selectFrom('conferences').select('organisation_id').where('session_id', '=', sessionId).executeTakeFirstOrThrow()).toEqual({
      organisation_id: 'default',
    });
    const post = (path: string, auth: Record<string, string>) =>
      fetch(`${t!.baseUrl}/api/conferences/${sessionId}/${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect((await post('start', ana)).status).toBe(200);
    expect((await post('join', bob)).status).toBe(200);

    // A user created after the migration joins `default`; the admin account (server.ts's ensureUser) becomes its admin.
    const auth = new AuthService({ db: t.db, clock: { now: () => Date.now() }, config: t.config });
    const carla = await auth.createUser('carla', 'a long passphrase');
    expect(await membershipOf(db, carla.id)).toEqual({ organisationId: 'default', role: 'member', unitIds: [] });
    expect(await auth.ensureUser('dr.ana', 'ignored passphrase', { role: 'admin' })).toBe(false);
    expect(await membershipOf(db, 'u-ana')).toEqual({ organisationId: 'default', role: 'admin', unitIds: [] });
    expect(await membershipOf(db, 'u-bob')).toEqual({ organisationId: 'default', role: 'member', unitIds: [] });
  });
});
