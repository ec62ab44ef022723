// Recording in Jitsi mode (issue 21) with the SDK in Chromium and the stand-in Jitsi: the owner's startRecording asks
// Jitsi's recorder (executeCommand('startRecording', { mode: 'file' })), the server's log turns into the SDK's
// recordingStarted/Stopped, and the file Jibri's finalize script uploads becomes recordingStored. Without a recorder,
// Jitsi's `service-unavailable` becomes recordingUnavailable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic, type Clinic } from './support/clinic.js';
import { standInJitsiEngine, type E2EEngine } from './support/engines.js';
import { call, events, openClinic, startServer, waitForEvent, type E2EWorld } from './support/suite.js';

type W = Window & Record<string, any>;
const RECORDER_SECRET = 'e2e-recorder-secret-0123456789abcdef';
const FINALIZE = new URL('../../examples/jibri/finalize.sh', import.meta.url).pathname;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('recording in Jitsi mode — stand-in Jitsi', () => {
  const world = { contexts: [] as BrowserContext[] } as E2EWorld;
  let browser: Browser;
  let engine: E2EEngine;
  let clinic: Clinic;
  let server: TestApp;

  beforeAll(async () => {
    ensureClientBuilt();
    engine = await standInJitsiEngine();
    clinic = await startClinic();
    server = await startServer(engine, clinic, { V4H_RECORDER_SECRET: RECORDER_SECRET, V4H_EVENT_POLL_INTERVAL_MS: '200' });
    browser = await launchChromium();
    Object.assign(world, { browser, engine, clinic, server });
  });
  afterAll(async () => {
    await Promise.all(world.contexts.splice(0).map((c) => c.close()));
    await browser?.close();
    await server?.close();
    await clinic?.close();
    await engine?.close();
  });

  /** The owner in a call (its page logging the recording events), the stand-in's meeting page in its iframe. */
  async function ownerInCall() {
    const owner = await openClinic(world);
    await owner.page.evaluate(() => {
      const w = window as unknown as W;
      for (const e of ['recordingStarted', 'recordingStopped', 'recordingStored', 'recordingUnavailable']) w.v4h.on(e, (p: unknown) => w.log.push([e, p]));
    });
    const sessionId = (await call(owner.page, 'requestConference')).value as string;
    expect((await call(owner.page, 'startConference', sessionId, '#call', 480, 360, 'Dr. Ana')).value).toBe('ok');
    await waitForEvent(owner.page, 'joined');
    return { ...owner, sessionId, meeting: owner.page.frameLocator('#call > iframe').locator('main') };
  }
  const payload = async (page: Page, name: string) => (await events(page, name))[0][1];

  it('start → Jitsi records → stop → the file Jibri finalizes is recordingStored, its bytes hashing as reported', async () => {
    const owner = await ownerInCall();
    const { sessionId } = owner;
    const patient = await openClinic(world);
    await patient.page.evaluate(() => {
      const w = window as unknown as W;
      w.v4h.on('consentRequested', (r: { sessionId: string; requestId: string }) => w.v4h.answerConsent(r.sessionId, r.requestId, true));
    });
    expect((await call(patient.page, 'joinConference', sessionId, '#call', 480, 360, 'Pat')).value).toBe('ok');
    await waitForEvent(patient.page, 'joined');
    await waitForEvent(owner.page, 'participantJoined');
    // The server requires the consent of everyone present (the patient, once its presence is reported): refused until
    // the patient's SDK answers the request it is shown.
    const missing = async () => {
      const res = await fetch(`${server.baseUrl}/api/conferences/${sessionId}/recording`, { headers: { authorization: `Bearer ${owner.accessToken}` } });
      return ((await res.json()) as { missing: string[] }).missing.length;
    };
    await expect.poll(missing, { timeout: 10_000 }).toBe(1);
    expect((await call(owner.page, 'startRecording')).error).toMatchObject({ code: 'consent_missing', status: 409 });
    expect(await owner.meeting.getAttribute('data-last-command')).toBeNull();
    await call(owner.page, 'requestConsent', sessionId, { purpose: 'recording', text: 'This visit is recorded.', locale: 'en' });
    await expect.poll(missing, { timeout: 10_000 }).toBe(0);
    expect((await call(owner.page, 'startRecording')).value).toBe('ok');

    await expect.poll(() => owner.meeting.getAttribute('data-last-command')).toBe('startRecording');
    expect(JSON.parse((await owner.meeting.getAttribute('data-last-command-args'))!)).toEqual([{ mode: 'file' }]);
    await waitForEvent(owner.page, 'recordingStarted');
    expect(await payload(owner.page, 'recordingStarted')).toEqual({ sessionId });
    // Jitsi's recorder is in the room: everyone's meeting shows it.
    await expect.poll(() => patient.page.frameLocator('#call > iframe').locator('main').getAttribute('data-recording')).toBe('on');

    expect((await call(owner.page, 'stopRecording')).value).toBe('ok');
    expect(JSON.parse((await owner.meeting.getAttribute('data-last-command-args'))!)).toEqual(['file']);
    await waitForEvent(owner.page, 'recordingStopped');
    expect(await payload(owner.page, 'recordingStopped')).toEqual({ sessionId, reason: 'owner' });
    await expect.poll(() => owner.meeting.getAttribute('data-recording')).toBe('off');
    // The visit ends before Jibri's upload (as it does: Jibri finalizes after the meeting): the SDK keeps following the
    // conference's events for the recording it started, so recordingStored still comes.
    const meetingUrl = (await owner.page.locator('#call > iframe').getAttribute('src'))!;
    const room = (await owner.meeting.getAttribute('data-room'))!;
    await call(owner.page, 'endConference');
    await waitForEvent(owner.page, 'ended');

    // Jibri leaves <dir>/<room>_<time>.mp4 and metadata.json, then runs the finalize script on that directory.
    const video = randomBytes(200_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-jibri-'));
    fs.writeFileSync(path.join(dir, `${room}_2026-12-06-23-50-00.mp4`), video);
    fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify({ meeting_url: meetingUrl }));
    try {
      // Asynchronously: the server answering curl runs in this process.
      const env = { PATH: process.env.PATH, V4H_URL: server.baseUrl, V4H_RECORDER_SECRET: RECORDER_SECRET };
      expect((await promisify(execFile)('bash', [FINALIZE, dir], { env, timeout: 20_000 })).stderr).toContain('stored');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    await waitForEvent(owner.page, 'recordingStored');
    const { file } = (await payload(owner.page, 'recordingStored')) as { file: { sha256: string; size: number; url: string; uploader: string } };
    expect(file).toMatchObject({ sessionId, kind: 'recording', contentType: 'video/mp4', size: video.length, uploader: 'recorder' });
    expect(file.sha256).toBe(sha256(video));
    const bytes = Buffer.from(await (await fetch(file.url)).arrayBuffer());
    expect(sha256(bytes)).toBe(file.sha256);
    expect(await events(owner.page, 'recordingUnavailable')).toEqual([]);
    const order = (await owner.page.evaluate(() => (window as unknown as W).log.map((e: [string]) => e[0]))) as string[];
    expect(order.indexOf('ended')).toBeLessThan(order.indexOf('recordingStored'));
  });

  it('without a recorder, startRecording ends in recordingUnavailable with Jitsi’s reason', async () => {
    engine.recorder!(false);
    try {
      const owner = await ownerInCall();
      expect((await call(owner.page, 'startRecording')).value).toBe('ok');
      await waitForEvent(owner.page, 'recordingUnavailable');
      expect(await payload(owner.page, 'recordingUnavailable')).toEqual({ sessionId: owner.sessionId, reason: 'service-unavailable' });
      expect(await owner.meeting.getAttribute('data-recording')).toBeNull();
      // The log does not go on saying "recording": the SDK stopped what it had started, and says so.
      await waitForEvent(owner.page, 'recordingStopped');
      expect(await payload(owner.page, 'recordingStopped')).toEqual({ sessionId: owner.sessionId, reason: 'recorder_unavailable' });
      const status = await fetch(`${server.baseUrl}/api/conferences/${owner.sessionId}/recording`, {
        headers: { authorization: `Bearer ${owner.accessToken}` },
      });
      expect(await status.json()).toMatchObject({ state: 'idle', recordingId: null });
      await call(owner.page, 'endConference');
    } finally {
      engine.recorder!(true);
    }
  });
});
