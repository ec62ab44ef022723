// A real WebM (VP8 + Opus, made by Debian's ffmpeg) cut into chunks, sent through the live recording's chunked upload
// and completed: the stored file is the same bytes, and ffprobe reads its streams and duration (issue 21, without
// Chromium). A MediaRecorder WebM (no Duration: fixtures/, captured from Chromium) is stored with its Duration written
// in, and the record's SHA-256 is that of the stored bytes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConference, createFilesTestApp, fileEvents, sha256, type FilesTestApp, type Session } from '../test-support/storage.js';

const SECONDS = 3;

describe('a WebM recorded in chunks', () => {
  let t: FilesTestApp;
  let owner: Session;
  beforeAll(async () => {
    t = await createFilesTestApp('file', { env: { V4H_MAX_UPLOAD_BYTES: String(64 * 1024 * 1024) } });
    owner = await t.userSession();
  });
  afterAll(async () => t?.close());

  it('round-trips through chunks and plays: same SHA-256, a video and an audio stream of the right duration', async () => {
    const source = path.join(t.dataDir, 'source.webm');
    execFileSync('ffmpeg', [
      '-loglevel', 'error',
      '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=15:duration=${SECONDS}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:duration=${SECONDS}`,
      '-c:v', 'libvpx', '-b:v', '300k', '-c:a', 'libopus', '-shortest', source,
    ]); // prettier-ignore
    const bytes = fs.readFileSync(source);
    const { sessionId } = await createConference(t, owner);
    const json = { ...owner.auth, 'content-type': 'application/json' };
    const started = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/recording/start`, {
      method: 'POST',
      headers: json,
      body: '{"mimeType":"video/webm;codecs=vp8,opus"}',
    });
    expect(started.status).toBe(201);
    const { recordingId } = (await started.json()) as { recordingId: string };
    // MediaRecorder-sized pieces: a timeslice's worth each, cut anywhere (not at cluster boundaries).
    const size = Math.ceil(bytes.length / 7);
    for (let i = 0, at = 0; at < bytes.length; i++, at += size) {
      const res = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/recordings/${recordingId}/chunks/${i}`, {
        method: 'PUT',
        headers: { ...owner.auth, 'content-type': 'application/octet-stream' },
        body: bytes.subarray(at, at + size),
      });
      expect(res.status).toBe(201);
    }
    expect((await fetch(`${t.baseUrl}/api/conferences/${sessionId}/recording/stop`, { method: 'POST', headers: owner.auth })).status).toBe(200);
    const completed = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/recordings/${recordingId}/complete`, { method: 'POST', headers: owner.auth });
    expect(completed.status).toBe(201);
    const file = (await completed.json()) as { sha256: string; url: string };
    expect(file.sha256).toBe(sha256(bytes));

    const downloaded = Buffer.from(await (await fetch(file.url)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(bytes));
    const copy = path.join(t.dataDir, 'downloaded.webm');
    fs.writeFileSync(copy, downloaded);
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', copy]).toString()) as {
      format: { format_name: string; duration: string };
      streams: Array<{ codec_type: string; codec_name: string }>;
    };
    expect(probe.format.format_name).toContain('webm');
    expect(probe.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:opus', 'video:vp8']);
    expect(Number(probe.format.duration)).toBeGreaterThan(SECONDS - 0.5);
    expect(Number(probe.format.duration)).toBeLessThan(SECONDS + 0.5);
  });

  it('stores a MediaRecorder WebM with its Duration: ffprobe reads the recorded length, the SHA-256 is of the stored bytes', async () => {
    const bytes = fs.readFileSync(new URL('./fixtures/mediarecorder-3s.webm', import.meta.url));
    const { sessionId } = await createConference(t, owner);
    const json = { ...owner.auth, 'content-type': 'application/json' };
    const started = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/recording/start`, { method: 'POST', headers: json, body: '{}' });
    const { recordingId } = (await started.json()) as { recordingId: string };
    // Two-second timeslices of a 3 s recording: three pieces, the first one holding the head.
    const cuts = [0, 9000, 18000, bytes.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const res = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/recordings/${recordingId}/chunks/${i}`, {
        method: 'PUT',
        headers: { ...owner.auth, 'content-type': 'application/octet-stream' },
        body: bytes.subarray(cuts[i], cuts[i + 1]),
      });
      expect(res.status).toBe(201);
    }
    const completed = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/recordings/${recordingId}/complete`, { method: 'POST', headers: owner.auth });
    expect(completed.status).toBe(201);
    const file = (await completed.json()) as { sha256: string; size: number; url: string };
    const downloaded = Buffer.from(await (await fetch(file.url)).arrayBuffer());
    expect(file.size).toBe(bytes.length + 11);
    expect(downloaded.length).toBe(file.size);
    expect(sha256(downloaded)).toBe(file.sha256);
    expect(file.sha256).not.toBe(sha256(bytes));
    const stored = (await fileEvents(t, sessionId)).map((e) => e.data as { sha256: string; size: number });
    expect(stored).toEqual([expect.objectContaining({ sha256: file.sha256, size: file.size })]);
    const copy = path.join(t.dataDir, 'mediarecorder.webm');
    fs.writeFileSync(copy, downloaded);
    const format = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_format', '-of', 'json', copy]).toString()).format as { duration: string };
    const last = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', copy], { encoding: 'utf8' });
    const recorded = Math.max(...last.split('\n').map(Number).filter(Number.isFinite));
    expect(Math.abs(Number(format.duration) - recorded)).toBeLessThan(1);
    expect(Number(format.duration)).toBeGreaterThan(2.5);
  });
});
