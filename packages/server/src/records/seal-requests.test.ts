// The sealer's work list: the event log files a seal request for every event of an ended conference (its `ended` event
// included), a manifest deletes the requests it answers, and migration 010 files them for what was waiting to be sealed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMigratedTestDatabase, createTestApp, type TestApp } from '../test-support/test-app.js';
import { migrateToLatest } from '../db/migrate.js';
import { appendEvent, lockConference } from '../db/event-log.js';

describe('seal requests', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ manualClock: true, env: { V4H_SEAL_DELAY: '300' } });
  });
  afterEach(async () => t.close());

  const requests = () => t.db.kysely.selectFrom('seal_requests').select(['session_id', 'seq', 'at']).orderBy('session_id').orderBy('seq').execute();
  const post = async (url: string, headers: Record<string, string>) =>
    (await fetch(`${t.baseUrl}${url}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })).status;

  it('only an ended conference asks to be sealed; its manifest answers the request; a late event asks again', async () => {
    const owner = await t.userSession();
    const res = await fetch(`${t.baseUrl}/api/conferences`, { method: 'POST', headers: { ...owner.auth, 'content-type': 'application/json' }, body: '{}' });
    const { sessionId } = (await res.json()) as { sessionId: string };
    expect(await post(`/api/conferences/${sessionId}/start`, owner.auth)).toBe(200);
    expect(await requests()).toEqual([]);

    expect(await post(`/api/conferences/${sessionId}/end`, owner.auth)).toBe(200);
    const ended = await t.db.kysely
      .selectFrom('conference_events')
      .select(['seq', 'at'])
      .where('session_id', '=', sessionId)
      .where('type', '=', 'ended')
      .executeTakeFirstOrThrow();
    expect(await requests()).toEqual([{ session_id: sessionId, ...ended }]);

    t.clock!.advance(299);
    expect(await t.app.records.sealer.runOnce()).toEqual([]);
    t.clock!.advance(2);
    const [sealed] = await t.app.records.sealer.runOnce();
    expect(sealed).toMatchObject({ session_id: sessionId, part: 0, to_seq: ended.seq });
    expect(await requests()).toEqual([]);

    // A late event (a recording stored after sealing, say): a new request, and its addendum answers it.
    const late = await t.db.write(async (trx) => {
      await lockConference(trx, sessionId, t.db.dialect);
      return appendEvent(trx, { sessionId, type: 'file_stored', actor: 'recorder', at: t.clock!.now(), data: { name: 'late.mp4' } });
    });
    expect(await requests()).toEqual([{ session_id: sessionId, seq: late.seq, at: late.at }]);
    t.clock!.advance(301);
    expect(await t.app.records.sealer.runOnce()).toMatchObject([
      { session_id: sessionId, part: 1, from_seq: late.seq, to_seq: late.seq, prev_hash: sealed.hash },
    ]);
    expect(await requests()).toEqual([]);
    expect(await t.app.records.sealer.runOnce()).toEqual([]);
  });
});

describe('migration 010', () => {
  it('files a request for each ended conference with events no manifest seals, and for nothing else', async () => {
    const database = await createMigratedTestDatabase('m010', { upTo: '009-merkle-tiles' });
    const { db } = database;
    try {
      await db.kysely.insertInto('users').values({ id: 'u', username: 'u', password_hash: 'x', disabled: 0, created_at: 0 }).execute();
      const conference = (id: string, state: 'started' | 'ended') =>
        ({
          session_id: id,
          owner_id: 'u',
          room_name: `r-${id}`,
          state,
          created_at: 0,
          started_at: 0,
          ended_at: state === 'ended' ? 10 : null,
          end_reason: null,
          last_activity_at: 10,
          hash: null,
          hash_type: null,
          dlt_id: null,
          dlt_type: null,
        }) as never; // the schema before migration 011
      const events = (id: string, count: number) =>
        Array.from({ length: count }, (_, i) => ({
          session_id: id,
          seq: i + 1,
          type: 'x',
          actor: 'system',
          at: 100 * (i + 1),
          data: '{}',
          prev_hash: '0'.repeat(64),
          hash: `${id}${i}`.padEnd(64, '0'),
        }));
      const manifest = (id: string, toSeq: number) => ({
        session_id: id,
        part: 0,
        hash: id.padEnd(64, 'f'),
        prev_hash: null,
        from_seq: 1,
        to_seq: toSeq,
        body: null,
        sealed_at: 1000,
        batch_id: null,
        leaf_index: null,
        proof: null,
      });
      // unsealed: ended, never sealed; sealed: ended and sealed to its last event; late: sealed, then one more event; live: not ended.
      await db.kysely
        .insertInto('conferences')
        .values([conference('unsealed', 'ended'), conference('sealed', 'ended'), conference('late', 'ended'), conference('live', 'started')])
        .execute();
      await db.kysely
        .insertInto('conference_events')
        .values([...events('unsealed', 3), ...events('sealed', 3), ...events('late', 4), ...events('live', 2)])
        .execute();
      await db.kysely
        .insertInto('manifests')
        .values([manifest('sealed', 3), manifest('late', 3)])
        .execute();

      await migrateToLatest(db);
      const filed = await db.kysely.selectFrom('seal_requests').selectAll().orderBy('session_id').execute();
      expect(filed).toEqual([
        { session_id: 'late', seq: 4, at: 400 },
        { session_id: 'unsealed', seq: 3, at: 300 },
      ]);
    } finally {
      await database.destroy();
    }
  });
});
