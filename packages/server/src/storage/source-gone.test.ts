// The file service with a source that is already gone when the upload starts (a client that left, or a JaaS download
// aborted, during the access checks): it fails at once and keeps nothing, instead of waiting for the stall timeout.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createConference, createFilesTestApp, type FilesTestApp } from '../test-support/storage.js';
import { openStorage } from './backend.js';
import { EncryptedStorage, MasterKeyring } from './encryption.js';
import { FileService } from './service.js';

let t: FilesTestApp;
let storage: EncryptedStorage;
beforeAll(async () => {
  t = await createFilesTestApp('file');
  storage = new EncryptedStorage(await openStorage(`file:${path.join(t.dataDir, 'files')}`), new MasterKeyring(randomBytes(32)));
});
afterAll(async () => {
  await storage?.close();
  await t?.close();
});

it('refuses a source destroyed before the upload began, storing nothing (it waited 60 s for bytes before)', async () => {
  const { sessionId } = await createConference(t, await t.userSession());
  // The default stall timeout (60 s) is past the test's 30 s: a wait for it fails the test.
  const files = new FileService({
    db: t.db,
    clock: { now: () => Date.now() },
    storage,
    maxUploadBytes: 1024,
    tokenSecret: 'x'.repeat(32),
    publicUrl: t.baseUrl,
  });
  for (const gone of [new PassThrough().destroy(new Error('aborted')), new PassThrough().destroy()]) {
    gone.on('error', () => {});
    const upload = files.upload({
      principal: { kind: 'recorder' },
      target: { sessionId },
      kind: 'recording',
      contentType: 'video/mp4',
      digests: [],
      body: gone,
    });
    await expect(upload).rejects.toMatchObject({ code: 'bad_request', message: 'the upload was interrupted' });
  }
  expect(t.storedObjects()).toEqual([]);
  expect(await t.db.kysely.selectFrom('files').selectAll().execute()).toEqual([]);
});
