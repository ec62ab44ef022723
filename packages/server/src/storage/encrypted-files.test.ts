// Recordings encrypted at rest, over real HTTP on both storage engines: what the store holds is ciphertext, what the
// record and the downloads give is the plaintext; tampering, plaintext files from before encryption, deletion destroying
// the data key, and the master key checked at start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, createFilesTestApp, fileEvents, upload, type Engine, type FilesTestApp, type Session } from '../test-support/storage.js';
import { createTestApp, createTestDatabase } from '../test-support/test-app.js';
import { openStorage, type StorageBackend } from './backend.js';
import { CHUNK_SIZE, HEADER, MasterKeyring, sealedSize, SCHEME } from './encryption.js';
import { MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE } from '../secrets.js';
import { openDatabase } from '../db/database.js';
import { runCli } from '../cli/commands.js';

const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());
const MARKER = Buffer.from('CONSULTA-PACIENTE-');

describe.each(['file', 's3'] as Engine[])('files encrypted at rest (%s engine)', (engine) => {
  let t: FilesTestApp;
  let owner: Session;
  let sessionId: string;
  /** The engine itself, under the app's encryption layer: what is really stored. */
  let raw: StorageBackend;
  beforeAll(async () => {
    t = await createFilesTestApp(engine, { env: { V4H_MAX_UPLOAD_BYTES: String(16 * 1024 * 1024) } });
    owner = await t.userSession();
    ({ sessionId } = await createConference(t, owner));
    raw = await openStorage(t.config.storageUrl, { credentials: t.config.storageCredentials });
  });
  afterAll(async () => {
    await raw?.close();
    await t?.close();
  });

  const row = (fileId: string) => t.db.kysely.selectFrom('files').selectAll().where('id', '=', fileId).executeTakeFirstOrThrow();
  const download = (fileId: string, headers: Record<string, string> = {}) =>
    fetch(`${t.baseUrl}/api/conferences/${sessionId}/files/${fileId}`, { headers: { ...owner.auth, ...headers } });

  it('stores only ciphertext; the record, the event and the downloads have the plaintext and its SHA-256', async () => {
    const video = Buffer.concat([Buffer.from(MARKER.toString().repeat(10_000)), randomBytes(3 * CHUNK_SIZE)]);
    const stored = await upload(t, sessionId, video, { auth: owner.auth, type: 'video/webm' });
    expect(stored.status).toBe(201);
    const sha = createHash('sha256').update(video).digest('hex');
    expect(stored.body).toMatchObject({ size: video.length, sha256: sha });
    expect((await fileEvents(t, sessionId)).at(-1)!.data).toMatchObject({ fileId: stored.body.fileId, size: video.length, sha256: sha });

    const file = await row(stored.body.fileId);
    expect(file).toMatchObject({ encryption: SCHEME, key_id: new MasterKeyring(Buffer.from(t.config.masterKey!, 'base64url')).currentId });
    expect(file.data_key).toMatch(/^[A-Za-z0-9_-]{80}$/);
    const ciphertext = await buffer(await raw.get(file.storage_key));
    expect(ciphertext.length).toBe(sealedSize(video.length));
    expect(ciphertext.subarray(0, HEADER.length).equals(HEADER)).toBe(true);
    expect(ciphertext.includes(MARKER)).toBe(false);
    if (engine === 'file') {
      // Nothing in the storage directory holds the plaintext (temporaries included).
      const dir = path.join(t.dataDir, 'files');
      for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) expect(fs.readFileSync(path.join(entry.parentPath, entry.name)).includes(MARKER)).toBe(false);
      }
    }

    const whole = await download(stored.body.fileId);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-length')).toBe(String(video.length));
    expect((await bytesOf(whole)).equals(video)).toBe(true);
    // Ranges across chunk boundaries, by the authenticated route and by the signed link (urlStorage), S3 included:
    // the store's own presigned links would hand out ciphertext.
    expect(stored.body.url).toMatch(/\/api\/files\/.+\/content\?expires=\d+&signature=/);
    for (const [start, end] of [
      [CHUNK_SIZE - 3, CHUNK_SIZE + 2],
      [CHUNK_SIZE / 2, 3 * CHUNK_SIZE + 7],
      [video.length - 10, video.length - 1],
    ]) {
      for (const res of [
        await download(stored.body.fileId, { range: `bytes=${start}-${end}` }),
        await fetch(stored.body.url, { headers: { range: `bytes=${start}-${end}` } }),
      ]) {
        expect(res.status).toBe(206);
        expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${video.length}`);
        expect((await bytesOf(res)).equals(video.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
      }
    }
  });

  it('refuses tampered ciphertext: the download is cut, never completed with altered bytes', async () => {
    const video = randomBytes(2 * CHUNK_SIZE + 99);
    const stored = await upload(t, sessionId, video, { auth: owner.auth });
    const file = await row(stored.body.fileId);
    const ciphertext = await buffer(await raw.get(file.storage_key));
    const altered = Buffer.from(ciphertext);
    altered[HEADER.length + CHUNK_SIZE + 16 + 5] ^= 0x80; // a bit of chunk 1
    await raw.put(file.storage_key, Readable.from([altered]), { contentType: 'video/webm' });

    // The failing chunk is the first one read: refused before any header, with an error status.
    const inChunk1 = await download(stored.body.fileId, { range: `bytes=${CHUNK_SIZE + 1}-${CHUNK_SIZE + 50}` });
    expect(inChunk1.status).toBe(500);
    expect(inChunk1.headers.get('content-range')).toBeNull();
    expect(await inChunk1.json()).toEqual({ error: 'internal_error', message: 'the stored file cannot be decrypted' });
    // The whole file: if chunk 0 went out before chunk 1 failed, the response is cut, so the client never takes it as
    // complete; if chunk 1 failed first (the stream reads ahead while the access audit commits, slower on
    // PostgreSQL), it is refused before any header. Either way no altered byte is ever delivered as a complete file.
    const whole = await download(stored.body.fileId);
    if (whole.status === 200) await expect(bytesOf(whole)).rejects.toThrow(/terminated/);
    else expect([whole.status, (await whole.json()).error]).toEqual([500, 'internal_error']);
    // Chunk 0 is untouched and still reads; the server keeps answering.
    const inChunk0 = await download(stored.body.fileId, { range: 'bytes=0-99' });
    expect((await bytesOf(inChunk0)).equals(video.subarray(0, 100))).toBe(true);
  });

  it('still serves plaintext files stored before encryption (no scheme in their row), ranges and links included', async () => {
    const old = Buffer.from('a recording stored before encryption at rest');
    const fileId = `legacy${randomBytes(6).toString('hex')}`;
    const storageKey = `${fileId.slice(0, 2)}/${fileId}`;
    await raw.put(storageKey, Readable.from([old]), { contentType: 'video/webm' });
    await t.db.kysely
      .insertInto('files')
      .values({
        id: fileId,
        session_id: sessionId,
        kind: 'recording',
        name: 'old.webm',
        size: old.length,
        content_type: 'video/webm',
        sha256: createHash('sha256').update(old).digest('hex'),
        uploader: `user:${owner.username}`,
        uploader_id: null,
        shared: 0,
        storage_key: storageKey,
        created_at: Date.now(),
      })
      .execute();
    expect((await row(fileId)).encryption).toBeNull();
    expect((await bytesOf(await download(fileId))).equals(old)).toBe(true);
    const part = await download(fileId, { range: 'bytes=2-10' });
    expect(part.status).toBe(206);
    expect((await bytesOf(part)).toString()).toBe(old.subarray(2, 11).toString());
    const listed = (await (await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files`, { headers: owner.auth })).json()) as {
      items: Array<{ fileId: string; url: string }>;
    };
    const link = listed.items.find((f) => f.fileId === fileId)!.url;
    // A plaintext object may still use the store's own presigned link.
    expect(link).toMatch(engine === 's3' ? /X-Amz-Signature=/ : /\/api\/files\/.+\/content\?/);
    expect((await bytesOf(await fetch(link))).equals(old)).toBe(true);
  });

  it('deleting a file destroys its data key: a copy of its bytes kept elsewhere (a backup) can no longer be read', async () => {
    const video = randomBytes(50_000);
    const stored = await upload(t, sessionId, video, { auth: owner.auth });
    const file = await row(stored.body.fileId);
    const backup = await buffer(await raw.get(file.storage_key));
    const res = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files/${stored.body.fileId}`, { method: 'DELETE', headers: owner.auth });
    expect(res.status).toBe(204);
    expect(await row(stored.body.fileId)).toMatchObject({ data_key: null, encryption: SCHEME });
    expect(await raw.head(file.storage_key)).toBeNull();
    // The backup restored into the store: still unreadable, as no wrapped key for it exists any more.
    await raw.put(file.storage_key, Readable.from([backup]), { contentType: 'video/webm' });
    expect((await download(stored.body.fileId)).status).toBe(404);
    const keys = JSON.stringify(await t.db.kysely.selectFrom('files').select('data_key').execute());
    expect(keys).not.toContain(file.data_key!);
    if (t.db.dialect === 'sqlite') {
      // Not left in the database file's free space or its write-ahead log either.
      const dbFile = t.config.databaseUrl.slice('sqlite:'.length);
      for (const f of [dbFile, `${dbFile}-wal`]) if (fs.existsSync(f)) expect(fs.readFileSync(f).includes(Buffer.from(file.data_key!)), f).toBe(false);
    }
  });
});

describe('the master key', () => {
  it('is generated once in the data dir (0600), refused at start when wrong, and taken from V4H_MASTER_KEY', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-master-key-'));
    const database = await createTestDatabase(dataDir);
    const keyFile = path.join(dataDir, MASTER_KEY_FILE);
    try {
      const first = await createTestApp({ dataDir, database });
      const owner = await first.userSession();
      const { sessionId } = await createConference(first, owner);
      const video = randomBytes(70_000);
      const stored = (await upload(first, sessionId, video, { auth: owner.auth })).body;
      await first.close();
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

      const key = fs.readFileSync(keyFile, 'utf8');
      const keyId = MasterKeyring.idOf(Buffer.from(key, 'base64url'));
      // Another key: the server does not start, and says which key the files need.
      const wrong = randomBytes(32).toString('hex');
      await expect(createTestApp({ dataDir, database, env: { V4H_MASTER_KEY: wrong } })).rejects.toThrow(
        new RegExp(
          `wrong master key: the stored files' data keys are wrapped by master key ${keyId}, and this server has ${MasterKeyring.idOf(Buffer.from(wrong, 'hex'))}\\. Set V4H_MASTER_KEY`,
        ),
      );
      // The key file replaced (lost): the same.
      fs.writeFileSync(keyFile, randomBytes(32).toString('base64url'));
      await expect(createTestApp({ dataDir, database })).rejects.toThrow(/wrong master key/);
      // A malformed key is a configuration error naming the variable.
      await expect(createTestApp({ dataDir, database, env: { V4H_MASTER_KEY: 'too-short' } })).rejects.toThrow(/^V4H_MASTER_KEY: a master key is 32 bytes/);

      // The right key given in V4H_MASTER_KEY (hex this time): it starts and reads the file.
      const again = await createTestApp({ dataDir, database, env: { V4H_MASTER_KEY: Buffer.from(key, 'base64url').toString('hex') } });
      try {
        const login = await again.login(owner.username, owner.password);
        const res = await fetch(`${again.baseUrl}/api/conferences/${sessionId}/files/${stored.fileId}`, {
          headers: { authorization: `Bearer ${login.accessToken}` },
        });
        expect((await bytesOf(res)).equals(video)).toBe(true);
      } finally {
        await again.close();
      }
    } finally {
      await database.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('master key rotation (v4h rotate-master-key)', () => {
  async function cli(env: Record<string, string>, ...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const io = { stdin: process.stdin, env, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
    const status = await runCli(argv, io);
    return { status, stdout, stderr };
  }

  it('re-wraps every data key: with V4H_MASTER_KEY and V4H_MASTER_KEY_PREVIOUS, and with the key file (interrupted, then completed)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-rotation-'));
    const database = await createTestDatabase(dataDir);
    const base = { V4H_DATA_DIR: dataDir, V4H_DATABASE_URL: database.url };
    const [k1, k2] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
    const id = (hex: string) => MasterKeyring.idOf(Buffer.from(hex, 'hex'));
    try {
      const videos: Array<{ fileId: string; bytes: Buffer }> = [];
      let owner: Session | undefined;
      let sessionId = '';
      /** Starts a server with `env`, uploads one more file, checks every file reads back, stops. */
      const round = async (env: Record<string, string>) => {
        const t = await createTestApp({ dataDir, database, env });
        try {
          if (!owner) {
            owner = await t.userSession();
            ({ sessionId } = await createConference(t, owner));
          }
          const auth = { authorization: `Bearer ${(await t.login(owner.username, owner.password)).accessToken}` };
          const bytes = randomBytes(CHUNK_SIZE + 500);
          videos.push({ fileId: (await upload(t, sessionId, bytes, { auth })).body.fileId, bytes });
          for (const v of videos) {
            const res = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files/${v.fileId}`, { headers: auth });
            expect((await bytesOf(res)).equals(v.bytes)).toBe(true);
          }
        } finally {
          await t.close();
        }
      };
      const keyIds = async () => {
        const db = await openDatabase(database.url);
        try {
          return [...new Set((await db.kysely.selectFrom('files').select('key_id').execute()).map((r) => r.key_id))].sort();
        } finally {
          await db.close();
        }
      };

      await round({ V4H_MASTER_KEY: k1 });
      // Step 1: the new key, the old one still accepted: new files use k2, older ones open with k1.
      await round({ V4H_MASTER_KEY: k2, V4H_MASTER_KEY_PREVIOUS: k1 });
      expect(await keyIds()).toEqual([id(k1), id(k2)].sort());
      await expect(createTestApp({ dataDir, database, env: { V4H_MASTER_KEY: k2 } })).rejects.toThrow(new RegExp(`wrong master key: .* master key ${id(k1)}`));
      // Step 2: re-wrap.
      const rotated = await cli({ ...base, V4H_MASTER_KEY: k2, V4H_MASTER_KEY_PREVIOUS: k1 }, 'rotate-master-key');
      expect(rotated).toMatchObject({ status: 0, stdout: expect.stringContaining(`re-wrapped 1 data key(s) under master key ${id(k2)}`) });
      expect(await keyIds()).toEqual([id(k2)]);
      // Step 3: without the old key; the old key alone no longer opens anything.
      await round({ V4H_MASTER_KEY: k2 });
      await expect(createTestApp({ dataDir, database, env: { V4H_MASTER_KEY: k1 } })).rejects.toThrow(/wrong master key/);
      // A data key under a key the command is not given: it says so and fails.
      expect(await cli({ ...base, V4H_MASTER_KEY: k1 }, 'rotate-master-key')).toMatchObject({
        status: 1,
        stderr: expect.stringContaining(`wrapped by master key ${id(k2)}, which this server does not have`),
      });

      // The key file: it holds k2 (as if V4H_MASTER_KEY had never been set).
      const keyFile = path.join(dataDir, MASTER_KEY_FILE);
      fs.writeFileSync(keyFile, Buffer.from(k2, 'hex').toString('base64url'), { mode: 0o600 });
      await round({});
      // A rotation interrupted after the new key was written and one data key re-wrapped, before the rename.
      const k3 = randomBytes(32);
      fs.writeFileSync(path.join(dataDir, NEXT_MASTER_KEY_FILE), k3.toString('base64url'), { mode: 0o600 });
      const db = await openDatabase(database.url);
      const one = await db.kysely.selectFrom('files').selectAll().orderBy('id').limit(1).executeTakeFirstOrThrow();
      const sealed = new MasterKeyring(k3, [Buffer.from(k2, 'hex')]).rewrap({ scheme: SCHEME, keyId: one.key_id!, dataKey: one.data_key! }, one.storage_key);
      await db.kysely.updateTable('files').set({ key_id: sealed.keyId, data_key: sealed.dataKey }).where('id', '=', one.id).execute();
      await db.close();
      await round({}); // still starts: it reads master-key.new too
      const completed = await cli(base, 'rotate-master-key');
      expect(completed.status).toBe(0);
      expect(completed.stdout).toContain(`under master key ${MasterKeyring.idOf(k3)}`);
      expect(fs.readFileSync(keyFile, 'utf8')).toBe(k3.toString('base64url'));
      expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(fs.existsSync(path.join(dataDir, NEXT_MASTER_KEY_FILE))).toBe(false);
      expect(await keyIds()).toEqual([MasterKeyring.idOf(k3)]);
      await round({});
      expect(videos).toHaveLength(6);
    } finally {
      await database.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
