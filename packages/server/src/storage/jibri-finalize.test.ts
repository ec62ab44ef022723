// Runs examples/jibri/finalize.sh (bash + curl) on a directory laid out as Jibri leaves it, against a real server.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDER_SECRET, createConference, createFilesTestApp, fileEvents, sha256, type FilesTestApp, type Session } from '../test-support/storage.js';

const script = fileURLToPath(new URL('../../../../examples/jibri/finalize.sh', import.meta.url));

function run(dir: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [script, dir], { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

/** `<recordings>/<session>/<room>_<time>.mp4` + metadata.json, as Jibri writes them. */
function jibriDir(root: string, meetingUrl: string, room: string, video: Buffer): string {
  const dir = path.join(root, 'recordings', randomBytes(6).toString('hex'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${room}_2026-11-28-09-30-00.mp4`), video);
  fs.writeFileSync(
    path.join(dir, 'metadata.json'),
    JSON.stringify({ meeting_url: meetingUrl, participants: [{ user: { id: 'abc', name: 'Dr. A' } }], share: true }, null, 2),
  );
  return dir;
}

describe('examples/jibri/finalize.sh', () => {
  let t: FilesTestApp;
  let owner: Session;
  beforeAll(async () => {
    t = await createFilesTestApp('file');
    owner = await t.userSession();
  });
  afterAll(async () => t?.close());

  it('uploads the recording to the conference named by the meeting URL, with its digest', async () => {
    const { sessionId, roomName } = await createConference(t, owner);
    const video = randomBytes(300_000);
    const dir = jibriDir(t.dataDir, `https://meet.example.org/${roomName.toUpperCase()}?jwt=x#config.a=1`, roomName, video);
    const result = await run(dir, { V4H_URL: `${t.baseUrl}/`, V4H_RECORDER_SECRET: RECORDER_SECRET });
    expect(result.stderr).toContain('stored');
    expect(result.code).toBe(0);
    const events = await fileEvents(t, sessionId);
    expect(events).toHaveLength(1);
    expect(events[0].actor).toBe('recorder');
    expect(events[0].data).toMatchObject({ kind: 'recording', contentType: 'video/mp4', size: video.length, sha256: sha256(video) });
    // The name is in the files row; the event commits to it (docs/manifest.md §1.1).
    const row = await t.db.kysely.selectFrom('files').select('name').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
    expect(row.name).toBe(`${roomName}_2026-11-28-09-30-00.mp4`);
    expect(events[0].data.commitments).toEqual({ name: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('fails (non-zero) on a wrong secret, an unknown room or a missing metadata file, storing nothing', async () => {
    const { sessionId, roomName } = await createConference(t, owner);
    const video = randomBytes(1000);
    const wrongSecret = await run(jibriDir(t.dataDir, `https://meet.example.org/${roomName}`, roomName, video), {
      V4H_URL: t.baseUrl,
      V4H_RECORDER_SECRET: 'nope',
    });
    expect(wrongSecret.code).not.toBe(0);
    expect(wrongSecret.stderr).toContain('failed');
    const unknownRoom = await run(jibriDir(t.dataDir, 'https://meet.example.org/v4h-nobody', 'v4h-nobody', video), {
      V4H_URL: t.baseUrl,
      V4H_RECORDER_SECRET: RECORDER_SECRET,
    });
    expect(unknownRoom.code).not.toBe(0);
    const empty = path.join(t.dataDir, 'empty');
    fs.mkdirSync(empty);
    expect((await run(empty, { V4H_URL: t.baseUrl, V4H_RECORDER_SECRET: RECORDER_SECRET })).code).toBe(2);
    expect(await fileEvents(t, sessionId)).toEqual([]);
  });
});
