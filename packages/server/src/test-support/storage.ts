// Test helpers for the storage routes (storage/*.test.ts): an app per engine (disk or s3rver), conferences, participants and uploads.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createTestApp, type TestApp, type TestAppOptions } from './test-app.js';
import { listEvents } from '../db/event-log.js';
import { startTestS3, type TestS3 } from './s3rver.js';

export const RECORDER_SECRET = 'recorder-secret-for-tests-0123456789';
export type Engine = 'file' | 's3';

export interface FilesTestApp extends TestApp {
  engine: Engine;
  /** Keys of stored objects (disk: files under the storage dir, temporaries included). */
  storedObjects(): string[];
}

export async function createFilesTestApp(engine: Engine, options: TestAppOptions = {}): Promise<FilesTestApp> {
  let s3: TestS3 | undefined;
  // Storage is tested here, not consent (recordings/consent.test.ts): recordings are stored without asking.
  const env: Record<string, string> = {
    V4H_RECORDER_SECRET: RECORDER_SECRET,
    V4H_MAX_UPLOAD_BYTES: String(1024 * 1024),
    V4H_RECORDING_CONSENT: 'off',
    ...options.env,
  };
  if (engine === 's3') {
    s3 = await startTestS3();
    Object.assign(env, s3.env, { V4H_STORAGE_URL: s3.storageUrl });
  }
  const t = await createTestApp({ ...options, env });
  const filesDir = path.join(t.dataDir, 'files');
  return {
    ...t,
    engine,
    storedObjects() {
      if (s3) return s3.listKeys();
      if (!fs.existsSync(filesDir)) return [];
      return fs
        .readdirSync(filesDir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(filesDir, path.join(e.parentPath, e.name)));
    },
    async close() {
      // Fastify closes idle keep-alive connections once, at close: one whose last response is still finishing, or
      // the spare connection Node's fetch opens after an aborted upload (undici#5845), would hold close() for a
      // keep-alive or headers timeout (~70 s). Sweep idle ones, then cut what is left after a second.
      const started = Date.now();
      const server = t.app.server;
      const sweep = setInterval(() => (Date.now() - started > 1000 ? server.closeAllConnections() : server.closeIdleConnections()), 50);
      try {
        await t.close();
      } finally {
        clearInterval(sweep);
      }
      await s3?.close();
    },
  };
}

export type Session = Awaited<ReturnType<TestApp['userSession']>>;

export async function createConference(t: TestApp, owner: Session): Promise<{ sessionId: string; roomName: string }> {
  const res = await fetch(`${t.baseUrl}/api/conferences`, { method: 'POST', headers: { ...owner.auth, 'content-type': 'application/json' }, body: '{}' });
  if (res.status !== 201) throw new Error(`create conference: ${res.status} ${await res.text()}`);
  const { sessionId } = (await res.json()) as { sessionId: string };
  const row = await t.db.kysely.selectFrom('conferences').select('room_name').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
  return { sessionId, roomName: row.room_name };
}

/** Records that a user joined (what the presence route writes). */
export async function addParticipant(t: TestApp, sessionId: string, user: Session): Promise<void> {
  const row = await t.db.kysely.selectFrom('users').select('id').where('username', '=', user.username).executeTakeFirstOrThrow();
  await t.db.kysely
    .insertInto('participants')
    .values({
      session_id: sessionId,
      participant_id: `p-${randomBytes(4).toString('hex')}`,
      user_id: row.id,
      display_name: user.username,
      joined_at: Date.now(),
      left_at: null,
    })
    .execute();
  // Joining went through the join policy: that admission, not the presence row, is what uploads need.
  await t.db.kysely.insertInto('conference_members').values({ session_id: sessionId, user_id: row.id, role: 'admitted' }).execute();
}

export interface UploadOptions {
  kind?: 'recording' | 'attachment';
  name?: string;
  type?: string;
  headers?: Record<string, string>;
  auth?: Record<string, string>;
  path?: string;
}

export async function upload(t: TestApp, sessionId: string, body: Uint8Array, options: UploadOptions = {}) {
  const query = new URLSearchParams({ kind: options.kind ?? 'recording', ...(options.name ? { name: options.name } : {}) });
  const res = await fetch(`${t.baseUrl}${options.path ?? `/api/conferences/${sessionId}/files`}?${query}`, {
    method: 'POST',
    headers: { 'content-type': options.type ?? 'video/webm', ...options.auth, ...options.headers },
    body: body as BodyInit,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
export const reprDigest = (data: Uint8Array) => `sha-256=:${createHash('sha256').update(data).digest('base64')}:`;

export async function fileEvents(t: TestApp, sessionId: string) {
  return (await listEvents(t.db.kysely, sessionId)).filter((e) => e.type === 'file_stored').map((e) => ({ ...e, data: JSON.parse(e.data) }));
}
