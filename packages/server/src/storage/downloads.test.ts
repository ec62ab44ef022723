// Downloads over real HTTP on both engines: Range (206/416), urlStorage links, expired and forged signatures.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { addParticipant, createConference, createFilesTestApp, sha256, upload, type FilesTestApp, type Session } from '../test-support/storage.js';
import { openStorage } from './backend.js';

const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());

describe.each(['file', 's3'] as const)('downloads (%s engine)', (engine) => {
  let t: FilesTestApp;
  let owner: Session;
  let participant: Session;
  let sessionId: string;
  let video: Buffer;
  let stored: Record<string, any>;
  beforeAll(async () => {
    t = await createFilesTestApp(engine, { env: { V4H_MAX_UPLOAD_BYTES: String(32 * 1024 * 1024) } });
    [owner, participant] = await Promise.all([t.userSession(), t.userSession()]);
    ({ sessionId } = await createConference(t, owner));
    await addParticipant(t, sessionId, participant);
    video = randomBytes(150_000);
    stored = (await upload(t, sessionId, video, { auth: owner.auth, type: 'video/mp4', name: 'visit 1 – été.mp4' })).body;
    // Participants see the owner's files only once shared.
    const shared = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files/${stored.fileId}/share`, { method: 'POST', headers: owner.auth });
    expect(shared.status).toBe(200);
  });
  afterAll(async () => t?.close());

  const authed = (range?: string, extra: Record<string, string> = {}) =>
    fetch(`${t.baseUrl}/api/conferences/${sessionId}/files/${stored.fileId}`, { headers: { ...participant.auth, ...(range ? { range } : {}), ...extra } });

  it('serves byte ranges a video element can seek with', async () => {
    const whole = await authed();
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.headers.get('content-length')).toBe(String(video.length));
    expect(whole.headers.get('etag')).toBe(`"${stored.sha256}"`);
    expect(whole.headers.get('content-disposition')).toContain("filename*=UTF-8''visit%201%20%E2%80%93%20%C3%A9t%C3%A9.mp4");
    expect((await bytesOf(whole)).equals(video)).toBe(true);

    const cases: Array<[string, number, number]> = [
      ['bytes=0-0', 0, 0],
      ['bytes=100-1099', 100, 1099],
      ['bytes=149000-', 149000, 149999],
      ['bytes=-500', 149500, 149999],
      ['bytes=149990-999999', 149990, 149999],
    ];
    for (const [range, start, end] of cases) {
      const res = await authed(range);
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${video.length}`);
      expect(res.headers.get('content-length')).toBe(String(end - start + 1));
      expect((await bytesOf(res)).equals(video.subarray(start, end + 1)), range).toBe(true);
    }
    const beyond = await authed('bytes=150000-');
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${video.length}`);
    expect((await beyond.json()).error).toBe('range_not_satisfiable');
    // Ignorable ranges (several, other units, another version in If-Range) get the whole file.
    for (const [range, extra] of [
      ['bytes=0-1,5-6', {}],
      ['items=0-1', {}],
      ['bytes=0-1', { 'if-range': '"0000"' }],
    ] as const) {
      const res = await authed(range, extra);
      expect(res.status).toBe(200);
      expect((await bytesOf(res)).length).toBe(video.length);
    }
    expect((await authed('bytes=5-9', { 'if-range': `"${stored.sha256}"` })).status).toBe(206);
  });

  it('round-trips a 20 MiB recording (multipart on S3), also across a part boundary', async () => {
    const big = randomBytes(20 * 1024 * 1024 + 3);
    const res = await upload(t, sessionId, big, { auth: owner.auth, type: 'video/webm', name: 'long.webm' });
    expect(res.status).toBe(201);
    expect(res.body.size).toBe(big.length);
    const boundary = 8 * 1024 * 1024;
    const part = await fetch(res.body.url, { headers: { range: `bytes=${boundary - 10}-${boundary + 9}` } });
    expect(part.status).toBe(206);
    expect((await bytesOf(part)).equals(big.subarray(boundary - 10, boundary + 10))).toBe(true);
    const whole = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files/${res.body.fileId}`, { headers: owner.auth });
    expect((await bytesOf(whole)).equals(big)).toBe(true);
  }, 120_000); // tens of MiB hashed, encrypted and sent to S3: 30-50 s on a busy machine

  it('refuses a multipart-sized upload past the limit or with a wrong digest with 413/400, keeping nothing', async () => {
    const before = t.storedObjects();
    let sent = 0;
    const chunk = randomBytes(1024 * 1024);
    const tooBig = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files?kind=recording`, {
      method: 'POST',
      headers: { ...owner.auth, 'content-type': 'video/webm' },
      body: new ReadableStream({ pull: (c) => (sent++ < 40 ? c.enqueue(chunk) : c.close()) }),
      duplex: 'half',
    } as RequestInit).catch((error: Error) => ({ status: `closed: ${error.message}` }));
    expect(tooBig.status).toBe(413);
    const big = randomBytes(20 * 1024 * 1024);
    const mismatch = await upload(t, sessionId, big, { auth: owner.auth, headers: { 'repr-digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:` } });
    expect(mismatch).toMatchObject({ status: 400, body: { error: 'digest_mismatch' } });
    expect(t.storedObjects()).toEqual(before);
  }, 120_000); // tens of MiB hashed, encrypted and sent to S3: 30-50 s on a busy machine

  it('puts a working, seekable link to the first recording in urlStorage', async () => {
    await upload(t, sessionId, randomBytes(10), { auth: owner.auth, type: 'video/webm', name: 'later.webm' });
    const details = (await (await fetch(`${t.baseUrl}/api/conferences/${sessionId}`, { headers: owner.auth })).json()) as { urlStorage: string };
    // A V4H-signed link on both engines: the store's own presigned link would give the encrypted bytes.
    expect(details.urlStorage).toMatch(/\/api\/files\/.+\/content\?expires=\d+&signature=/);
    const part = await fetch(details.urlStorage, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect((await bytesOf(part)).equals(video.subarray(10, 20))).toBe(true);
    const whole = await fetch(details.urlStorage);
    expect((await bytesOf(whole)).equals(video)).toBe(true);
    const empty = await createConference(t, owner);
    const none = (await (await fetch(`${t.baseUrl}/api/conferences/${empty.sessionId}`, { headers: owner.auth })).json()) as { urlStorage: unknown };
    expect(none.urlStorage).toBeNull();
  });

  it('answers HEAD with the headers only, and documents the routes in /openapi.json', async () => {
    const head = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files/${stored.fileId}`, { method: 'HEAD', headers: owner.auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(video.length));
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const openapi = (await (await fetch(`${t.baseUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const route of [
      '/api/conferences/{sessionId}/files',
      '/api/conferences/{sessionId}/files/{fileId}',
      '/api/rooms/{roomName}/files',
      '/api/files/{fileId}/content',
    ]) {
      expect(Object.keys(openapi.paths)).toContain(route);
    }
  });

  it('lists files with links for owner and participants', async () => {
    const res = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files`, { headers: owner.auth });
    const { items } = (await res.json()) as { items: Array<{ fileId: string; url: string; name: string }> };
    expect(items[0]).toMatchObject({ fileId: stored.fileId, name: 'visit 1 – été.mp4' });
    expect((await bytesOf(await fetch(items[0].url))).equals(video)).toBe(true);
  });
});

describe('signed disk links', () => {
  let t: FilesTestApp;
  let owner: Session;
  let link: URL;
  beforeAll(async () => {
    t = await createFilesTestApp('file', { manualClock: true });
    owner = await t.userSession();
    const { sessionId } = await createConference(t, owner);
    const stored = (await upload(t, sessionId, Buffer.from('0123456789'), { auth: owner.auth })).body;
    link = new URL(stored.url);
  });
  afterAll(async () => t?.close());

  const variant = (change: (u: URL) => void) => {
    const u = new URL(link);
    change(u);
    return fetch(u);
  };

  it('refuses forged, altered and expired links with 403', async () => {
    expect((await fetch(link)).status).toBe(200);
    const signature = link.searchParams.get('signature')!;
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    const forged = await variant((u) => u.searchParams.set('signature', flipped));
    expect(forged.status).toBe(403);
    expect((await forged.json()).error).toBe('forbidden');
    expect((await variant((u) => u.searchParams.set('signature', signature.slice(0, 20)))).status).toBe(403);
    expect((await variant((u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 3600)))).status).toBe(403);
    expect((await variant((u) => (u.pathname = u.pathname.replace(/files\/[^/]+/, 'files/AAAAAAAAAAAAAAAAAAAAAA')))).status).toBe(403);
    expect((await variant((u) => u.searchParams.delete('signature'))).status).toBe(400);
    t.clock!.advance(3599);
    expect((await fetch(link, { headers: { range: 'bytes=2-3' } })).status).toBe(206);
    t.clock!.advance(2);
    expect((await fetch(link)).status).toBe(403);
  });
});

describe('presigned S3 links', () => {
  it('are given for plaintext files stored before encryption, and expire: one signed an hour ago is refused by the store', async () => {
    // The manual clock starts in the past, so every link it signs is already expired for the S3 server.
    const t = await createFilesTestApp('s3', { manualClock: true });
    const raw = await openStorage(t.config.storageUrl, { credentials: t.config.storageCredentials });
    try {
      const owner = await t.userSession();
      const { sessionId } = await createConference(t, owner);
      // An encrypted file: served by V4H only.
      const stored = (await upload(t, sessionId, Buffer.from('abc'), { auth: owner.auth })).body;
      expect(stored.url).toMatch(/\/api\/files\/.+\/content\?expires=\d+&signature=/);
      // A plaintext file from before encryption: a presigned link to the store.
      await raw.put('ol/oldfile', Readable.from([Buffer.from('old')]), { contentType: 'video/webm' });
      const user = await t.db.kysely.selectFrom('users').select('id').where('username', '=', owner.username).executeTakeFirstOrThrow();
      await t.db.kysely
        .insertInto('files')
        .values({
          id: 'oldfile',
          session_id: sessionId,
          kind: 'attachment',
          name: 'old.webm',
          size: 3,
          content_type: 'video/webm',
          sha256: sha256(Buffer.from('old')),
          uploader: `user:${owner.username}`,
          uploader_id: user.id,
          shared: 0,
          storage_key: 'ol/oldfile',
          created_at: t.clock!.now(),
        })
        .execute();
      const listed = (await (await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files`, { headers: owner.auth })).json()) as {
        items: Array<{ fileId: string; url: string }>;
      };
      const old = listed.items.find((f) => f.fileId === 'oldfile')!;
      expect(old.url).toMatch(/X-Amz-Expires=3600/);
      expect((await fetch(old.url)).status).toBe(403);
    } finally {
      await raw.close();
      await t.close();
    }
  });
});
