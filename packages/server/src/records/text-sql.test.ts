// On SQLite the sealer has SQLite write each event's manifest text (SQLITE_EVENT_TEXT): it must be byte for byte the
// text that the JavaScript writer (and so canonicalize(buildManifest(…)), text.test.ts) gives, for any stored event.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { ConferenceEventsTable } from '../db/schema.js';
import { canonicalEvent, eventHash, GENESIS_HASH } from '../db/event-log.js';
import { canonicalize } from '@v4h/protocol/verify';
import { sha256Hex } from '../lib/ids.js';
import { testDialect } from '../test-support/test-app.js';
import {
  eventsFromSqliteRows,
  sealedFromEventTexts,
  sealedManifests,
  SQLITE_EVENT_TEXTS_SQL,
  SQLITE_EVENTS_SQL,
  SQLITE_MANIFESTS_SQL,
  type EventTextsRow,
  type LatestManifest,
} from './seal-rows.js';
import { manifestAroundEvents, manifestText } from './text.js';

// Any code point (controls, quotes, backslashes, U+2028, astral) as valid UTF-16, as in format.test.ts.
const anyText = fc.string({ unit: 'binary' });
const anyData = fc.dictionary(anyText, fc.oneof(anyText, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constant(null)), { maxKeys: 4 });
const LAST_MS_OF_9999 = 253_402_300_799_999;
// Times SQLite writes (1970 to 9999, around second and day boundaries too) and times it leaves to JavaScript.
const writableTime = fc.oneof(
  fc.integer({ min: 0, max: LAST_MS_OF_9999 }),
  fc.constantFrom(0, 999, 1000, 59_999, 86_399_999, LAST_MS_OF_9999),
  fc.integer({ min: -3, max: 3 }).map((d) => 1_767_225_600_000 + d),
);
const otherTime = fc.oneof(fc.integer({ min: -8.64e15, max: -1 }), fc.integer({ min: LAST_MS_OF_9999 + 1, max: 8.64e15 }));

