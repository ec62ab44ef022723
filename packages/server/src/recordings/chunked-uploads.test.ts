// The chunked recording upload over real HTTP on both storage engines (issue 21): order, idempotent retries, bounds,
// resuming after a gap, completion into the conference's recording (SHA-256 of the whole, file_stored, Range
// downloads), the chunks removed after, abandoned uploads swept, and who may do what.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addParticipant, createConference, createFilesTestApp, fileEvents, sha256, type FilesTestApp, type Session } from '../test-support/storage.js';
import { MAX_CHUNK_BYTES } from './chunked-uploads.js';

const MiB = 1024 * 1024;

describe.each(['file', 's3'] as const)('chunked recording uploads (%s engine)', (engine) => {
  let t: FilesTestApp;
  let owner: Session;
  let bob: Session;
  beforeAll(async () => {
    t = await createFilesTestApp(engine, { env: { V4H_MAX_UPLOAD_BYTES: String(12 * MiB) } });
    [owner, bob] = await Promise.all([t.userSession(), t.userSession()]);
  });
  afterAll(async () => t?.close());

  async function send(method: string, path: string, auth: Record<string, string>, body?: Uint8Array | object) {
    const raw = body instanceof Uint8Array;
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }) },
      body: body === undefined ? undefined : raw ? (body as BodyInit) : JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, body: type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()) };
  }

  async function recording(auth = owner.auth) {
    const { sessionId } = await createConference(t, owner);
    const created = await send('POST', `/api/conferences/${sessionId}/recordings`, auth, { mimeType: 'video/webm;codecs=vp9,opus' });
    expect(created.status).toBe(201);
    const base = `/api/conferences/${sessionId}/recordings/${created.body.recordingId}`;
    return { sessionId, recordingId: created.body.recordingId as string, base, created: created.body };
  }

  it('takes chunks in order, retries idempotently, resumes after a gap, and completes into one hashed, downloadable file', async () => {
    const r = await recording();
    expect(r.created).toMatchObject({ state: 'open', live: null, nextIndex: 0, bytes: 0, maxChunkBytes: MAX_CHUNK_BYTES, maxBytes: 12 * MiB });
    const chunks = [randomBytes(300_000), randomBytes(70_001), randomBytes(1), randomBytes(250_000)];

    // Not the next one: refused, with the index expected.
    const early = await send('PUT', `${r.base}/chunks/1`, owner.auth, chunks[1]);
    expect(early).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect(early.headers.get('x-next-index')).toBe('0');

    expect(await send('PUT', `${r.base}/chunks/0`, owner.auth, chunks[0])).toMatchObject({
      status: 201,
      body: { index: 0, size: 300_000, sha256: sha256(chunks[0]), nextIndex: 1, bytes: 300_000 },
    });
    // A retry with the same bytes (the answer was lost): 200, nothing added; other bytes: 409.
    expect(await send('PUT', `${r.base}/chunks/0`, owner.auth, chunks[0])).toMatchObject({ status: 200, body: { index: 0, nextIndex: 1, bytes: 300_000 } });
    expect(await send('PUT', `${r.base}/chunks/0`, owner.auth, randomBytes(300_000))).toMatchObject({ status: 409, body: { error: 'conflict' } });

    // A reload: the page asks where it stands and goes on from there, after a gap it could not send.
    expect((await send('PUT', `${r.base}/chunks/2`, owner.auth, chunks[2])).status).toBe(409);
    expect((await send('GET', r.base, owner.auth)).body).toMatchObject({ nextIndex: 1, bytes: 300_000, state: 'open' });
    for (const [i, chunk] of chunks.entries()) if (i > 0) expect((await send('PUT', `${r.base}/chunks/${i}`, owner.auth, chunk)).status).toBe(201);

    const whole = Buffer.concat(chunks);
    const completed = await send('POST', `${r.base}/complete`, owner.auth);
    expect(completed).toMatchObject({ status: 201, body: { kind: 'recording', size: whole.length, sha256: sha256(whole), contentType: 'video/webm' } });
    const stored = await fileEvents(t, r.sessionId);
    expect(stored.map((e) => e.data)).toEqual([expect.objectContaining({ fileId: completed.body.fileId, sha256: sha256(whole), size: whole.length })]);
    // Completing again answers the same file; chunks are no longer taken.
    expect(await send('POST', `${r.base}/complete`, owner.auth)).toMatchObject({ status: 200, body: { fileId: completed.body.fileId } });
    expect((await send('GET', r.base, owner.auth)).body).toMatchObject({ state: 'complete', fileId: completed.body.fileId, nextIndex: 4 });
    expect((await send('PUT', `${r.base}/chunks/4`, owner.auth, randomBytes(10))).status).toBe(409);

    // The file, whole and by range (the seek of a player), from the API and from urlStorage.
    const file = `/api/conferences/${r.sessionId}/files/${completed.body.fileId}`;
    const all = await send('GET', file, owner.auth);
    expect(sha256(all.body)).toBe(sha256(whole));
    const part = await fetch(`${t.baseUrl}${file}`, { headers: { ...owner.auth, range: 'bytes=299990-300020' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(299_990, 300_021))).toBe(true);
    const details = await send('GET', `/api/conferences/${r.sessionId}`, owner.auth);
    const viaLink = await fetch(details.body.urlStorage, { headers: { range: 'bytes=370000-' } });
    expect(viaLink.status).toBe(206);
    expect(Buffer.from(await viaLink.arrayBuffer()).equals(whole.subarray(370_000))).toBe(true);
    // Only the assembled file is left in storage: the chunks were deleted.
    expect(t.storedObjects().filter((k) => k.startsWith('recordings'))).toEqual([]);
  });

  it('bounds a chunk and the whole recording', async () => {
    const r = await recording();
    const big = await send('PUT', `${r.base}/chunks/0`, owner.auth, randomBytes(MAX_CHUNK_BYTES + 1));
    expect(big).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    expect((await send('PUT', `${r.base}/chunks/0`, owner.auth, randomBytes(MAX_CHUNK_BYTES))).status).toBe(201);
    // 8 MiB stored of 12: a 5 MiB chunk would pass the limit.
    expect(await send('PUT', `${r.base}/chunks/1`, owner.auth, randomBytes(5 * MiB))).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    expect((await send('PUT', `${r.base}/chunks/1`, owner.auth, new Uint8Array(0))).status).toBe(400);
    expect((await send('GET', r.base, owner.auth)).body).toMatchObject({ nextIndex: 1, bytes: MAX_CHUNK_BYTES });
    const media = await send('POST', `/api/conferences/${r.sessionId}/recordings`, owner.auth, { mimeType: 'text/html' });
    expect(media).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
  });

  it('refuses anyone but the owner, and recordings of another conference', async () => {
    const r = await recording();
    await addParticipant(t, r.sessionId, bob);
    const chunk = randomBytes(1000);
    expect((await send('PUT', `${r.base}/chunks/0`, {}, chunk)).status).toBe(401);
    expect((await send('PUT', `${r.base}/chunks/0`, bob.auth, chunk)).status).toBe(403);
    expect((await send('GET', r.base, bob.auth)).status).toBe(403);
    expect((await send('POST', `${r.base}/complete`, bob.auth)).status).toBe(403);
    expect((await send('POST', `/api/conferences/${r.sessionId}/recordings`, bob.auth, { mimeType: 'video/webm' })).status).toBe(403);
    // The owner's other conference, with this recording's id: not found there.
    const other = await createConference(t, owner);
    expect((await send('PUT', `/api/conferences/${other.sessionId}/recordings/${r.recordingId}/chunks/0`, owner.auth, chunk)).status).toBe(404);
    expect((await send('GET', `/api/conferences/${other.sessionId}/recordings/${r.recordingId}`, owner.auth)).status).toBe(404);
    expect((await send('GET', r.base, owner.auth)).body).toMatchObject({ nextIndex: 0 });
  });

  it('sweeps uploads left unfinished: chunks deleted, marked abandoned', async () => {
    const r = await recording();
    expect((await send('PUT', `${r.base}/chunks/0`, owner.auth, randomBytes(5000))).status).toBe(201);
    expect(t.storedObjects().some((k) => k.startsWith(`recordings/${r.recordingId}/`))).toBe(true);
    expect(await t.app.recordingUploads.sweepAbandoned(60_000)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await t.app.recordingUploads.sweepAbandoned(10)).toBeGreaterThanOrEqual(1);
    expect(t.storedObjects().some((k) => k.startsWith(`recordings/${r.recordingId}/`))).toBe(false);
    expect((await send('GET', r.base, owner.auth)).body).toMatchObject({ state: 'abandoned' });
    expect((await send('PUT', `${r.base}/chunks/1`, owner.auth, randomBytes(10))).status).toBe(409);
    expect((await send('POST', `${r.base}/complete`, owner.auth)).status).toBe(409);
  });
});
