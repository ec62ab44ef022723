// Large seal runs on SQLite read and hash in worker threads: they must seal exactly what the sealer's own thread would,
// addenda included, and a failing thread must fail the run without losing or half-writing anything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { appendEvent } from '../db/event-log.js';
import { endedConference } from '../test-support/records-fixtures.js';
import { Sealer } from './sealer.js';
import { storedManifestText } from './text.js';
import { sha256Hex } from '../lib/ids.js';

// Tests run from the TypeScript sources; the thread runs the compiled script (`npm test` builds first).
const threadScript = new URL('../../dist/records/seal-worker-thread.js', import.meta.url);
const CONFERENCES = 1000; // the smallest run that the sealer hands to threads
const ENDED_AT = Date.UTC(2026, 10, 28, 9);
const clock = {
  ms: ENDED_AT,
  now() {
    return this.ms;
  },
};

async function open(file: string): Promise<Db> {
  const db = await openDatabase(`sqlite:${file}`);
  await migrateToLatest(db);
  return db;
}

const sealedRows = (db: Db) =>
  db.kysely
    .selectFrom('manifests')
    .select(['session_id', 'part', 'hash', 'prev_hash', 'from_seq', 'to_seq', 'sealed_at', 'body'])
    .orderBy('session_id')
    .orderBy('part')
    .execute();
const conferenceHashes = (db: Db) => db.kysely.selectFrom('conferences').select(['session_id', 'hash', 'hash_type']).orderBy('session_id').execute();

describe('seal runs in worker threads (SQLite)', () => {
  let dir: string;
  let template: string;
  let addenda: string[];

  beforeAll(async () => {
    expect(fs.existsSync(threadScript), `${threadScript.pathname} is built by npm test (npm run build)`).toBe(true);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-seal-threads-'));
    template = path.join(dir, 'template.sqlite');
    const db = await open(template);
    await db.kysely.insertInto('users').values({ id: 'owner', username: 'dr.ana', password_hash: 'x', disabled: 0, created_at: 1 }).execute();
    // Five conferences are sealed already and then get a late event: their next manifest is an addendum (part 1).
    for (let i = 0; i < 5; i++) await endedConference(db.kysely, 'owner', ENDED_AT, i);
    clock.ms = ENDED_AT + 301_000;
    addenda = (await new Sealer({ db: db.kysely, clock, sealDelay: 300 }).runOnce()).map((m) => m.session_id);
    expect(addenda).toHaveLength(5);
    for (const sessionId of addenda) {
      const seq = await appendEvent(db.kysely, {
        sessionId,
        type: 'file_stored',
        actor: 'recorder',
        at: ENDED_AT + 1,
        data: { name: 'late.mp4', size: 1, sha256: 'a'.repeat(64) },
      });
      expect(seq).toBeTruthy();
    }
    for (let i = 5; i < CONFERENCES; i++) await endedConference(db.kysely, 'owner', ENDED_AT - (i % 7) * 1000, i % 3);
    await db.close();
    clock.ms = ENDED_AT + 302_000;
  }, 120_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const copyOfTemplate = (name: string) => {
    const file = path.join(dir, `${name}.sqlite`);
    fs.copyFileSync(template, file); // closed cleanly: everything is in the main file
    return file;
  };

  it('seals the same manifests, addenda included, as the sealer’s own thread, and points conferences at them', async () => {
    const threadedFile = copyOfTemplate('threaded');
    const threaded = await open(threadedFile);
    const inline = await open(copyOfTemplate('inline'));
    try {
      const a = await new Sealer({ db: threaded.kysely, clock, sealDelay: 300, sqliteFile: threadedFile, threadScript, threads: 2 }).runOnce();
      const b = await new Sealer({ db: inline.kysely, clock, sealDelay: 300, threads: 0 }).runOnce();
      expect(a).toHaveLength(CONFERENCES);
      expect(b).toHaveLength(CONFERENCES);
      expect(await sealedRows(threaded)).toEqual(await sealedRows(inline));
      expect(await conferenceHashes(threaded)).toEqual(await conferenceHashes(inline));

      const rows = await sealedRows(threaded);
      const parts = rows.filter((m) => addenda.includes(m.session_id));
      expect(parts.map((m) => m.part).sort()).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
      for (const addendum of parts.filter((m) => m.part === 1)) {
        expect(addendum.prev_hash).toBe(parts.find((m) => m.session_id === addendum.session_id && m.part === 0)!.hash);
      }
      // Each stored hash is the SHA-256 of the manifest rebuilt from its events (what verification recomputes).
      for (const m of rows.slice(0, 50).concat(parts)) {
        const events = await threaded.kysely
          .selectFrom('conference_events')
          .selectAll()
          .where('session_id', '=', m.session_id)
          .where('seq', '>=', m.from_seq)
          .where('seq', '<=', m.to_seq)
          .orderBy('seq')
          .execute();
        expect(sha256Hex(storedManifestText(m, events))).toBe(m.hash);
      }
      const latest = await threaded.kysely.selectFrom('conferences').select(['session_id', 'hash']).where('session_id', 'in', addenda).execute();
      for (const c of latest) expect(c.hash).toBe(parts.find((m) => m.session_id === c.session_id && m.part === 1)!.hash);
      // Nothing is left to seal.
      expect(await new Sealer({ db: threaded.kysely, clock, sealDelay: 300, sqliteFile: threadedFile, threadScript }).runOnce()).toEqual([]);
    } finally {
      await threaded.close();
      await inline.close();
    }
  }, 60_000);

  it('fails the whole run when a thread fails, writes nothing for it, and the next run seals everything', async () => {
    const file = copyOfTemplate('failing');
    const broken = path.join(dir, 'broken-thread.mjs');
    fs.writeFileSync(broken, "throw new Error('the seal thread could not start');\n");
    const db = await open(file);
    try {
      const before = await sealedRows(db);
      const failing = new Sealer({ db: db.kysely, clock, sealDelay: 300, sqliteFile: file, threadScript: new URL(`file://${broken}`), threads: 1 });
      await expect(failing.runOnce()).rejects.toThrow(/could not start/);
      expect(await sealedRows(db)).toEqual(before);
      // The lease was released: the same sealer runs again at once (here without threads) and seals every conference.
      const sealed = await new Sealer({ db: db.kysely, clock, sealDelay: 300, threads: 0 }).runOnce();
      expect(sealed).toHaveLength(CONFERENCES);
    } finally {
      await db.close();
    }
  }, 60_000);
});
