// Built-in room screen share: Jitsi's command and events, the screen shown large to the others, no renegotiation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomHarness } from './support/room-harness.js';

const h = new RoomHarness();

beforeAll(async () => {
  await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '4', V4H_ROOM_GRACE_PERIOD: '3' });
});
afterAll(async () => {
  await h.stop();
});

describe('built-in room screen share', () => {
  it('sends the screen in place of the camera on the same connection, shown large to the others', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    const ownerJoined = await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    await patient.waitForEvent('videoConferenceJoined');
    await patient.expectVideoFlowing();
    const connections = await patient.meeting().evaluate(() => (window as any).__pcCount());
    expect(await owner.call('isSharingScreen')).toBe(false);

    await owner.command('toggleShareScreen');
    expect((await owner.waitForEvent('screenSharingStatusChanged')).data).toMatchObject({ on: true });
    expect(await owner.call('isSharingScreen')).toBe(true);
    expect((await owner.waitForEvent('contentSharingParticipantsChanged')).data).toEqual({ data: [ownerJoined.data.id] });
    expect((await patient.waitForEvent('contentSharingParticipantsChanged')).data).toEqual({ data: [ownerJoined.data.id] });
    const frame = patient.meeting();
    await frame.waitForSelector(`.stage.presenting .tile.screen[data-participant="${ownerJoined.data.id}"]`);
    // The fake screen is 1280 wide, the camera 640: the owner's connection now sends the screen (what the encoder
    // makes of it depends on the machine's load, so the source is checked), and the patient keeps decoding.
    await owner
      .meeting()
      .waitForFunction(async () => (await (window as any).__videoSourceWidths()).some((w: number) => w >= 1280), undefined, { timeout: 60_000, polling: 500 });
    const { first, later } = await patient.expectVideoFlowing();
    expect(later.frames).toBeGreaterThan(first.frames);
    expect(await frame.evaluate(() => (window as any).__pcCount())).toBe(connections);
    expect(await owner.meeting().textContent('#share')).toBe('Stop sharing');
    await patient.page.screenshot({ path: new URL('./artifacts/room-en-screen-share.png', import.meta.url).pathname });

    await owner.command('toggleShareScreen');
    await owner.waitForEvent('screenSharingStatusChanged', (e) => e.data.on === false);
    await patient.waitForEvent('contentSharingParticipantsChanged', (e) => e.data.data.length === 0);
    await frame.waitForSelector('.stage:not(.presenting)');
    const after = await patient.expectVideoFlowing();
    expect(after.later.frames).toBeGreaterThan(after.first.frames);
    expect(await frame.evaluate(() => (window as any).__pcCount())).toBe(connections);
  });
});
