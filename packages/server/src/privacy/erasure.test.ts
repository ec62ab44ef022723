// Erasure end to end, on both databases and both storage engines: a named guest, a recording named after her, sealed
// and anchored manifests; erase; every manifest still verifies and her name is nowhere (DB, data dir, logs, API).
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createFilesTestApp, createConference, upload, type Engine, type FilesTestApp } from '../test-support/storage.js';
import { listEvents } from '../db/event-log.js';
import { findSubjectKey } from '../db/commitments.js';
import { runCli } from '../cli/commands.js';

const GUEST = 'Zuleica Quixabeira';
const ENV = {
  V4H_SEAL_DELAY: '0',
  V4H_ADMIN_USERNAME: 'privacy-admin',
  V4H_ADMIN_PASSWORD: 'admin-password-0123456789',
  V4H_JITSI_URL: 'https://meet.example.org',
  V4H_JITSI_APP_ID: 'clinic',
  V4H_JITSI_APP_SECRET: 's'.repeat(40),
};

let t: FilesTestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function api(method: string, url: string, auth: Record<string, string>, body?: unknown) {
  const res = await fetch(`${t!.baseUrl}${url}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdin: process.stdin,
    env: { V4H_DATA_DIR: t!.dataDir, V4H_DATABASE_URL: t!.config.databaseUrl },
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  };
  const status = await runCli(argv, io);
  return { status, stdout, stderr };
}

/** Every file under `dir` whose bytes hold `needle` (UTF-8), by relative path. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(Buffer.from(needle))) hits.push(path.relative(dir, file));
  }
  return hits;
}

/** Every row of every table, as text (for PostgreSQL, whose files are not ours to read). */
async function databaseText(app: FilesTestApp): Promise<string> {
  const tables = ['users', 'conferences', 'participants', 'conference_events', 'files', 'guests', 'subject_keys', 'manifests', 'rate_limits'] as const;
  let text = '';
  for (const table of tables) text += JSON.stringify(await app.db.kysely.selectFrom(table).selectAll().execute());
  return text;
}

async function sealAndAnchor(app: FilesTestApp) {
  await app.app.records.sealer.runOnce();
  await app.app.records.anchorer.runOnce();
}

describe.each(['file', 's3'] as Engine[])('erasure (%s storage)', (engine) => {
  it('erases a guest and the recording named after her; every manifest still verifies; her name is nowhere', async () => {
    const log: string[] = [];
    t = await createFilesTestApp(engine, { env: ENV, logStream: new Writable({ write: (chunk, _e, cb) => (log.push(String(chunk)), cb()) }) });
    const owner = await t.userSession(`dr-${randomBytes(3).toString('hex')}`);
    const admin = await t.userSession('privacy-admin');
    const { sessionId } = await createConference(t, owner);
    expect((await api('POST', `/api/conferences/${sessionId}/start`, owner.auth, { displayName: 'Dr. Owner' })).status).toBe(200);
    const link = await api('POST', `/api/conferences/${sessionId}/guest-url`, owner.auth, { name: GUEST });
    expect(link.status).toBe(200);
    const video = randomBytes(50_000);
    const stored = await upload(t, sessionId, video, { auth: owner.auth, name: `${GUEST} consulta.webm` });
    expect(stored.status).toBe(201);
    const objectsBefore = t.storedObjects();
    expect(objectsBefore.length).toBe(1);
    expect((await api('POST', `/api/conferences/${sessionId}/end`, owner.auth, {})).status).toBe(200);
    await sealAndAnchor(t);

    // Before: the guest's key opens the commitment in the sealed record (`v4h verify … --key`).
    const events = await listEvents(t.db.kysely, sessionId);
    const guestId = (JSON.parse(events.find((e) => e.type === 'guest_link_issued')!.data) as { guestId: string }).guestId;
    const guestKey = (await findSubjectKey(t.db.kysely, `guest:${guestId}`))!;
    const ledgerKey = JSON.parse((await api('GET', '/.well-known/v4h-ledger.json', {})).text).publicKey as string;
    const bundleFile = path.join(t.dataDir, '..', `bundle-${randomBytes(4).toString('hex')}.json`);
    fs.writeFileSync(bundleFile, (await api('GET', `/api/conferences/${sessionId}/manifest`, owner.auth)).text);
    const opened = await cli('verify', bundleFile, '--ledger-key', ledgerKey, '--key', guestKey, '--attribute', 'name', '--value', GUEST);
    expect(opened.stderr).toBe('');
    expect(opened.stdout).toMatch(/event seq \d+ \(guest_link_issued\) commits to this name/);

    expect(await databaseText(t)).toContain(GUEST); // the search below can find it

    // Only the admin may erase.
    expect((await api('POST', '/api/admin/erasures', owner.auth, { sessionId, files: true })).status).toBe(403);
    expect((await api('POST', '/api/admin/erasures', admin.auth, { sessionId, guestId })).status).toBe(400);
    const erased = await api('POST', '/api/admin/erasures', admin.auth, { sessionId, files: true, reason: 'data_subject_request' });
    expect(erased.status).toBe(200);
    const report = JSON.parse(erased.text);
    expect(report).toMatchObject({ conferences: [sessionId], keysDestroyed: 2, filesDeleted: [stored.body.fileId], prePseudonymous: [] });
    expect(report.subjects.sort()).toEqual([`file:${stored.body.fileId}`, `guest:${guestId}`].sort());
    await sealAndAnchor(t);

    // The record: the erasure and the deletion are in it by id, and every manifest verifies.
    const after = await listEvents(t.db.kysely, sessionId);
    expect(after.map((e) => e.type).slice(-2)).toEqual(['file_deleted', 'erased']);
    expect(JSON.parse(after.at(-2)!.data)).toEqual({ fileId: stored.body.fileId, sha256: stored.body.sha256, reason: 'data_subject_request' });
    const manifest = await api('GET', `/api/conferences/${sessionId}/manifest`, owner.auth);
    const bundle = JSON.parse(manifest.text);
    expect(bundle.manifests.length).toBe(2);
    fs.writeFileSync(bundleFile, manifest.text);
    const verified = await cli('verify', bundleFile, '--ledger-key', ledgerKey);
    expect(verified.stderr).toBe('');
    expect(verified.status).toBe(0);
    fs.rmSync(bundleFile);

    // The bytes are gone; the key is gone; the file cannot be downloaded.
    expect(t.storedObjects()).toEqual([]);
    expect(await findSubjectKey(t.db.kysely, `guest:${guestId}`)).toBeUndefined();
    expect((await api('GET', `/api/conferences/${sessionId}/files/${stored.body.fileId}`, owner.auth)).status).toBe(404);

    // Her name: nowhere in the data directory (SQLite files included), the database, the log or the API's answers.
    for (const needle of [GUEST, 'Zuleica']) {
      expect(filesContaining(t.dataDir, needle)).toEqual([]);
      expect(await databaseText(t)).not.toContain(needle);
      expect(log.join('')).not.toContain(needle);
      for (const url of [
        `/api/conferences/${sessionId}`,
        `/api/conferences/${sessionId}/files`,
        `/api/conferences/${sessionId}/manifest`,
        '/api/conferences',
      ]) {
        expect((await api('GET', url, owner.auth)).text).not.toContain(needle);
      }
    }
  });
});

describe('file deletion and the CLI', () => {
  it('DELETE removes the bytes (owner, admin), records file_deleted, and refuses anyone else', async () => {
    t = await createFilesTestApp('file', { env: ENV });
    const owner = await t.userSession();
    const other = await t.userSession();
    const { sessionId } = await createConference(t, owner);
    const a = await upload(t, sessionId, randomBytes(1000), { auth: owner.auth, kind: 'attachment', type: 'application/pdf', name: 'exam.pdf' });
    expect(a.status).toBe(201);
    const url = `/api/conferences/${sessionId}/files/${a.body.fileId}`;
    expect((await api('DELETE', url, other.auth)).status).toBe(403);
    expect((await api('DELETE', `${url}?reason=Bad%20Reason`, owner.auth)).status).toBe(400);
    expect(t.storedObjects().length).toBe(1);
    expect((await api('DELETE', url, owner.auth)).status).toBe(204);
    expect(t.storedObjects()).toEqual([]);
    expect((await api('GET', url, owner.auth)).status).toBe(404);
    expect((await api('DELETE', url, owner.auth)).status).toBe(204); // again: nothing more happens
    const deleted = (await listEvents(t.db.kysely, sessionId)).filter((e) => e.type === 'file_deleted');
    expect(deleted.map((e) => JSON.parse(e.data))).toEqual([{ fileId: a.body.fileId, sha256: a.body.sha256, reason: 'owner_request' }]);
  });

  it('v4h erase --guest and --user delete the keys and names and append erased events', async () => {
    t = await createFilesTestApp('file', { env: ENV });
    const owner = await t.userSession(`dr-erasable-${randomBytes(3).toString('hex')}`);
    const { sessionId } = await createConference(t, owner);
    await api('POST', `/api/conferences/${sessionId}/start`, owner.auth, {});
    await api('POST', `/api/conferences/${sessionId}/guest-url`, owner.auth, { name: GUEST });
    const guest = await t.db.kysely.selectFrom('guests').selectAll().where('session_id', '=', sessionId).executeTakeFirstOrThrow();
    expect((await cli('erase', '--guest', 'guest-nobody')).status).toBe(1);
    const byGuest = await cli('erase', '--guest', guest.guest_id);
    expect(byGuest.stdout).toContain('1 key(s) destroyed');
    expect(await t.db.kysely.selectFrom('guests').select(['name', 'avatar_url']).where('guest_id', '=', guest.guest_id).executeTakeFirstOrThrow()).toEqual({
      name: null,
      avatar_url: null,
    });
    const byUser = await cli('erase', '--user', owner.username, '--reason', 'retention');
    expect(byUser.stdout).toContain(`erased event appended to conference ${sessionId}`);
    expect(await databaseText(t)).not.toContain(owner.username);
    const erasedEvents = (await listEvents(t.db.kysely, sessionId)).filter((e) => e.type === 'erased').map((e) => JSON.parse(e.data));
    expect(erasedEvents).toEqual([
      { subjects: [`guest:${guest.guest_id}`], filesDeleted: [], reason: 'data_subject_request' },
      { subjects: [expect.stringMatching(/^user:/)], filesDeleted: [], reason: 'retention' },
    ]);
    // The erased user can no longer sign in.
    expect((await api('POST', '/api/auth/login', {}, { username: owner.username, password: owner.password })).status).toBe(401);
  });
});
