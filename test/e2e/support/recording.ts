// What the built-in room's recording tests share: a call of two, consent asked and answered, the stored recording
// fetched, and what ffprobe (Debian's ffmpeg) reads of it.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Frame } from 'playwright-core';
import { RoomHarness, type Participant } from './room-harness.js';

export const TEXT = 'This visit is recorded for your medical record. You may say no.';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What ffprobe reads: the streams' kinds and codecs, the container's duration (the Duration the server writes into
 * MediaRecorder's WebM; NaN without one) and the last packet's time (the recorded length).
 */
export function probe(bytes: Buffer) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-rec-')), 'recording.webm');
  fs.writeFileSync(file, bytes);
  const info = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration,format_name:stream=codec_type,codec_name', '-of', 'json', file], {
      encoding: 'utf8',
    }),
  );
  const times = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' })
    .split('\n')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
  const duration = Math.max(0, ...times);
  const container = Number(info.format?.duration ?? NaN);
  // Decodes it all: a file cut in the middle (a lost chunk) fails here.
  const errors = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return {
    format: info.format?.format_name as string,
    streams: info.streams as Array<{ codec_type: string; codec_name: string }>,
    duration,
    container,
    errors,
  };
}

export async function consentAnswer(frame: Frame, accept: boolean) {
  await frame.waitForSelector('#consent:not([hidden])');
  expect(await frame.textContent('#consent-text')).toBe(TEXT);
  await frame.click(accept ? '#consent-accept' : '#consent-decline');
  await frame.waitForSelector('#consent', { state: 'hidden' });
}

/**
 * A harness for the file's tests (a server with a room of up to four, each test's browsers closed after it) and the
 * steps that drive it.
 */
export function recordingHarness() {
  const h = new RoomHarness();
  beforeAll(async () => {
    await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '4', V4H_ROOM_GRACE_PERIOD: '3', V4H_EVENT_POLL_INTERVAL_MS: '200' });
  });
  afterEach(async () => {
    await h.closeContexts();
  });
  afterAll(async () => {
    await h.stop();
  });
  return { h, ...recordingSteps(h) };
}

/** The helpers that drive a harness's server and browsers. */
function recordingSteps(h: RoomHarness) {
  /** A call of the owner and a patient (another account), both seeing each other. */
  async function callOfTwo() {
    const { owner: ownerUser, embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    const patientJoined = await patient.waitForEvent('videoConferenceJoined');
    for (const [who, side] of [
      ['owner', owner],
      ['patient', patient],
    ] as const) {
      side.page.on('console', (m) => m.type() !== 'log' && console.log(`[${who}] ${m.type()}: ${m.text()}`));
    }
    await owner.expectVideoFlowing();
    await patient.expectVideoFlowing();
    return { ownerUser, embed, owner, patient, patientId: patientJoined.data.id as string, patientUser: second.user };
  }

  /** The owner (not asked by the room: they start the recording) agrees too, through the API. */
  async function ownerAgrees(sessionId: string, requestId: string, auth: { authorization: string }) {
    const answered = await h.api('POST', `/api/conferences/${sessionId}/consent-requests/${requestId}/answer`, auth, { accepted: true, locale: 'en' });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
  }

  async function askConsent(sessionId: string, auth: { authorization: string }) {
    const asked = await h.api('POST', `/api/conferences/${sessionId}/consent-requests`, auth, { purpose: 'recording', text: TEXT, locale: 'en' });
    expect(asked.status, JSON.stringify(asked.body)).toBeLessThan(300);
    expect(asked.body).toMatchObject({ purpose: 'recording', text: TEXT, textSha256: createHash('sha256').update(TEXT).digest('hex') });
    return asked.body as { requestId: string };
  }

  async function storedRecording(sessionId: string, auth: { authorization: string }) {
    const details = await h.api('GET', `/api/conferences/${sessionId}`, auth);
    const files = (await h.api('GET', `/api/conferences/${sessionId}/files`, auth)).body.items.filter((f: { kind: string }) => f.kind === 'recording');
    expect(files).toHaveLength(1);
    const url = details.body.urlStorage ?? files[0].url;
    const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
    return { file: files[0], bytes, urlStorage: details.body.urlStorage };
  }

  async function recordFor(owner: Participant, patient: Participant, ms: number, during?: () => Promise<void>) {
    await owner.command('startRecording', { mode: 'file' });
    await owner.waitForEvent('recordingStatusChanged', (e) => e.data.on === true);
    await patient.waitForEvent('recordingStatusChanged', (e) => e.data.on === true);
    await patient.meeting().waitForSelector('#recording-indicator:not([hidden])');
    const started = Date.now();
    await during?.();
    await sleep(Math.max(0, ms - (Date.now() - started)));
    await owner.command('stopRecording', 'file');
    await owner.waitForEvent('recordingStatusChanged', (e) => e.data.on === false, 60_000);
    const link = await owner.waitForEvent('recordingLinkAvailable', () => true, 60_000);
    await patient.meeting().waitForSelector('#recording-indicator', { state: 'hidden', timeout: 10_000 });
    return link;
  }
  /**
   * A call of two where the patient consented and the owner started recording (the room's own recorder); `status`
   * reads the conference's recording status.
   */
  async function recordingCall() {
    const call = await callOfTwo();
    await askConsent(call.embed.sessionId, call.ownerUser.auth);
    await consentAnswer(call.patient.meeting(), true);
    await call.owner.command('startRecording', { mode: 'file' });
    await call.owner.waitForEvent('recordingStatusChanged', (e) => e.data.on === true);
    const status = async () => (await h.api('GET', `/api/conferences/${call.embed.sessionId}/recording`, call.ownerUser.auth)).body;
    return { ...call, status };
  }
  return { callOfTwo, ownerAgrees, askConsent, storedRecording, recordFor, recordingCall };
}

/**
 * Chromium plays the stored file from its URL and seeks into it: a <video> reads its duration (the Duration the
 * server wrote), jumps to 60 % and plays on from there. Returns what the element says and the HTTP statuses of its
 * requests (206: it fetched by Range).
 */
export async function playAndSeek(context: BrowserContext, pageUrl: string, url: string) {
  const page = await context.newPage();
  const statuses: number[] = [];
  page.on('response', (r) => r.url() === url && statuses.push(r.status()));
  await page.goto(pageUrl);
  const played = await page.evaluate(async (src) => {
    const video = document.createElement('video');
    video.muted = true;
    document.body.append(video);
    const next = (name: string) =>
      new Promise<void>((resolve, reject) => {
        video.addEventListener(name, () => resolve(), { once: true });
        video.addEventListener('error', () => reject(new Error(`media error ${video.error?.code}: ${video.error?.message}`)), { once: true });
      });
    const loaded = next('loadedmetadata');
    video.src = src;
    await loaded;
    const duration = video.duration;
    const target = duration * 0.6;
    const seeked = next('seeked');
    video.currentTime = target;
    await seeked;
    const seekedTo = video.currentTime;
    await video.play();
    await new Promise((r) => setTimeout(r, 1000));
    return { duration, target, seekedTo, playedTo: video.currentTime };
  }, url);
  await page.close();
  return { ...played, statuses };
}
