// JaaS RECORDING_UPLOADED over real HTTP on both databases: the recording is fetched from a 127.0.0.1 stand-in of its
// pre-authenticated link, hashed and stored like an upload (files, urlStorage, manifest); hosts off the list, redirects
// elsewhere, oversized bodies, stalls, duplicates and bad signatures store nothing; the link never reaches logs or events.
import http from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { JITSI_TEST_ENV } from '../test-support/test-app.js';
import { createConference, createFilesTestApp, sha256, type Engine, type FilesTestApp, type Session } from '../test-support/storage.js';
import { listEvents } from '../db/event-log.js';

const JAAS_SECRET = 'jaas-webhook-secret-0123456789';
// The secret part of a pre-authenticated link (OCI: /p/<token>/…): it must never be logged or kept.
const TOKEN = `PAR-${randomBytes(12).toString('hex')}`;

interface StandIn {
  origin: string;
  /** Paths requested, in order. */
  requests: string[];
  /** Bytes served at a path (`/chunked/…` without Content-Length). */
  files: Map<string, Buffer>;
  close(): Promise<void>;
}

/** A stand-in of 8x8's recording storage: files by path, plus redirects, a stall and errors. */
async function standIn(): Promise<StandIn> {
  const requests: string[] = [];
  const files = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const redirect = /^\/redirect\?to=(.*)$/.exec(path);
    if (redirect) return void res.writeHead(302, { location: decodeURIComponent(redirect[1]) }).end();
    if (path.startsWith('/stall')) return void res.writeHead(200, { 'content-type': 'video/mp4' }).write(Buffer.alloc(1000));
    const file = files.get(path);
    if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    if (path.startsWith('/chunked/')) {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      for (let at = 0; at < file.length; at += 64 * 1024) res.write(file.subarray(at, at + 64 * 1024));
      return void res.end();
    }
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(file.length) }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    requests,
    files,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(env: Record<string, string> = {}, engine: Engine = 'file') {
  const storage = await standIn();
  cleanups.push(() => storage.close());
  const logs: string[] = [];
  const logStream = new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) });
  const t = await createFilesTestApp(engine, {
    env: { ...JITSI_TEST_ENV, V4H_JAAS_WEBHOOK_SECRET: JAAS_SECRET, V4H_JAAS_RECORDING_HOSTS: storage.origin, ...env },
    logStream,
  });
  cleanups.push(() => t.close());
  const owner = await t.userSession();
  const { sessionId, roomName } = await createConference(t, owner);
  return { t, owner, sessionId, roomName, storage, logs };
}

const sign = (body: string, t = Math.floor(Date.now() / 1000)) => `t=${t},v1=${createHmac('sha256', JAAS_SECRET).update(`${t}.${body}`).digest('base64')}`;

/** A RECORDING_UPLOADED body as 8x8 documents it (names in `participants`, the link in `data`). */
function recordingUploaded(room: string, link: string, idempotencyKey = `idem-${randomBytes(4).toString('hex')}`) {
  return JSON.stringify({
    idempotencyKey,
    customerId: 'c1',
    appId: 'vpaas-magic-cookie-abc',
    eventType: 'RECORDING_UPLOADED',
    sessionId: 'jaas-session-9',
    timestamp: Date.now(),
    fqn: `vpaas-magic-cookie-abc/${room}`,
    data: {
      participants: [{ name: 'Maria Paciente', avatar: 'https://example.org/maria.png', id: 'u-1' }],
      preAuthenticatedLink: link,
      share: true,
      initiatorId: 'u-1',
      durationSec: 15,
      startTimestamp: Date.now() - 15_000,
      endTimestamp: Date.now(),
      recordingSessionId: 'rec-1',
    },
  });
}

