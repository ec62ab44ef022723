// Built-in room end to end: real server, a host page on another origin, real Chromium with fake camera and microphone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { RoomHarness } from './support/room-harness.js';

const h = new RoomHarness();
const GRACE_SECONDS = 8;

beforeAll(async () => {
  // A grace period long enough that a leave the page reported and one the server inferred stay apart on a busy machine.
  await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '2', V4H_ROOM_GRACE_PERIOD: String(GRACE_SECONDS) });
});
afterAll(async () => {
  await h.stop();
});

describe('built-in room', () => {
  it('connects two browsers that decode each other; mute and hang-up events reach the parent pages', async () => {
    const { owner: ownerUser, embed } = await h.startConference();
    expect(embed.scriptUrl).toBe(`${h.app.baseUrl}/external_api.js`);
    const owner = await h.open(embed, 'Dr Owner');
    const joined = await owner.waitForEvent('videoConferenceJoined');
    expect(joined.data).toMatchObject({ roomName: embed.roomName, displayName: 'Dr Owner' });
    await owner.meeting().waitForSelector('main[data-state="waiting"]');

    const second = await h.joinAs(embed.sessionId, 'Pat Patient');
    const patient = await h.open(second.embed, 'Pat Patient');
    await patient.waitForEvent('videoConferenceJoined');
    await patient.waitForEvent('participantJoined', (e) => e.data.displayName === 'Dr Owner');
    await owner.waitForEvent('participantJoined', (e) => e.data.displayName === 'Pat Patient');

    for (const side of [owner, patient]) {
      const { first, later } = await side.expectVideoFlowing();
      expect(first.frames).toBeGreaterThan(0);
      expect(later.frames).toBeGreaterThan(first.frames);
      expect(later.bytes).toBeGreaterThan(first.bytes);
    }
    expect(await owner.call('getNumberOfParticipants')).toBe(2);
    expect((await patient.call<any[]>('getParticipantsInfo')).map((p) => p.displayName).sort()).toEqual(['Dr Owner', 'Pat Patient']);
    await owner.meeting().waitForSelector('main[data-state="in-call"]');

    await patient.command('toggleAudio');
    expect((await patient.waitForEvent('audioMuteStatusChanged')).data).toEqual({ muted: true });
    expect(await patient.call('isAudioMuted')).toBe(true);
    await patient.command('toggleVideo');
    expect((await patient.waitForEvent('videoMuteStatusChanged')).data).toEqual({ muted: true });
    // The other side sees it: the tile shows the avatar instead of the video, and the muted mark.
    await owner.meeting().waitForSelector('.tile:not(.local).video-off .mic-off:not([hidden])');

    await patient.command('hangup');
    await patient.waitForEvent('videoConferenceLeft', (e) => e.data.roomName === embed.roomName);
    await patient.waitForEvent('readyToClose');
    await owner.waitForEvent('participantLeft', (e) => e.data.id !== joined.data.id);
    await owner.meeting().waitForSelector('main[data-state="waiting"]');
    const details = await h.api('GET', `/api/conferences/${embed.sessionId}`, ownerUser.auth);
    expect(details.body.state).toBe('started');
  });

  it("ends the room and the conference for everyone on the moderator's endConference", async () => {
    const { owner: ownerUser, embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    await patient.waitForEvent('videoConferenceJoined');

    // Not a moderator: refused, nothing ends.
    await patient.command('endConference');
    const refused = await patient.waitForEvent('errorOccurred');
    expect(refused.data.error).toMatchObject({ isFatal: false, name: 'conference.notModerator' });

    await owner.command('endConference');
    for (const side of [owner, patient]) {
      await side.waitForEvent('videoConferenceLeft');
      await side.waitForEvent('readyToClose');
      await side.meeting().waitForSelector('main[data-state="ended"]');
    }
    const details = await h.api('GET', `/api/conferences/${embed.sessionId}`, ownerUser.auth);
    expect(details.body.state).toBe('ended');
    expect(details.body.ended).not.toBeNull();
    // A token issued before the end no longer opens the room.
    const late = await h.open(second.embed, 'Pat again');
    expect((await late.waitForEvent('errorOccurred')).data.error).toMatchObject({ name: 'conference.destroyed', isFatal: true });
  });

  it('refuses forged, expired and other-room tokens with an error page, never half-joined', async () => {
    const { embed } = await h.startConference();
    const other = await h.startConference();
    const { appId, appSecret } = h.app.config.jitsi;
    const now = Math.floor(Date.now() / 1000);
    const claims = { room: embed.roomName, context: { user: { id: 'guest-x', name: 'Mallory', moderator: true } } };
    const sign = (secret: string, exp: number) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(appId!)
        .setAudience('jitsi')
        .setSubject('127.0.0.1')
        .setNotBefore(now - 60)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const cases = [
      { why: 'forged', jwt: await sign('not-the-room-secret-but-just-as-long!!', now + 600), title: 'not valid' },
      { why: 'expired', jwt: await sign(appSecret!, now - 5), title: 'expired' },
      { why: 'other room', jwt: other.embed.jwt, title: 'another call' },
    ];
    for (const c of cases) {
      const intruder = await h.open({ ...embed, jwt: c.jwt }, 'Mallory');
      const error = await intruder.waitForEvent('errorOccurred');
      expect(error.data.error, c.why).toMatchObject({ name: 'connection.passwordRequired', type: 'CONNECTION', isFatal: true });
      const frame = intruder.meeting();
      await frame.waitForSelector('#refused:not([hidden])');
      expect(await frame.textContent('#refused-title'), c.why).toContain(c.title);
      expect(
        (await intruder.events()).map((e) => e.name),
        c.why,
      ).not.toContain('videoConferenceJoined');
      expect(await frame.locator('.tile').count(), c.why).toBe(0);
    }
  });

  it('gives a participant beyond the cap a clear "room full"', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Second');
    await (await h.open(second.embed, 'Second')).waitForEvent('videoConferenceJoined');
    const third = await h.joinAs(embed.sessionId, 'Third');
    const late = await h.open(third.embed, 'Third');
    const error = await late.waitForEvent('errorOccurred');
    expect(error.data.error).toMatchObject({ name: 'conference.max_users', isFatal: true });
    await late.meeting().waitForSelector('#refused:not([hidden])');
    expect(await late.meeting().textContent('#refused-title')).toContain('full');
    expect(await owner.call('getNumberOfParticipants')).toBe(2);
  });

  it('resumes after a dropped signaling connection: same participant, no leave recorded, media flows again', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner', { extra: { configOverwrite: { startWithAudioMuted: true } } });
    const ownerJoined = await owner.waitForEvent('videoConferenceJoined');
    expect(await owner.call('isAudioMuted')).toBe(true);
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    const joined = await patient.waitForEvent('videoConferenceJoined');
    // The owner started muted: the patient's page shows it.
    await patient.meeting().waitForSelector('.tile:not(.local) .mic-off:not([hidden])');
    await patient.expectVideoFlowing();

    const reconnecting = patient.meeting().waitForSelector('main[data-state="reconnecting"]', { timeout: 15_000 });
    await patient.meeting().evaluate(() => (window as any).__sockets.at(-1).close(4000, 'network lost'));
    await reconnecting;
    await patient.meeting().waitForSelector('main[data-state="in-call"]');
    for (const side of [patient, owner]) {
      const { first, later } = await side.expectVideoFlowing();
      expect(later.frames).toBeGreaterThan(first.frames);
    }
    expect((await owner.events()).filter((e) => e.name === 'participantLeft')).toEqual([]);
    expect((await patient.events()).filter((e) => e.name === 'videoConferenceJoined')).toHaveLength(1);
    const rows = await h.app.db.kysely.selectFrom('conference_events').select('type').where('session_id', '=', embed.sessionId).execute();
    expect(rows.map((r) => r.type)).not.toContain('left');
    expect(joined.data.id).not.toBe(ownerJoined.data.id);

    // The controls work from the keyboard.
    await patient.meeting().locator('#mic').press('Enter');
    expect((await patient.waitForEvent('audioMuteStatusChanged')).data).toEqual({ muted: true });
    expect(await patient.meeting().getAttribute('#mic', 'aria-pressed')).toBe('true');
  });

  it('records the leave at once when the integrator hangs up and disposes right away (as the SDK does)', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    const joined = await patient.waitForEvent('videoConferenceJoined');
    const started = Date.now();
    await patient.page.evaluate(() => {
      (window as any).api.executeCommand('hangup');
      (window as any).api.dispose();
    });
    expect(await patient.page.locator('iframe').isVisible()).toBe(false);
    const left = await owner.waitForEvent('participantLeft', (e) => e.data.id === joined.data.id);
    // Well inside the grace period: the page told the server before its iframe went away.
    expect(left.at - started).toBeLessThan((GRACE_SECONDS - 2) * 1000);
    await patient.page.waitForSelector('iframe', { state: 'detached' });
  });

  it('sees a participant whose browser is killed as gone after the grace period', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    await owner.waitForEvent('videoConferenceJoined');
    const { chromium } = await import('playwright-core');
    const { CHROMIUM, CHROMIUM_ARGS } = await import('./support/browser.js');
    const server = await chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const doomedBrowser = await chromium.connect(server.wsEndpoint());
      const second = await h.joinAs(embed.sessionId, 'Doomed');
      const doomed = await h.open(second.embed, 'Doomed', { browser: doomedBrowser });
      const joined = await doomed.waitForEvent('videoConferenceJoined');
      await owner.waitForEvent('participantJoined', (e) => e.data.id === joined.data.id);
      const killedAt = Date.now();
      await server.kill();
      const left = await owner.waitForEvent('participantLeft', (e) => e.data.id === joined.data.id, 40_000);
      const after = left.at - killedAt;
      expect(after).toBeGreaterThanOrEqual((GRACE_SECONDS - 0.5) * 1000);
      expect(after).toBeLessThan((GRACE_SECONDS + 15) * 1000);
      // The server recorded it: the event log has the leave, and the conference goes on with the owner.
      const rows = await h.app.db.kysely
        .selectFrom('conference_events')
        .select(['type', 'data'])
        .where('session_id', '=', embed.sessionId)
        .orderBy('seq')
        .execute();
      expect(rows.filter((r) => r.type === 'left').map((r) => JSON.parse(r.data).participantId)).toContain(joined.data.id);
      expect(rows.map((r) => r.type)).not.toContain('ended');
    } finally {
      await server.close().catch(() => {});
    }
  });
});
