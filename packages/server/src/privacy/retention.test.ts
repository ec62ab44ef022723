// The retention job on both databases with a moved clock: old files' bytes and old conferences' personal data go,
// recent ones stay, the record says so and still verifies; two instances never remove a thing twice; a restart
// (after a crash that left the lease held and a deletion half done) finishes the work.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createConference, createFilesTestApp, upload, type FilesTestApp, type Session } from '../test-support/storage.js';
import { createTestDatabase, type TestDatabase } from '../test-support/test-app.js';
import { listEvents } from '../db/event-log.js';
import { acquireLease } from '../db/lease.js';
import { runCli } from '../cli/commands.js';
import { RETENTION_LEASE_MS } from './retention.js';

const DAY = 86_400;
const ENV = {
  V4H_SEAL_DELAY: '0',
  V4H_RETENTION_DAYS: '30',
  V4H_PERSONAL_DATA_RETENTION_DAYS: '60',
  V4H_JITSI_URL: 'https://meet.example.org',
  V4H_JITSI_APP_ID: 'clinic',
  V4H_JITSI_APP_SECRET: 's'.repeat(40),
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function app(options: { dataDir?: string; database?: TestDatabase } = {}): Promise<FilesTestApp> {
  const t = await createFilesTestApp('file', { env: ENV, manualClock: true, ...options });
  // Closed once, by the test (a "crash") or after it.
  const close = t.close.bind(t);
  let closed: Promise<void> | undefined;
  t.close = () => (closed ??= close());
  cleanups.push(() => t.close());
  return t;
}

/** Two apps on one database and data directory, as two server processes (or a restart) would be. */
async function sharedStore() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-retention-'));
  const database = await createTestDatabase(dataDir);
  cleanups.push(async () => {
    await database.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { dataDir, database };
}

async function api(t: FilesTestApp, method: string, url: string, auth: Record<string, string>, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${url}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** A fresh access token at the app's (moved) clock. */
async function relogin(t: FilesTestApp, user: Session): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${(await t.login(user.username, user.password)).accessToken}` };
}

async function eventsOfType(t: FilesTestApp, sessionId: string, type: string) {
  return (await listEvents(t.db.kysely, sessionId)).filter((e) => e.type === type).map((e) => ({ actor: e.actor, data: JSON.parse(e.data) }));
}

async function verifyAllManifests(t: FilesTestApp, sessionId: string, auth: Record<string, string>) {
  await t.app.records.sealer.runOnce();
  await t.app.records.anchorer.runOnce();
  const ledgerKey = JSON.parse((await api(t, 'GET', '/.well-known/v4h-ledger.json', {})).text).publicKey as string;
  const bundle = await api(t, 'GET', `/api/conferences/${sessionId}/manifest`, auth);
  expect(bundle.status).toBe(200);
  const file = path.join(t.dataDir, `bundle-${randomBytes(4).toString('hex')}.json`);
  fs.writeFileSync(file, bundle.text);
  let stderr = '';
  const io = { stdin: process.stdin, env: {}, stdout: { write: () => {} }, stderr: { write: (s: string) => (stderr += s) } };
  const status = await runCli(['verify', file, '--ledger-key', ledgerKey], io);
  fs.rmSync(file);
  expect(stderr).toBe('');
  expect(status).toBe(0);
  return JSON.parse(bundle.text) as { manifests: unknown[] };
}

describe('retention', () => {
  it('deletes old files and erases old personal data once, keeps recent ones, and the record still verifies', async () => {
    const t = await app();
    const owner = await t.userSession(`dr-${randomBytes(3).toString('hex')}`);
    // Conference A (day 0): a named guest, a recording; ended and sealed.
    const a = await createConference(t, owner);
    expect((await api(t, 'POST', `/api/conferences/${a.sessionId}/start`, owner.auth, {})).status).toBe(200);
    expect((await api(t, 'POST', `/api/conferences/${a.sessionId}/guest-url`, owner.auth, { name: 'Zuleica Retida' })).status).toBe(200);
    const oldFile = await upload(t, a.sessionId, randomBytes(4000), { auth: owner.auth });
    expect(oldFile.status).toBe(201);
    expect((await api(t, 'POST', `/api/conferences/${a.sessionId}/end`, owner.auth, {})).status).toBe(200);
    await t.app.records.sealer.runOnce();
    // Conference B (day 20): an attachment, still open.
    t.clock!.advance(20 * DAY);
    let auth = await relogin(t, owner);
    const b = await createConference(t, { ...owner, auth });
    const recentFile = await upload(t, b.sessionId, randomBytes(3000), { auth, kind: 'attachment', type: 'application/pdf' });
    expect(recentFile.status).toBe(201);
    expect(t.storedObjects().length).toBe(2);

    // Day 35: A's file is past 30 days, B's is not; A ended 35 days ago (< 60): its personal data stays.
    t.clock!.advance(15 * DAY);
    const first = await t.app.privacy.retention.runOnce();
    expect(first).toEqual({ filesDeleted: [oldFile.body.fileId], conferencesErased: [], auditRowsDeleted: 0 });
    expect(t.storedObjects().length).toBe(1);
    expect(await eventsOfType(t, a.sessionId, 'file_deleted')).toEqual([
      { actor: 'system', data: { fileId: oldFile.body.fileId, sha256: oldFile.body.sha256, reason: 'retention' } },
    ]);
    auth = await relogin(t, owner);
    expect((await api(t, 'GET', `/api/conferences/${a.sessionId}/files/${oldFile.body.fileId}`, auth)).status).toBe(404);
    expect((await api(t, 'GET', `/api/conferences/${b.sessionId}/files/${recentFile.body.fileId}`, auth)).status).toBe(200);
    const guest = await t.db.kysely.selectFrom('guests').selectAll().where('session_id', '=', a.sessionId).executeTakeFirstOrThrow();
    expect(guest.name).toBe('Zuleica Retida');
    // A second pass finds nothing more to do.
    expect(await t.app.privacy.retention.runOnce()).toEqual({ filesDeleted: [], conferencesErased: [], auditRowsDeleted: 0 });

    // Day 65: B's file is 45 days old; A ended 65 days ago: its guest's name and key go; B has not ended.
    t.clock!.advance(30 * DAY);
    const second = await t.app.privacy.retention.runOnce();
    expect(second).toEqual({ filesDeleted: [recentFile.body.fileId], conferencesErased: [a.sessionId], auditRowsDeleted: 0 });
    expect(t.storedObjects()).toEqual([]);
    const erasedGuest = await t.db.kysely.selectFrom('guests').selectAll().where('guest_id', '=', guest.guest_id).executeTakeFirstOrThrow();
    expect(erasedGuest.name).toBeNull();
    expect(await t.db.kysely.selectFrom('subject_keys').selectAll().where('subject', '=', `guest:${guest.guest_id}`).executeTakeFirst()).toBeUndefined();
    const erased = await eventsOfType(t, a.sessionId, 'erased');
    expect(erased).toEqual([
      {
        actor: 'system',
        data: { subjects: expect.arrayContaining([`guest:${guest.guest_id}`, `file:${oldFile.body.fileId}`]), filesDeleted: [], reason: 'retention' },
      },
    ]);
    expect(await t.app.privacy.retention.runOnce()).toEqual({ filesDeleted: [], conferencesErased: [], auditRowsDeleted: 0 });
    expect(await eventsOfType(t, a.sessionId, 'erased')).toHaveLength(1);

    // What each pass removed is on record; A's manifests (before and after) all verify.
    const runs = await t.db.kysely.selectFrom('retention_runs').selectAll().orderBy('started_at').execute();
    expect(runs.map((r) => JSON.parse(r.removed))).toEqual([first, second]);
    auth = await relogin(t, owner);
    expect((await verifyAllManifests(t, a.sessionId, auth)).manifests.length).toBe(2);
  });

  it('two instances running the job at once remove each thing once', async () => {
    const store = await sharedStore();
    const one = await app(store);
    const two = await app(store);
    const owner = await one.userSession();
    const sessions: string[] = [];
    const fileIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { sessionId } = await createConference(one, owner);
      sessions.push(sessionId);
      for (let j = 0; j < 2; j++) fileIds.push((await upload(one, sessionId, randomBytes(500), { auth: owner.auth })).body.fileId);
      expect((await api(one, 'POST', `/api/conferences/${sessionId}/end`, owner.auth, {})).status).toBe(200);
    }
    one.clock!.advance(61 * DAY);
    two.clock!.ms = one.clock!.ms;
    const reports = await Promise.all([one.app.privacy.retention.runOnce(), two.app.privacy.retention.runOnce(), one.app.privacy.retention.runOnce()]);
    // Passes held off by the lease answer undefined; a pass that ran after another found nothing left.
    const done = reports.filter((r) => r !== undefined);
    expect(done.flatMap((r) => r.filesDeleted).sort()).toEqual([...fileIds].sort());
    expect(done.flatMap((r) => r.conferencesErased).sort()).toEqual([...sessions].sort());
    expect(await two.app.privacy.retention.runOnce()).toEqual({ filesDeleted: [], conferencesErased: [], auditRowsDeleted: 0 });
    for (const sessionId of sessions) {
      expect(await eventsOfType(one, sessionId, 'file_deleted')).toHaveLength(2);
      expect(await eventsOfType(one, sessionId, 'erased')).toHaveLength(1);
    }
    expect(one.storedObjects()).toEqual([]);
  });

  it("a restart resumes a pass cut short by a crash, once the dead process's lease runs out", async () => {
    const store = await sharedStore();
    const before = await app(store);
    const owner = await before.userSession();
    const { sessionId } = await createConference(before, owner);
    const fileIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      fileIds.push((await upload(before, sessionId, randomBytes(500), { auth: owner.auth })).body.fileId);
      before.clock!.advance(1); // oldest first
    }
    before.clock!.advance(31 * DAY);
    // The first process removes two files, then "dies" holding the lease, with a third file's bytes already deleted
    // from storage but not yet recorded.
    expect((await before.app.privacy.retention.runOnce({ maxItems: 2 }))!.filesDeleted).toEqual(fileIds.slice(0, 2));
    const third = await before.db.kysely.selectFrom('files').select('storage_key').where('id', '=', fileIds[2]).executeTakeFirstOrThrow();
    fs.rmSync(path.join(before.dataDir, 'files', ...third.storage_key.split('/')));
    expect(await acquireLease(before.db.kysely, 'retention', 'the-dead-process', before.clock!.now(), RETENTION_LEASE_MS)).toBe(true);
    const crashedAt = before.clock!.now();
    await before.close();

    const after = await app(store);
    after.clock!.ms = crashedAt + 60_000;
    expect(await after.app.privacy.retention.runOnce()).toBeUndefined(); // the lease still looks alive
    after.clock!.ms = crashedAt + RETENTION_LEASE_MS + 1;
    expect((await after.app.privacy.retention.runOnce())!.filesDeleted).toEqual(fileIds.slice(2));
    expect((await eventsOfType(after, sessionId, 'file_deleted')).map((e) => e.data.fileId)).toEqual(fileIds);
    expect(after.storedObjects()).toEqual([]);
  });

  it('keeps everything when no retention is configured', async () => {
    const t = await createFilesTestApp('file', { manualClock: true });
    cleanups.push(() => t.close());
    const owner = await t.userSession();
    const { sessionId } = await createConference(t, owner);
    expect((await upload(t, sessionId, randomBytes(500), { auth: owner.auth })).status).toBe(201);
    expect((await api(t, 'POST', `/api/conferences/${sessionId}/end`, owner.auth, {})).status).toBe(200);
    t.clock!.advance(3650 * DAY);
    expect(t.app.privacy.retention.enabled).toBe(false);
    expect(await t.app.privacy.retention.runOnce()).toEqual({ filesDeleted: [], conferencesErased: [], auditRowsDeleted: 0 });
    expect(t.storedObjects().length).toBe(1);
  });
});