const post = (t: FilesTestApp, body: string, signature: string | undefined = sign(body)) =>
  fetch(`${t.baseUrl}/api/jitsi/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-jaas-signature': signature } : {}) },
    body,
  });

/** The object path of a link on the stand-in, as OCI lays one out. */
const objectPath = (room: string, prefix = '') => `${prefix}/p/${TOKEN}/n/ns/b/vpaas-recordings-test/o/vpaas-magic-cookie-abc/${room}_2026-12-06-09-00-00.mp4`;

/** Waits for the background download's outcome in the event log (file_stored or jitsi_recording_failed). */
async function outcome(t: FilesTestApp, sessionId: string) {
  for (let i = 0; i < 400; i++) {
    const events = (await listEvents(t.db.kysely, sessionId)).map((e) => ({ type: e.type, actor: e.actor, data: JSON.parse(e.data) as Record<string, any> }));
    const done = events.filter((e) => e.type === 'file_stored' || e.type === 'jitsi_recording_failed');
    if (done.length > 0) return { done, events };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no outcome of the recording download');
}

const get = async (t: FilesTestApp, path: string, who: Session) => {
  const res = await fetch(`${t.baseUrl}${path}`, { headers: who.auth });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('JaaS RECORDING_UPLOADED', () => {
  it.each(['file', 's3'] as const)(
    'fetches the recording, stores it with its SHA-256, and serves it in files, urlStorage and the manifest (%s engine)',
    async (engine) => {
      const { t, owner, sessionId, roomName, storage, logs } = await setup({ V4H_SEAL_DELAY: '0' }, engine);
      const video = randomBytes(300_000);
      storage.files.set(objectPath(roomName), video);
      // JaaS sends it after the meeting: the conference has ended.
      expect((await fetch(`${t.baseUrl}/api/conferences/${sessionId}/end`, { method: 'POST', headers: owner.auth })).status).toBe(200);

      const body = recordingUploaded(roomName, `${storage.origin}${objectPath(roomName)}`);
      const res = await post(t, body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'accepted', sessionId });
      const { done, events } = await outcome(t, sessionId);
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({
        type: 'file_stored',
        actor: 'recorder',
        data: { kind: 'recording', contentType: 'video/mp4', size: video.length, sha256: sha256(video) },
      });
      expect(events.find((e) => e.type === 'jitsi_recording_uploaded')).toEqual({
        type: 'jitsi_recording_uploaded',
        actor: 'jitsi',
        data: { source: 'jaas', jitsiSessionId: 'jaas-session-9' },
      });
      expect(storage.requests).toEqual([objectPath(roomName)]);

      // The owner lists it, downloads the same bytes, and getConference's urlStorage points at it.
      const files = await get(t, `/api/conferences/${sessionId}/files`, owner);
      expect(files.body.items).toHaveLength(1);
      expect(files.body.items[0]).toMatchObject({ kind: 'recording', sha256: sha256(video), size: video.length, name: `${roomName}_2026-12-06-09-00-00.mp4` });
      const download = await fetch(files.body.items[0].url);
      expect(download.status).toBe(200);
      expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(video));
      const details = await get(t, `/api/conferences/${sessionId}`, owner);
      // (S3 hands out a presigned link of its own.)
      if (engine === 'file') expect(details.body.urlStorage).toEqual(expect.stringContaining(`/api/files/${files.body.items[0].fileId}/content?`));
      const stored = await fetch(details.body.urlStorage);
      expect(sha256(new Uint8Array(await stored.arrayBuffer()))).toBe(sha256(video));

      // Sealed, the manifest lists the stored recording with its hash.
      await t.app.records.sealer.runOnce();
      const manifest = await get(t, `/api/conferences/${sessionId}/manifest`, owner);
      const sealed = manifest.body.manifests.flatMap(
        (m: { manifest: { events: Array<{ type: string; data: Record<string, unknown> }> } }) => m.manifest.events,
      );
      expect(sealed.filter((e: { type: string }) => e.type === 'file_stored')).toEqual([
        expect.objectContaining({ data: expect.objectContaining({ sha256: sha256(video), size: video.length }) }),
      ]);

      // The link's secret and the participants' names are nowhere in the log or the events.
      expect(logs.join('')).toContain('JaaS recording stored');
      expect(logs.join('')).not.toContain(TOKEN);
      expect(JSON.stringify(events)).not.toMatch(new RegExp(`${TOKEN}|Maria|example\\.org`));
    },
  );

  it('follows a redirect to an allowed host, and streams a body sent without Content-Length', async () => {
    const { t, sessionId, roomName, storage } = await setup();
    const video = randomBytes(200_000);
    storage.files.set(objectPath(roomName, '/chunked'), video);
    const link = `${storage.origin}/redirect?to=${encodeURIComponent(objectPath(roomName, '/chunked'))}`;
    expect(await (await post(t, recordingUploaded(roomName, link))).json()).toMatchObject({ status: 'accepted' });
    const { done } = await outcome(t, sessionId);
    expect(done[0]).toMatchObject({ type: 'file_stored', data: { sha256: sha256(video), size: video.length } });
  });

  it('fetches nothing from a host off the list, nor through a redirect to one', async () => {
    const { t, sessionId, roomName, storage, logs } = await setup();
    const elsewhere = await standIn();
    cleanups.push(() => elsewhere.close());
    elsewhere.files.set(objectPath(roomName), randomBytes(1000));
    // Another port of the same address is another host; so is https to it, and http to a public name.
    for (const link of [
      `${elsewhere.origin}${objectPath(roomName)}`,
      `${storage.origin.replace('http:', 'https:')}${objectPath(roomName)}`,
      `http://example.org${objectPath(roomName)}`,
    ]) {
      const res = await post(t, recordingUploaded(roomName, link));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'refused', sessionId, reason: 'host_not_allowed' });
    }
    expect(elsewhere.requests).toEqual([]);
    expect(storage.requests).toEqual([]);
    const redirected = await post(
      t,
      recordingUploaded(roomName, `${storage.origin}/redirect?to=${encodeURIComponent(`${elsewhere.origin}${objectPath(roomName)}`)}`),
    );
    expect(await redirected.json()).toMatchObject({ status: 'accepted' });
    await t.app.jaasRecordings!.idle();
    const { done } = await outcome(t, sessionId);
    expect(done.map((e) => [e.type, e.actor, e.data])).toEqual([
      ...Array(3).fill(['jitsi_recording_failed', 'system', { source: 'jaas', reason: 'host_not_allowed', jitsiSessionId: 'jaas-session-9' }]),
      ['jitsi_recording_failed', 'system', { source: 'jaas', reason: 'redirect_not_allowed', jitsiSessionId: 'jaas-session-9' }],
    ]);
    expect(elsewhere.requests).toEqual([]);
    expect(await t.db.kysely.selectFrom('files').selectAll().execute()).toEqual([]);
    expect(logs.join('')).toContain('127.0.0.1'); // the host, for the operator
    expect(logs.join('')).not.toContain(TOKEN);
  });

  it('stores nothing over V4H_MAX_UPLOAD_BYTES, declared or counted', async () => {
    const { t, sessionId, roomName, storage } = await setup(); // the limit: 1 MiB
    const big = randomBytes(1024 * 1024 + 1);
    storage.files.set(objectPath(roomName), big);
    storage.files.set(objectPath(roomName, '/chunked'), big);
    await post(t, recordingUploaded(roomName, `${storage.origin}${objectPath(roomName)}`));
    await post(t, recordingUploaded(roomName, `${storage.origin}${objectPath(roomName, '/chunked')}`));
    let failures: string[] = [];
    for (let i = 0; i < 400 && failures.length < 2; i++) {
      failures = (await outcome(t, sessionId)).done.map((e) => e.data.reason);
      if (failures.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(failures).toEqual(['too_large', 'too_large']);
    expect(t.storedObjects()).toEqual([]);
    expect(await t.db.kysely.selectFrom('files').selectAll().execute()).toEqual([]);
  });

  it('abandons a download past V4H_JAAS_RECORDING_TIMEOUT, and records an error answer', async () => {
    const { t, sessionId, roomName, storage } = await setup({ V4H_JAAS_RECORDING_TIMEOUT: '1' });
    await post(t, recordingUploaded(roomName, `${storage.origin}/stall/${TOKEN}.mp4`));
    expect((await outcome(t, sessionId)).done.map((e) => e.data.reason)).toEqual(['timeout']);
    await post(t, recordingUploaded(roomName, `${storage.origin}/gone/${TOKEN}.mp4`));
    let reasons: string[] = [];
    for (let i = 0; i < 400 && reasons.length < 2; i++) {
      reasons = (await outcome(t, sessionId)).done.map((e) => e.data.reason);
      if (reasons.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(reasons).toEqual(['timeout', 'http_404']);
    expect(t.storedObjects()).toEqual([]);
  });

  it('a server stopping mid-download aborts it, stores nothing and records why', async () => {
    const { t, sessionId, roomName, storage } = await setup();
    await post(t, recordingUploaded(roomName, `${storage.origin}/stall/${TOKEN}.mp4`));
    while (storage.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await t.app.jaasRecordings!.close(); // what the app's preClose hook runs
    expect((await outcome(t, sessionId)).done.map((e) => e.data.reason)).toEqual(['shutdown']);
    expect(t.storedObjects()).toEqual([]);
  });

  it('a duplicate delivery (same idempotencyKey, new signature), even at the same time, is fetched and stored once', async () => {
    const { t, sessionId, roomName, storage } = await setup();
    storage.files.set(objectPath(roomName), randomBytes(50_000));
    const body = recordingUploaded(roomName, `${storage.origin}${objectPath(roomName)}`, 'idem-rec-1');
    const now = Math.floor(Date.now() / 1000);
    const answers = await Promise.all([post(t, body, sign(body, now)), post(t, body, sign(body, now - 1))].map(async (r) => (await r).json()));
    expect(answers.map((a) => a.status).sort()).toEqual(['accepted', 'duplicate']);
    expect(await (await post(t, body, sign(body, now - 2))).json()).toMatchObject({ status: 'duplicate' });
    await outcome(t, sessionId);
    await t.app.jaasRecordings!.idle();
    expect(storage.requests).toHaveLength(1);
    expect(await t.db.kysely.selectFrom('files').select('id').execute()).toHaveLength(1);
  });

  it('a bad or missing signature is 401 and fetches nothing; a link is required', async () => {
    const { t, sessionId, roomName, storage } = await setup();
    storage.files.set(objectPath(roomName), randomBytes(1000));
    const body = recordingUploaded(roomName, `${storage.origin}${objectPath(roomName)}`);
    expect((await post(t, body, '')).status).toBe(401);
    expect((await post(t, body, sign(body.replace('c1', 'c2')))).status).toBe(401);
    const noLink = recordingUploaded(roomName, '').replace('"preAuthenticatedLink":""', '"preAuthenticatedLink":null');
    const refused = await post(t, noLink);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'bad_request' });
    await t.app.jaasRecordings!.idle();
    expect(storage.requests).toEqual([]);
    expect((await listEvents(t.db.kysely, sessionId)).filter((e) => e.type.startsWith('jitsi_') || e.type === 'file_stored')).toEqual([]);
  });
});