describe.runIf(testDialect() === 'sqlite')('manifest text written by SQLite', () => {
  let dir: string;
  let sqlite: SQLite.Database;
  let serial = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-text-sql-'));
    const file = path.join(dir, 'db.sqlite');
    const db = await openDatabase(`sqlite:${file}`);
    await migrateToLatest(db); // the real tables, with their column types
    await db.kysely.insertInto('users').values({ id: 'owner', username: 'dr.ana', password_hash: 'x', disabled: 0, created_at: 1 }).execute();
    await db.close();
    sqlite = new SQLite(file);
  });
  afterAll(() => {
    sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Stores a conference with these events (seq from 1, hash-chained) and returns the rows as read back. */
  function store(sessionId: string, specs: { type: string; actor: string; at: number; data: object }[], skipSeq?: number): ConferenceEventsTable[] {
    sqlite
      .prepare(`insert into conferences (session_id, owner_id, room_name, state, created_at, last_activity_at) values (?, 'owner', ?, 'ended', 0, 0)`)
      .run(sessionId, `room-${++serial}`);
    let prevHash = GENESIS_HASH;
    const insert = sqlite.prepare('insert into conference_events (session_id, seq, type, actor, at, data, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?)');
    specs.forEach((spec, i) => {
      const row = { session_id: sessionId, seq: i + 1, type: spec.type, actor: spec.actor, at: spec.at, data: canonicalize(spec.data), prev_hash: prevHash };
      prevHash = eventHash(canonicalEvent(row));
      if (row.seq !== skipSeq) insert.run(row.session_id, row.seq, row.type, row.actor, row.at, row.data, row.prev_hash, prevHash);
    });
    return sqlite.prepare('select * from conference_events where session_id = ? order by seq').all(sessionId) as ConferenceEventsTable[];
  }

  const ids = (sessionIds: string[]) => JSON.stringify(sessionIds);
  const textRows = (sessionIds: string[]) => sqlite.prepare(SQLITE_EVENT_TEXTS_SQL).all(ids(sessionIds)) as EventTextsRow[];

  it('is the JavaScript writer’s text for any Unicode, escapes and times from 1970 to 9999', () => {
    fc.assert(
      fc.property(
        anyText.filter((s) => s.length > 0),
        fc.array(fc.record({ type: anyText, actor: anyText, at: writableTime, data: anyData }), { minLength: 1, maxLength: 5 }),
        (name, specs) => {
          const sessionId = `${name}#${++serial}`; // unique, with the generated text in it
          const events = store(sessionId, specs);
          const [row] = textRows([sessionId]);
          expect(row).toMatchObject({ session_id: sessionId, from_seq: 1, to_seq: specs.length, count: specs.length });
          const header = { sessionId, part: 0, prev: null, sealedAt: 1_767_258_000_123, fromSeq: 1, toSeq: specs.length };
          expect(manifestAroundEvents(header, row.texts!)).toBe(manifestText({ ...header, events }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves a time it cannot write, or a gap, to JavaScript: sealing gives the same manifests either way', () => {
    const specs = (at: number) => [
      { type: 'requested', actor: 'user:dr.ana', at: 1_767_225_600_000, data: {} },
      { type: 'joined', actor: 'guest:Émile "👩‍⚕️"', at, data: { participantId: 'p\u00001' } },
      { type: 'ended', actor: 'system', at: 1_767_225_660_000, data: { reason: 'owner' } },
    ];
    fc.assert(
      fc.property(otherTime, (at) => {
        const sessionId = `other-time-${++serial}`;
        store(sessionId, specs(at));
        expect(textRows([sessionId])[0].texts).toBeNull();
      }),
      { numRuns: 50 },
    );
    const plain = `plain-${++serial}`;
    const before1970 = `before-1970-${++serial}`;
    const gap = `gap-${++serial}`;
    const addendum = `addendum-${++serial}`;
    store(plain, specs(1_767_225_630_000));
    store(before1970, specs(-1));
    store(gap, specs(1_767_225_630_000), 2); // seq 2 still in flight: only seq 1 is sealed
    store(addendum, specs(1_767_225_630_000));
    // The addendum's conference was sealed up to seq 1: its next manifest is part 1 from seq 2, linking that hash.
    sqlite
      .prepare(`insert into manifests (session_id, part, hash, prev_hash, from_seq, to_seq, sealed_at) values (?, 0, ?, null, 1, 1, 5)`)
      .run(addendum, 'ab'.repeat(32));

    const all = [plain, before1970, gap, addendum];
    const manifests = sqlite.prepare(SQLITE_MANIFESTS_SQL).all(ids(all)) as LatestManifest[];
    const sealedAt = 1_767_226_000_000;
    const { sealed, rowByRow } = sealedFromEventTexts(manifests, textRows(all), sealedAt);
    expect(rowByRow.sort()).toEqual([before1970, gap].sort());
    const viaRows = (sessionIds: string[]) =>
      sealedManifests(
        manifests,
        eventsFromSqliteRows(sqlite.prepare(SQLITE_EVENTS_SQL).all(ids(sessionIds)) as { session_id: string; events: string }[]),
        sealedAt,
      );
    const bySession = (rows: { session_id: string }[]) => [...rows].sort((a, b) => a.session_id.localeCompare(b.session_id));
    // What SQLite wrote seals exactly what the row-by-row path seals for the same conferences.
    expect(bySession(sealed)).toEqual(bySession(viaRows([plain, addendum])));
    expect(sealed.find((m) => m.session_id === addendum)).toMatchObject({ part: 1, prev_hash: 'ab'.repeat(32), from_seq: 2, to_seq: 3 });
    expect(viaRows([gap])).toMatchObject([{ session_id: gap, from_seq: 1, to_seq: 1 }]);
    // And the hash is SHA-256 of the JavaScript writer's text.
    const plainEvents = sqlite.prepare('select * from conference_events where session_id = ? order by seq').all(plain) as ConferenceEventsTable[];
    expect(sealed.find((m) => m.session_id === plain)!.hash).toBe(
      sha256Hex(manifestText({ sessionId: plain, part: 0, prev: null, sealedAt, events: plainEvents })),
    );
  });
});
