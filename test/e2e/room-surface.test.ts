// Built-in room, the rest of Jitsi's common surface: names and avatars, rooms info, roles, dominant speaker,
// muteEveryone (moderators only), tile view, subject, and "Not supported command name." for what we lack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomHarness } from './support/room-harness.js';

const h = new RoomHarness();

beforeAll(async () => {
  await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '4', V4H_ROOM_GRACE_PERIOD: '3' });
});
afterAll(async () => {
  await h.stop();
});

describe('built-in room common surface', () => {
  it('answers Jitsi’s getters and carries out the moderator’s commands', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    const ownerId = (await owner.waitForEvent('videoConferenceJoined')).data.id;
    expect((await owner.waitForEvent('participantRoleChanged')).data).toEqual({ id: ownerId, role: 'moderator' });
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    const patientId = (await patient.waitForEvent('videoConferenceJoined')).data.id;
    expect((await patient.waitForEvent('participantRoleChanged', (e) => e.data.id === patientId)).data.role).toBe('participant');
    await patient.waitForEvent('participantRoleChanged', (e) => e.data.id === ownerId && e.data.role === 'moderator');
    await owner.waitForEvent('participantJoined');
    await patient.expectVideoFlowing();

    expect(await owner.call('getDisplayName', patientId)).toBe('Pat');
    expect(await owner.call('getDisplayName', 'nobody')).toBeUndefined();
    expect(await owner.call('getAvatarURL', patientId)).toBeUndefined();
    const info = await owner.call<any>('getRoomsInfo');
    expect(info.rooms).toHaveLength(1);
    expect(info.rooms[0]).toMatchObject({ isMainRoom: true, id: embed.roomName });
    expect(info.rooms[0].participants.map((p: any) => [p.id, p.role, p.displayName]).sort()).toEqual(
      [
        [ownerId, 'moderator', 'Dr Owner'],
        [patientId, 'participant', 'Pat'],
      ].sort(),
    );

    // A participant may not mute everyone; the moderator may, and the patient's page mutes itself.
    await patient.command('muteEveryone');
    expect((await patient.waitForEvent('errorOccurred')).data.error).toMatchObject({ code: 'not_moderator', isFatal: false });
    await owner.command('muteEveryone', 'audio');
    await patient.waitForEvent('audioMuteStatusChanged', (e) => e.data.muted === true);
    expect(await patient.call('isAudioMuted')).toBe(true);
    expect(await owner.call('isAudioMuted')).toBe(false);

    // With the patient silent, the owner's beeping fake microphone is the dominant speaker on both pages.
    await patient.waitForEvent('dominantSpeakerChanged', (e) => e.data.id === ownerId, 60_000);
    await owner.waitForEvent('dominantSpeakerChanged', (e) => e.data.id === ownerId, 60_000);

    await owner.command('subject', 'Consulta de retorno');
    for (const p of [owner, patient]) expect((await p.waitForEvent('subjectChange')).data).toEqual({ subject: 'Consulta de retorno' });
    expect(await patient.meeting().textContent('#subject-text')).toBe('Consulta de retorno');

    await owner.command('toggleTileView');
    expect((await owner.waitForEvent('tileViewChanged')).data).toEqual({ enabled: false });
    await owner.meeting().waitForSelector(`.stage.tile-view-off .tile.on-stage[data-participant="${patientId}"]`);
    expect(await owner.call('isTileViewOn')).toBe(false);
    await owner.command('toggleTileView');
    await owner.waitForEvent('tileViewChanged', (e) => e.data.enabled === true);

    // What we lack logs like Jitsi, in the embedding page, and throws nothing.
    const logged: string[] = [];
    owner.page.on('console', (m) => logged.push(m.text()));
    await owner.command('toggleLobby', true);
    await owner.page.evaluate(() => (window as any).api.pinParticipant('x'));
    await expect.poll(() => logged.filter((l) => l.startsWith('Not supported command name.'))).toHaveLength(2);
  }, 240_000);
});
