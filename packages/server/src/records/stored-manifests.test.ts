// Manifests are stored without their text (migration 008) and batches without a path per manifest (009): bundles rebuild
// both, tampering is caught, rows stored before are served as stored, and the migration keeps every row.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createMigratedTestDatabase, createTestApp, type TestApp } from '../test-support/test-app.js';
import { migrateToLatest } from '../db/migrate.js';
import { endedConference, getJson, owner } from '../test-support/records-fixtures.js';
import { verifyBundle, fromBase64, canonicalize, type ManifestBundle } from '@v4h/protocol/verify';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ manualClock: true, env: { V4H_SEAL_DELAY: '0' } });
});
afterEach(async () => t.close());

/** Ended conferences sealed and anchored together (one batch), with their bundle and its verification. */
async function anchoredConferences(count: number) {
  const o = await owner(t);
  const sessionIds: string[] = [];
  for (let i = 0; i < count; i++) sessionIds.push(await endedConference(t.db.kysely, o.id, t.clock!.now()));
  t.clock!.advance(1);
  await t.app.records.sealer.runOnce();
  await t.app.records.anchorer.runOnce();
  const key = fromBase64(t.app.records.ledger.describe().publicKey!);
  return sessionIds.map((sessionId) => {
    const bundle = async () => (await getJson(`${t.baseUrl}/api/conferences/${sessionId}/manifest`, o.auth)).body as ManifestBundle;
    return { sessionId, bundle, verify: async () => verifyBundle(await bundle(), { ledgerKey: key }) };
  });
}

const anchoredConference = async () => (await anchoredConferences(1))[0];

describe('manifests stored without their text', () => {
  it('the row has no body; the served manifest is rebuilt from the events and verifies', async () => {
    const c = await anchoredConference();
    const row = await t.db.kysely.selectFrom('manifests').selectAll().where('session_id', '=', c.sessionId).executeTakeFirstOrThrow();
    expect(row.body).toBeNull();
    expect((await c.verify()).failure).toBeNull();
    expect((await c.bundle()).manifests[0].manifest.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('an event changed in the database after sealing makes the served record fail verification', async () => {
    const c = await anchoredConference();
    await t.db.kysely
      .updateTable('conference_events')
      .set({ data: '{"participantId":"mallory"}' })
      .where('session_id', '=', c.sessionId)
      .where('seq', '=', 4)
      .execute();
    expect((await c.verify()).failure).toMatchObject({ name: 'event-hash' });
  });

  it('an event removed from the database after sealing makes the served record fail verification', async () => {
    const c = await anchoredConference();
    await t.db.kysely.deleteFrom('conference_events').where('session_id', '=', c.sessionId).where('seq', '=', 6).execute();
    const report = await c.verify();
    expect(report.ok).toBe(false);
    expect(['manifest-format', 'event-chain', 'manifest-hash']).toContain(report.failure!.name);
  });

  it('a manifest stored with its text (before migration 008) is served as stored', async () => {
    const c = await anchoredConference();
    const text = canonicalize((await c.bundle()).manifests[0].manifest);
    await t.db.kysely.updateTable('manifests').set({ body: text }).where('session_id', '=', c.sessionId).execute();
    // The stored text wins over the events (which it no longer needs).
    await t.db.kysely.deleteFrom('conference_events').where('session_id', '=', c.sessionId).where('seq', '<=', 6).execute();
    const bundle = await c.bundle();
    expect(canonicalize(bundle.manifests[0].manifest)).toBe(text);
    expect((await c.verify()).failure).toBeNull();
  });
});

describe('Merkle trees stored as tiles', () => {
  it('a batch stores its tree once and no path per manifest; every path read back verifies', async () => {
    const conferences = await anchoredConferences(40);
    expect(await t.db.kysely.selectFrom('manifests').select('proof').where('proof', 'is not', null).execute()).toEqual([]);
    const tiles = await t.db.kysely.selectFrom('merkle_tiles').select(['level', 'tile']).orderBy('level').orderBy('tile').execute();
    expect(tiles).toEqual([
      { level: 0, tile: 0 },
      { level: 0, tile: 1 },
      { level: 5, tile: 0 },
    ]);
    for (const c of conferences) {
      expect((await c.bundle()).manifests[0].proof).toMatchObject({ treeSize: 40, path: expect.any(Array) });
      expect((await c.verify()).failure).toBeNull();
    }
  });

  it('a path stored in the manifest row (batches before migration 009) is served as stored; a missing tile fails the proof', async () => {
    const [c, other] = await anchoredConferences(2);
    const { proof } = (await c.bundle()).manifests[0];
    expect(proof!.path).toHaveLength(1);
    await t.db.kysely
      .updateTable('manifests')
      .set({ proof: JSON.stringify(proof!.path) })
      .where('session_id', '=', c.sessionId)
      .execute();
    await t.db.kysely.deleteFrom('merkle_tiles').execute();
    expect((await c.bundle()).manifests[0].proof).toEqual(proof);
    expect((await c.verify()).failure).toBeNull();
    // Without its tiles, a batch's manifests have no proof, which verification reports.
    expect((await other.bundle()).manifests[0].proof).toBeNull();
    expect((await other.verify()).failure).toMatchObject({ name: 'merkle-proof' });
  });
});

describe('migration 008', () => {
  it('keeps every manifest row and makes body optional', async () => {
    const database = await createMigratedTestDatabase('m008', { upTo: '007-files-primary-recording' });
    const { db } = database;
    try {
      await db.kysely.insertInto('users').values({ id: 'u', username: 'u', password_hash: 'x', disabled: 0, created_at: 0 }).execute();
      await db.kysely
        .insertInto('conferences')
        .values({
          session_id: 's',
          owner_id: 'u',
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
        } as never)
        .execute(); // the schema before migration 011
      const legacy = {
        session_id: 's',
        part: 0,
        hash: 'ab'.repeat(32),
        prev_hash: null,
        from_seq: 1,
        to_seq: 2,
        body: '{"v":1}',
        sealed_at: 5,
        batch_id: 'b',
        leaf_index: 3,
        proof: '["cd"]',
      };
      await db.kysely.insertInto('manifests').values(legacy).execute();
      await expect(
        db.kysely
          .insertInto('manifests')
          .values({ ...legacy, part: 1, hash: 'ef'.repeat(32), body: null })
          .execute(),
      ).rejects.toThrow();

      await migrateToLatest(db);
      expect(await db.kysely.selectFrom('manifests').selectAll().execute()).toEqual([legacy]);
      await db.kysely
        .insertInto('manifests')
        .values({ ...legacy, part: 1, hash: 'ef'.repeat(32), body: null })
        .execute();
      // The constraints and the index came along.
      await expect(
        db.kysely
          .insertInto('manifests')
          .values({ ...legacy, part: 2 })
          .execute(),
      ).rejects.toThrow(); // hash unique
      await expect(
        db.kysely
          .insertInto('manifests')
          .values({ ...legacy, hash: '12'.repeat(32) })
          .execute(),
      ).rejects.toThrow(); // (session_id, part)
      await expect(
        db.kysely
          .insertInto('manifests')
          .values({ ...legacy, session_id: 'nope', hash: '34'.repeat(32) })
          .execute(),
      ).rejects.toThrow(); // conference
      if (db.dialect === 'sqlite') {
        const plan = await sql<{ detail: string }>`explain query plan select hash from manifests where batch_id is null order by sealed_at`.execute(db.kysely);
        expect(plan.rows.map((r) => r.detail).join(' ')).toContain('manifests_batch');
      }
    } finally {
      await database.destroy();
    }
  });
});
