// Built-in room devices: the IFrame API's device calls, and a blocked camera or microphone explained (never a silent Unmute).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './support/browser.js';
import { RoomHarness } from './support/room-harness.js';

const h = new RoomHarness();
/** Fake devices but no automatic "Allow": headless Chromium refuses what the context was not granted, as a blocked site. */
let strict: Browser;

beforeAll(async () => {
  await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '4', V4H_ROOM_GRACE_PERIOD: '3' });
  strict = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream') });
});
afterAll(async () => {
  await h.stop();
  await strict?.close();
});

describe('built-in room devices', () => {
  it('lists, reports and switches devices through the IFrame API while the call goes on', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    await patient.waitForEvent('videoConferenceJoined');
    await owner.expectVideoFlowing();

    const available = await patient.call<any>('getAvailableDevices');
    expect(available.audioInput.length).toBeGreaterThan(1);
    expect(available.videoInput.length).toBeGreaterThan(0);
    for (const d of [...available.audioInput, ...available.videoInput]) expect(d).toMatchObject({ deviceId: expect.any(String), label: expect.any(String) });
    const current = await patient.call<any>('getCurrentDevices');
    expect(available.videoInput.map((d: any) => d.deviceId)).toContain(current.videoInput.deviceId);
    expect(available.audioInput.map((d: any) => d.deviceId)).toContain(current.audioInput.deviceId);
    expect(await patient.call('isDeviceChangeAvailable', 'input')).toBe(true);
    expect(await patient.call('isDeviceListAvailable')).toBe(true);

    // By label, as Jitsi's setAudioInputDevice(label, id) allows; the new microphone is the one in use.
    const other = available.audioInput.find((d: any) => d.deviceId !== current.audioInput.deviceId);
    expect(await patient.call('setAudioInputDevice', other.label)).toBe(true);
    expect((await patient.call<any>('getCurrentDevices')).audioInput.deviceId).toBe(other.deviceId);
    expect(await patient.call('setVideoInputDevice', 'no such camera', 'no-such-id')).toBe(false);
    expect(await patient.call('setVideoInputDevice', undefined, current.videoInput.deviceId)).toBe(true);
    // Still in the call, the owner still decodes the patient's video.
    const { first, later } = await owner.expectVideoFlowing();
    expect(later.frames).toBeGreaterThan(first.frames);

    // The page's own panel lists the same devices.
    await patient.meeting().click('#devices-toggle');
    await patient.meeting().waitForSelector('#devices:not([hidden]) #device-audioInput option', { state: 'attached' });
    expect(await patient.meeting().inputValue('#device-audioInput')).toBe(other.deviceId);

    // isAudioMuted answers from the page.
    await patient.meeting().click('#mic');
    await patient.waitForEvent('audioMuteStatusChanged');
    expect(await patient.call('isAudioMuted')).toBe(true);
  });

  it('explains a blocked camera, keeps the microphone, and starts the camera once allowed', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat', { browser: strict, permissions: ['microphone'] });
    await patient.waitForEvent('videoConferenceJoined');
    const error = await patient.waitForEvent('cameraError');
    expect(error.data).toMatchObject({ type: 'gum.permission_denied', message: expect.stringContaining('NotAllowedError') });
    expect((await patient.events()).map((e) => e.name)).not.toContain('micError');
    const frame = patient.meeting();
    await frame.waitForSelector('#media-problem:not([hidden])');
    expect(await frame.textContent('#media-problem-title')).toBe('Your camera is blocked');
    expect(await frame.textContent('#media-problem-how')).toContain('address bar');
    expect(await patient.call('isVideoMuted')).toBe(true);
    expect(await patient.call('isAudioMuted')).toBe(false);
    expect(await frame.textContent('#cam')).toBe('Start camera');
    await owner.meeting().waitForSelector('.tile:not(.local).video-off');

    // "Start camera" while still blocked: explained again, never silent.
    await frame.click('#media-dismiss');
    await frame.click('#cam');
    await frame.waitForSelector('#media-problem:not([hidden])');
    await patient.waitForEvent('cameraError', (e) => e !== error);
    expect((await patient.events()).filter((e) => e.name === 'cameraError')).toHaveLength(2);

    // Allowed now: "Try again" starts the camera without renegotiating, and the owner sees it.
    for (const origin of [h.app.baseUrl, new URL(h.hostUrl).origin]) await patient.context.grantPermissions(['microphone', 'camera'], { origin });
    await frame.click('#media-retry');
    expect((await patient.waitForEvent('videoMuteStatusChanged')).data).toEqual({ muted: false });
    await frame.waitForSelector('#media-problem', { state: 'hidden' });
    expect(await patient.call('isVideoMuted')).toBe(false);
    await owner.meeting().waitForSelector('.tile:not(.local):not(.video-off)');
    const { first, later } = await owner.expectVideoFlowing();
    expect(later.frames).toBeGreaterThan(first.frames);
  });

  it('explains both devices blocked in Portuguese, and Unmute says so instead of doing nothing', async () => {
    const { embed } = await h.startConference();
    const patient = await h.open(embed, 'Paciente', { browser: strict, permissions: [], extra: { lang: 'pt-BR' } });
    await patient.waitForEvent('videoConferenceJoined');
    await patient.waitForEvent('cameraError');
    await patient.waitForEvent('micError');
    const frame = patient.meeting();
    await frame.waitForSelector('#media-problem:not([hidden])');
    expect(await frame.textContent('#media-problem-title')).toBe('Sua câmera e seu microfone estão bloqueados');
    expect(await frame.textContent('#media-problem-how')).toContain('barra de endereços');
    expect(await patient.call('isAudioMuted')).toBe(true);
    expect(await frame.textContent('#mic')).toBe('Ativar som');
    await frame.click('#media-dismiss');
    await patient.command('toggleAudio');
    await frame.waitForSelector('#media-problem:not([hidden])');
    expect(await frame.textContent('#media-problem-title')).toBe('Seu microfone está bloqueado');
    expect((await patient.events()).filter((e) => e.name === 'micError')).toHaveLength(2);
    expect((await patient.events()).map((e) => e.name)).not.toContain('audioMuteStatusChanged');
    await frame.page().screenshot({ path: new URL('./artifacts/room-pt-BR-blocked.png', import.meta.url).pathname });
  });
});
