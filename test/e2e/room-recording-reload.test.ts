// Recording in the built-in room when the owner's meeting page reloads mid-recording (issue 21). Its own file, so that
// it gets a fresh server and browser: reloading a recording page is the heaviest thing the recorder does.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { probe, recordingHarness, sleep } from './support/recording.js';

const { h, storedRecording, recordingCall } = recordingHarness();

describe('a reload of the recording page', () => {
  it('mid-recording: the part before is completed, a new part records on; the record lists both', async () => {
    const { ownerUser, embed, owner, status } = await recordingCall();
    const first = (await status()).recordingId as string;
    expect(first).toBeTruthy();
    await sleep(5000);

    // The owner's meeting page reloads (the IFrame API's host page stays): it completes what the old page stored
    // (kept in sessionStorage) and starts a new recording, as the log still says the call is being recorded.
    await owner.meeting().evaluate(() => location.reload());
    // Stopped (null) for a moment, then the new part's id.
    const next = async () => {
      const id = (await status()).recordingId as string | null;
      return id && id !== first ? id : null;
    };
    await expect.poll(next, { timeout: 60_000 }).toBeTruthy();
    const second = (await next())!;
    await sleep(4000);
    expect((await h.api('POST', `/api/conferences/${embed.sessionId}/recording/stop`, ownerUser.auth, {})).status).toBe(200);
    const recordings = async () =>
      (await h.api('GET', `/api/conferences/${embed.sessionId}/files`, ownerUser.auth)).body.items.filter((f: { kind: string }) => f.kind === 'recording');
    await expect.poll(async () => (await recordings()).length, { timeout: 60_000 }).toBe(2);

    const parts = await recordings();
    for (const [i, part] of parts.entries()) {
      const bytes = Buffer.from(await (await fetch(part.url)).arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(part.sha256);
      const probed = probe(bytes);
      expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
      expect(probed.duration, `part ${i}`).toBeGreaterThan(i === 0 ? 3 : 2);
      expect(Math.abs(probed.container - probed.duration)).toBeLessThan(1);
      expect(probed.errors).toBe('');
    }
    // The record: two recordings, each started, stopped and stored; urlStorage is the first part.
    const log = (
      await h.app.db.kysely.selectFrom('conference_events').select(['type', 'data']).where('session_id', '=', embed.sessionId).orderBy('seq').execute()
    )
      .filter((e) => e.type.startsWith('recording_') || e.type === 'file_stored')
      .map((e) => [e.type, JSON.parse(e.data).recordingId ?? JSON.parse(e.data).fileId]);
    expect(log).toEqual([
      ['recording_started', first],
      ['recording_stopped', first],
      ['file_stored', parts[0].fileId],
      ['recording_started', second],
      ['recording_stopped', second],
      ['file_stored', parts[1].fileId],
    ]);
    const details = await h.api('GET', `/api/conferences/${embed.sessionId}`, ownerUser.auth);
    expect(new URL(details.body.urlStorage).pathname).toBe(new URL(parts[0].url).pathname);
  }, 180_000);

  it('before the first chunk was stored: records on into the same recording: one file', async () => {
    const { ownerUser, embed, owner, status } = await recordingCall();
    const { recordingId } = await status();
    // Within the first 2 s timeslice: the server has no chunk of it yet.
    await owner.meeting().evaluate(() => location.reload());
    const upload = async () => (await h.api('GET', `/api/conferences/${embed.sessionId}/recordings/${recordingId}`, ownerUser.auth)).body;
    await expect.poll(async () => (await upload()).nextIndex, { timeout: 60_000 }).toBeGreaterThan(1);
    expect(await status()).toMatchObject({ state: 'recording', recordingId });
    expect((await h.api('POST', `/api/conferences/${embed.sessionId}/recording/stop`, ownerUser.auth, {})).status).toBe(200);
    await expect.poll(async () => (await upload()).state, { timeout: 60_000 }).toBe('complete');
    const { file, bytes } = await storedRecording(embed.sessionId, ownerUser.auth);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    const probed = probe(bytes);
    expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(probed.duration).toBeGreaterThan(2);
    expect(Math.abs(probed.container - probed.duration)).toBeLessThan(1);
    expect(probed.errors).toBe('');
  }, 180_000);
});
