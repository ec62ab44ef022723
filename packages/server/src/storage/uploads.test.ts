// Upload routes over real HTTP, on both engines: permissions, limits, types, digests, aborts, concurrency, events.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RECORDER_SECRET,
  addParticipant,
  createConference,
  createFilesTestApp,
  fileEvents,
  reprDigest,
  sha256,
  upload,
  type FilesTestApp,
  type Session,
} from '../test-support/storage.js';
import { findSubjectKey } from '../db/commitments.js';
import { computeCommitment } from '@v4h/protocol/verify';

const recorder = { authorization: `Bearer ${RECORDER_SECRET}` };

describe.each(['file', 's3'] as const)('uploads (%s engine)', (engine) => {
  let t: FilesTestApp;
  let owner: Session;
  let participant: Session;
  let stranger: Session;
  beforeAll(async () => {
    t = await createFilesTestApp(engine, { env: { V4H_UPLOAD_IDLE_TIMEOUT: '2' } });
    [owner, participant, stranger] = await Promise.all([t.userSession(), t.userSession(), t.userSession()]);
  });
  afterAll(async () => t?.close());

  async function conference() {
    const conf = await createConference(t, owner);
    await addParticipant(t, conf.sessionId, participant);
    return conf;
  }

  it('stores an owner recording, hashes it and appends a file_stored event', async () => {
    const { sessionId } = await conference();
    const bytes = randomBytes(200_000);
    const res = await upload(t, sessionId, bytes, { auth: owner.auth, type: 'video/webm;codecs=vp8,opus', name: 'consultation.webm' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      sessionId,
      kind: 'recording',
      name: 'consultation.webm',
      size: bytes.length,
      contentType: 'video/webm',
      sha256: sha256(bytes),
      uploader: `user:${owner.username}`,
    });
    const events = await fileEvents(t, sessionId);
    expect(events).toHaveLength(1);
    // The event names the uploader by id and commits to the file name under the file's own key (issue 19).
    const { id: ownerId } = await t.db.kysely.selectFrom('users').select('id').where('username', '=', owner.username).executeTakeFirstOrThrow();
    expect(events[0].actor).toBe(`user:${ownerId}`);
    const key = (await findSubjectKey(t.db.kysely, `file:${res.body.fileId}`))!;
    expect(events[0].data).toEqual({
      fileId: res.body.fileId,
      kind: 'recording',
      size: bytes.length,
      contentType: 'video/webm',
      sha256: sha256(bytes),
      uploader: `user:${ownerId}`,
      commitments: { name: await computeCommitment(key, 'name', 'consultation.webm') },
    });
    const download = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files/${res.body.fileId}`, { headers: owner.auth });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('lets participants add attachments but not recordings; strangers and anonymous callers nothing', async () => {
    const { sessionId } = await conference();
    const pdf = Buffer.from('%PDF-1.4 exam results');
    expect((await upload(t, sessionId, pdf, { auth: participant.auth, kind: 'attachment', type: 'application/pdf' })).status).toBe(201);
    expect((await upload(t, sessionId, pdf, { auth: owner.auth, kind: 'attachment', type: 'application/pdf' })).status).toBe(201);
    const refused = await upload(t, sessionId, randomBytes(10), { auth: participant.auth });
    expect(refused).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await upload(t, sessionId, pdf, { auth: stranger.auth, kind: 'attachment', type: 'application/pdf' })).status).toBe(403);
    expect((await upload(t, sessionId, pdf, { kind: 'attachment', type: 'application/pdf' })).status).toBe(401);
    expect((await upload(t, sessionId, pdf, { auth: { authorization: 'Bearer not-the-secret' } })).status).toBe(401);
    expect((await upload(t, 'no-such-conference', pdf, { auth: owner.auth })).status).toBe(404);

    const list = async (auth?: Record<string, string>) => fetch(`${t.baseUrl}/api/conferences/${sessionId}/files`, { headers: auth });
    const forParticipant = await list(participant.auth);
    expect(forParticipant.status).toBe(200);
    const { items } = (await forParticipant.json()) as { items: Array<{ fileId: string; uploader: string }> };
    // Their own upload only: the owner's attachment is not shared (issue 15).
    expect(items.map((i) => i.uploader)).toEqual([`user:${participant.username}`]);
    const forOwner = (await (await list(owner.auth)).json()) as { items: Array<{ uploader: string }> };
    expect(forOwner.items.map((i) => i.uploader)).toEqual([`user:${participant.username}`, `user:${owner.username}`]);
    expect((await list(stranger.auth)).status).toBe(403);
    expect((await list()).status).toBe(401);
    expect((await list(recorder)).status).toBe(401);
    const one = `${t.baseUrl}/api/conferences/${sessionId}/files/${items[0].fileId}`;
    expect((await fetch(one, { headers: stranger.auth })).status).toBe(403);
    expect((await fetch(one)).status).toBe(401);
    const other = await conference();
    expect((await fetch(`${t.baseUrl}/api/conferences/${other.sessionId}/files/${items[0].fileId}`, { headers: owner.auth })).status).toBe(404);
  });

  it('takes recordings from the recorder credential, by session id or room name, even after the conference ended', async () => {
    const { sessionId, roomName } = await conference();
    const ended = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/end`, { method: 'POST', headers: owner.auth });
    expect(ended.status).toBe(200);
    const mp4 = randomBytes(5000);
    const bySession = await upload(t, sessionId, mp4, { auth: recorder, type: 'video/mp4' });
    expect(bySession).toMatchObject({ status: 201, body: { uploader: 'recorder' } });
    const byRoom = await upload(t, '', mp4, { auth: recorder, type: 'video/mp4', path: `/api/rooms/${roomName.toUpperCase()}/files` });
    expect(byRoom).toMatchObject({ status: 201, body: { sessionId, uploader: 'recorder', sha256: sha256(mp4) } });
    expect((await upload(t, '', mp4, { auth: recorder, type: 'video/mp4', path: '/api/rooms/v4h-unknown/files' })).status).toBe(404);
    expect((await upload(t, '', mp4, { auth: owner.auth, type: 'video/mp4', path: `/api/rooms/${roomName}/files` })).status).toBe(401);
    expect((await upload(t, sessionId, mp4, { auth: recorder, kind: 'attachment', type: 'text/plain' })).status).toBe(403);
    const events = await fileEvents(t, sessionId);
    expect(events.map((e) => e.actor)).toEqual(['recorder', 'recorder']);
    const details = await fetch(`${t.baseUrl}/api/conferences/${sessionId}`, { headers: owner.auth });
    // urlStorage is a fresh link to the first recording (same file, new expiry).
    const { urlStorage } = (await details.json()) as { urlStorage: string | null };
    expect(urlStorage?.split('?')[0]).toBe(bySession.body.url.split('?')[0]);
  });

  it('refuses types that do not fit the kind (415)', async () => {
    const { sessionId } = await conference();
    const bytes = Buffer.from('x');
    for (const [kind, type] of [
      ['recording', 'application/pdf'],
      ['recording', 'text/html'],
      ['attachment', 'video/webm'],
      ['attachment', 'image/svg+xml'],
      ['attachment', 'text/html'],
      ['attachment', 'application/json'],
      ['recording', 'nonsense'],
    ] as const) {
      expect((await upload(t, sessionId, bytes, { auth: owner.auth, kind, type })).body).toMatchObject({ error: 'unsupported_media_type' });
    }
    const gzip = await upload(t, sessionId, bytes, { auth: owner.auth, headers: { 'content-encoding': 'gzip' } });
    expect(gzip.status).toBe(415);
    for (const type of ['audio/ogg', 'audio/mpeg', 'audio/wav', 'audio/mp4', 'audio/webm', 'video/mp4']) {
      expect((await upload(t, sessionId, bytes, { auth: owner.auth, type })).status).toBe(201);
    }
    for (const type of ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'text/plain; charset=utf-8']) {
      expect((await upload(t, sessionId, bytes, { auth: owner.auth, kind: 'attachment', type })).status).toBe(201);
    }
    expect((await upload(t, sessionId, new Uint8Array(0), { auth: owner.auth })).status).toBe(400);
  });

  it('checks a declared RFC 9530 digest and keeps nothing on a mismatch', async () => {
    const { sessionId } = await conference();
    const bytes = randomBytes(300_000);
    const before = t.storedObjects();
    const good = await upload(t, sessionId, bytes, { auth: owner.auth, headers: { 'repr-digest': `sha-512=:AAAA:, ${reprDigest(bytes)}` } });
    expect(good.status).toBe(201);
    const other = randomBytes(300_000);
    for (const name of ['repr-digest', 'content-digest']) {
      const bad = await upload(t, sessionId, other, { auth: owner.auth, headers: { [name]: reprDigest(bytes) } });
      expect(bad).toMatchObject({ status: 400, body: { error: 'digest_mismatch' } });
    }
    expect((await upload(t, sessionId, bytes, { auth: owner.auth, headers: { 'repr-digest': 'sha-256=:tooshort:' } })).body.error).toBe('bad_request');
    expect(t.storedObjects().length).toBe(before.length + 1);
    expect((await fileEvents(t, sessionId)).map((e) => e.data.fileId)).toEqual([good.body.fileId]);
  });

  it('answers 413 over V4H_MAX_UPLOAD_BYTES, declared or streamed, and keeps nothing', async () => {
    const { sessionId } = await conference();
    const before = t.storedObjects();
    const declared = await upload(t, sessionId, randomBytes(1024 * 1024 + 1), { auth: owner.auth });
    expect(declared).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    // Chunked (no Content-Length): the limit trips mid-stream.
    const chunks = [randomBytes(600_000), randomBytes(600_000)];
    const res = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files?kind=recording`, {
      method: 'POST',
      headers: { ...owner.auth, 'content-type': 'video/webm' },
      body: new ReadableStream({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(t.storedObjects()).toEqual(before);
    expect(await fileEvents(t, sessionId)).toEqual([]);
    expect((await upload(t, sessionId, randomBytes(1024 * 1024), { auth: owner.auth })).status).toBe(201);
  });

  it('leaves no object and no event when the client disconnects mid-body', async () => {
    const { sessionId } = await conference();
    const before = t.storedObjects();
    const url = new URL(`${t.baseUrl}/api/conferences/${sessionId}/files?kind=recording`);
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'POST', headers: { ...owner.auth, 'content-type': 'video/webm', 'content-length': String(900_000) } });
      req.on('error', () => resolve());
      req.write(randomBytes(400_000), () => setTimeout(() => req.destroy(), 150));
      req.on('close', () => resolve());
    });
    // The server notices the reset asynchronously: wait for it to clean up.
    await new Promise((r) => setTimeout(r, 500));
    expect(t.storedObjects()).toEqual(before);
    expect(await fileEvents(t, sessionId)).toEqual([]);
    const rows = await t.db.kysely.selectFrom('files').select('id').where('session_id', '=', sessionId).execute();
    expect(rows).toEqual([]);
  });

  it('drops an upload whose client stalls without closing the connection', async () => {
    const { sessionId } = await conference();
    const before = t.storedObjects();
    const url = new URL(`${t.baseUrl}/api/conferences/${sessionId}/files?kind=recording`);
    const started = Date.now();
    const outcome = await new Promise<string>((resolve) => {
      const req = http.request(url, { method: 'POST', headers: { ...owner.auth, 'content-type': 'video/webm', 'content-length': String(900_000) } });
      req.on('response', (res) => resolve(`answered ${res.statusCode}`));
      req.on('error', (error) => resolve(`closed: ${(error as NodeJS.ErrnoException).code}`));
      req.write(randomBytes(300_000)); // …and nothing more
    });
    expect(outcome).toMatch(/^closed/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.storedObjects()).toEqual(before);
    expect(await fileEvents(t, sessionId)).toEqual([]);
  });

  it('stores concurrent uploads to one conference, each with its own event and hash', async () => {
    const { sessionId } = await conference();
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(100_000 + i));
    const results = await Promise.all(
      bodies.map((b, i) => upload(t, sessionId, b, i % 2 ? { auth: owner.auth } : { auth: participant.auth, kind: 'attachment', type: 'image/png' })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
    const events = await fileEvents(t, sessionId);
    expect(events).toHaveLength(6);
    expect(new Set(events.map((e) => e.seq)).size).toBe(6);
    expect(new Set(events.map((e) => e.data.sha256))).toEqual(new Set(bodies.map(sha256)));
    for (const [i, r] of results.entries()) expect(r.body.sha256).toBe(sha256(bodies[i]));
  });
});
