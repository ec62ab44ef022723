// Recording in the built-in room: consent asked by the room and given by everyone, the owner's browser records (canvas +
// Web Audio + MediaRecorder) and uploads in chunks while it records; a refusal blocks it, a network cut is survived,
// a late joiner is asked before being recorded. ffprobe (Debian's ffmpeg) reads what was stored.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { consentAnswer, playAndSeek, probe, recordingHarness, sleep, TEXT } from './support/recording.js';
import { writeArtifact } from './support/suite.js';

// The test page's own globals (the SDK and the events it collected).
type W = Window & Record<string, any>;

const { h, callOfTwo, ownerAgrees, askConsent, storedRecording, recordFor, recordingCall } = recordingHarness();

describe('recording in the built-in room', () => {
  it('records everyone after everyone consented: one WebM with video and audio, its SHA-256 that of urlStorage', async () => {
    const { ownerUser, embed, owner, patient } = await callOfTwo();
    const { requestId } = await askConsent(embed.sessionId, ownerUser.auth);
    await consentAnswer(patient.meeting(), true);
    await ownerAgrees(embed.sessionId, requestId, ownerUser.auth);
    expect(await owner.meeting().isHidden('#consent')).toBe(true);
    const consents = (await h.api('GET', `/api/conferences/${embed.sessionId}/consents`, ownerUser.auth)).body;
    const sha = createHash('sha256').update(TEXT).digest('hex');
    expect(consents.items).toHaveLength(2);
    for (const c of consents.items) expect(c).toMatchObject({ requestId, purpose: 'recording', accepted: true, textSha256: sha, locale: 'en' });

    const link = await recordFor(owner, patient, 10_000);
    const owned = (await owner.events()).filter((e) => e.name === 'recordingStatusChanged');
    expect(owned.every((e) => !e.data.error)).toBe(true);

    const { file, bytes, urlStorage } = await storedRecording(embed.sessionId, ownerUser.auth);
    // Both are signed download links issued at different moments, so their expiry (and signature) may differ by a second:
    // the same file, and the event's link serves the same bytes.
    expect(new URL(link.data.link).pathname).toBe(new URL(file.url).pathname);
    expect(
      createHash('sha256')
        .update(Buffer.from(await (await fetch(link.data.link)).arrayBuffer()))
        .digest('hex'),
    ).toBe(file.sha256);
    expect(file.contentType).toMatch(/^video\/webm/);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    expect(bytes.length).toBe(file.size);
    const probed = probe(bytes);
    expect(probed.format).toContain('webm');
    expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(probed.streams.find((s) => s.codec_type === 'video')!.codec_name).toMatch(/^vp[89]$/);
    expect(probed.streams.find((s) => s.codec_type === 'audio')!.codec_name).toBe('opus');
    expect(probed.duration).toBeGreaterThan(8);
    expect(probed.duration).toBeLessThan(14);
    // The container says how long it is (MediaRecorder writes no Duration; the server adds it): players can seek.
    expect(Math.abs(probed.container - probed.duration)).toBeLessThan(1);
    expect(probed.errors).toBe('');

    // Chromium plays it from urlStorage and seeks: its duration is the container's, it lands where asked and plays on,
    // reading the file by Range.
    const played = await playAndSeek(owner.context, `${h.app.baseUrl}/healthz`, urlStorage);
    expect(Math.abs(played.duration - probed.container)).toBeLessThan(0.5);
    expect(Math.abs(played.seekedTo - played.target)).toBeLessThan(0.5);
    expect(played.playedTo).toBeGreaterThan(played.seekedTo + 0.3);
    expect(played.statuses).toContain(206);
  }, 180_000);

  it('does not start when someone declined: 409 consent_missing naming who', async () => {
    const { ownerUser, embed, owner, patient, patientId } = await callOfTwo();
    await askConsent(embed.sessionId, ownerUser.auth);
    await consentAnswer(patient.meeting(), false);
    // The owner's page is told someone declined.
    await owner.meeting().waitForSelector('#status:text("Someone declined to be recorded.")');

    const status = (await h.api('GET', `/api/conferences/${embed.sessionId}/recording`, ownerUser.auth)).body;
    const patientSubject = status.participants.find((p: { participantId: string }) => p.participantId === patientId).subject as string;
    expect(patientSubject).toMatch(/^user:/);
    const refused = await h.api('POST', `/api/conferences/${embed.sessionId}/recording/start`, ownerUser.auth, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('consent_missing');
    expect(refused.body.message).toContain(patientSubject);

    // The SDK's error is typed and names who (v4h.js, loaded by a page of the V4H server's origin).
    const sdk = await owner.context.newPage();
    await sdk.goto(`${h.app.baseUrl}/healthz`);
    await sdk.addScriptTag({ url: `${h.app.baseUrl}/v4h.js` });
    const sdkError = await sdk.evaluate(
      async ([token, id]) => {
        const v4h = new (window as W).V4H();
        await v4h.loginWithToken(token);
        return v4h.startRecording(id).then(
          () => null,
          (e: { name: string; code: string; status: number; message: string }) => ({ name: e.name, code: e.code, status: e.status, message: e.message }),
        );
      },
      [ownerUser.accessToken, embed.sessionId] as const,
    );
    expect(sdkError).toMatchObject({ name: 'V4HError', code: 'consent_missing', status: 409 });
    expect(sdkError!.message).toContain(patientSubject);
    await sdk.close();

    // The IFrame API says why, and nothing is recorded or stored.
    await owner.command('startRecording', { mode: 'file' });
    const failed = await owner.waitForEvent('recordingStatusChanged', (e) => e.data.on === false && !!e.data.error);
    expect(failed.data).toMatchObject({ mode: 'file', error: 'consent_missing' });
    expect(failed.data.message).toContain(patientSubject);
    await owner.meeting().waitForSelector('#status:text("Not everyone has agreed to be recorded: the recording did not start.")');
    expect(await patient.meeting().isHidden('#recording-indicator')).toBe(true);
    const files = (await h.api('GET', `/api/conferences/${embed.sessionId}/files`, ownerUser.auth)).body.items;
    expect(files).toEqual([]);
  }, 120_000);

  it('survives a network cut mid-recording: chunks are retried and the file is whole', async () => {
    const { ownerUser, embed, owner, patient } = await callOfTwo();
    await askConsent(embed.sessionId, ownerUser.auth);
    await consentAnswer(patient.meeting(), true);
    const refused: string[] = [];
    await recordFor(owner, patient, 12_000, async () => {
      await sleep(3000);
      // Every chunk upload fails for 5 s (as a dropped network would), then the network is back.
      await owner.context.route('**/recordings/*/chunks/*', (route) => (refused.push(route.request().url()), route.abort('internetdisconnected')));
      await sleep(5000);
      await owner.context.unroute('**/recordings/*/chunks/*');
    });
    expect(refused.length).toBeGreaterThan(0);
    const { file, bytes } = await storedRecording(embed.sessionId, ownerUser.auth);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    const probed = probe(bytes);
    expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(probed.duration).toBeGreaterThan(10);
    expect(Math.abs(probed.container - probed.duration)).toBeLessThan(1);
    expect(probed.errors).toBe('');
  }, 180_000);

  it('asks a late joiner before recording them (screenshots: the question and the mark, 390 px pt-BR and desktop en)', async () => {
    const { ownerUser, embed, owner, patient, patientId } = await recordingCall();
    const ownerId = (await owner.waitForEvent('videoConferenceJoined')).data.id;
    const recorded = async () => ((await owner.meeting().getAttribute('#meeting', 'data-recorded')) ?? '').split(' ').filter(Boolean).sort();
    await expect.poll(recorded, { timeout: 30_000 }).toEqual([ownerId, patientId].sort());

    const late = async (lang: 'pt-BR' | 'en', viewport: { width: number; height: number }, name: string): Promise<Page> => {
      const joined = await h.joinAs(embed.sessionId, name);
      const page = await h.openDirect(joined.embed, { viewport, locale: lang === 'pt-BR' ? 'pt-BR' : 'en-US', lang });
      page.on('console', (m) => m.type() !== 'log' && console.log(`[${name}] ${m.type()}: ${m.text()}`));
      await page.waitForSelector('#consent:not([hidden])');
      expect(await page.textContent('#consent-text')).toBe(TEXT);
      expect(await page.isVisible('#recording-indicator')).toBe(true);
      return page;
    };
    const phone = await late('pt-BR', { width: 390, height: 844 }, 'Ana');
    expect(await phone.textContent('#consent-accept')).toBe('Concordo');
    expect(await phone.textContent('#recording-indicator')).toContain('Gravando');
    writeArtifact('room-recording-consent-390-pt-BR.png', await phone.screenshot());
    const desk = await late('en', { width: 1280, height: 800 }, 'Bea');
    expect(await desk.textContent('#consent-accept')).toBe('I agree');
    writeArtifact('room-recording-consent-desktop-en.png', await desk.screenshot());

    // Not recorded while they have not answered.
    await sleep(2000);
    expect(await recorded()).toEqual([ownerId, patientId].sort());
    const anaId = (await owner.waitForEvent('participantJoined', (e) => e.data.displayName === 'Ana')).data.id as string;

    await phone.click('#consent-accept');
    await phone.waitForSelector('#consent', { state: 'hidden' });
    await expect.poll(recorded, { timeout: 30_000 }).toContain(anaId);
    await desk.click('#consent-accept');
    await desk.waitForSelector('#consent', { state: 'hidden' });
    await expect.poll(recorded, { timeout: 30_000 }).toHaveLength(4);
    writeArtifact('room-recording-indicator-390-pt-BR.png', await phone.screenshot());
    writeArtifact('room-recording-indicator-desktop-en.png', await desk.screenshot());

    await owner.command('stopRecording', 'file');
    await owner.waitForEvent('recordingLinkAvailable', () => true, 60_000);
    await patient.meeting().waitForSelector('#recording-indicator', { state: 'hidden', timeout: 10_000 });
    const { file, bytes } = await storedRecording(embed.sessionId, ownerUser.auth);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
  }, 180_000);

  it('through the SDK: consentRequested, startRecording, stopRecording, recordingStarted/Stopped/Stored (the room records a recording started over the API)', async () => {
    const ownerUser = await h.app.userSession();
    const sessionId = (await h.api('POST', '/api/conferences', ownerUser.auth, {})).body.sessionId as string;
    const context = await h.browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => m.type() !== 'log' && console.log(`[sdk] ${m.type()}: ${m.text()}`));
    await page.goto(`${h.app.baseUrl}/healthz`);
    await page.addScriptTag({ url: `${h.app.baseUrl}/v4h.js` });
    await page.evaluate(
      async ([token, id]) => {
        const w = window as W;
        document.body.innerHTML = '<div id="call"></div>';
        w.sdkEvents = [];
        w.v4h = new w.V4H();
        for (const name of ['consentRequested', 'recordingStarted', 'recordingStopped', 'recordingStored', 'recordingUnavailable', 'joined'])
          w.v4h.on(name, (data: unknown) => w.sdkEvents.push({ name, data }));
        await w.v4h.loginWithToken(token);
        await w.v4h.startConference(id, document.getElementById('call'), 640, 480, 'Dr Owner');
      },
      [ownerUser.accessToken, sessionId] as const,
    );
    const sdkEvent = async (name: string) => {
      await page.waitForFunction((n) => (window as W).sdkEvents.some((e: { name: string }) => e.name === n), name, { timeout: 60_000 });
      return page.evaluate((n) => (window as W).sdkEvents.find((e: { name: string }) => e.name === n).data, name);
    };
    await sdkEvent('joined');
    const second = await h.joinAs(sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    await patient.waitForEvent('videoConferenceJoined');
    await patient.expectVideoFlowing();

    const request = await page.evaluate(([id, text]) => (window as W).v4h.requestConsent(id, { purpose: 'recording', text, locale: 'en' }), [
      sessionId,
      TEXT,
    ] as const);
    expect(request).toMatchObject({ purpose: 'recording', text: TEXT });
    expect(await sdkEvent('consentRequested')).toEqual({ sessionId, requestId: request.requestId, purpose: 'recording', text: TEXT, locale: 'en' });
    await consentAnswer(patient.meeting(), true);

    await page.evaluate(() => (window as W).v4h.startRecording());
    expect(await sdkEvent('recordingStarted')).toEqual({ sessionId });
    await patient.meeting().waitForSelector('#recording-indicator:not([hidden])');
    await sleep(6000);
    await page.evaluate(() => (window as W).v4h.stopRecording());
    expect(await sdkEvent('recordingStopped')).toEqual({ sessionId, reason: 'owner' });
    const stored = await sdkEvent('recordingStored');
    expect(stored.sessionId).toBe(sessionId);
    expect(stored.file).toMatchObject({ kind: 'recording', contentType: expect.stringMatching(/^video\/webm/) });
    const bytes = Buffer.from(await (await fetch(stored.file.url)).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(stored.file.sha256);
    const probed = probe(bytes);
    expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(probed.duration).toBeGreaterThan(4);
    expect(Math.abs(probed.container - probed.duration)).toBeLessThan(1);
    expect(probed.errors).toBe('');
    expect(await page.evaluate(() => (window as W).sdkEvents.filter((e: { name: string }) => e.name === 'recordingUnavailable'))).toEqual([]);
    await context.close();
  }, 180_000);
});
