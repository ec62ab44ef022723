// Built-in room chat: to everyone and privately, Jitsi's events, nothing stored until the owner saves it as an attachment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { RoomHarness } from './support/room-harness.js';

const h = new RoomHarness();

beforeAll(async () => {
  await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '4', V4H_ROOM_GRACE_PERIOD: '3' });
});
afterAll(async () => {
  await h.stop();
});

describe('built-in room chat', () => {
  it('relays messages to everyone or one person, and stores them only when the owner saves the chat', async () => {
    const { owner: ownerUser, embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    const ownerJoined = await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat');
    const patientJoined = await patient.waitForEvent('videoConferenceJoined');
    const third = await h.joinAs(embed.sessionId, 'Nurse');
    const nurse = await h.open(third.embed, 'Nurse');
    await nurse.waitForEvent('videoConferenceJoined');
    await owner.waitForEvent('participantJoined', (e) => e.data.displayName === 'Nurse');

    // To everyone, through the IFrame API.
    await patient.command('sendChatMessage', 'My microphone is not working');
    expect((await patient.waitForEvent('outgoingMessage')).data).toEqual({ message: 'My microphone is not working', privateMessage: false });
    for (const side of [owner, nurse]) {
      const got = await side.waitForEvent('incomingMessage');
      expect(got.data).toMatchObject({ from: patientJoined.data.id, nick: 'Pat', privateMessage: false, message: 'My microphone is not working' });
    }
    // Privately, from the page's own panel: only the patient gets it.
    const frame = owner.meeting();
    await frame.click('#chat-toggle');
    expect((await owner.waitForEvent('chatUpdated', (e) => e.data.isOpen)).data).toEqual({ isOpen: true, unreadCount: 0 });
    await frame.selectOption('#chat-to', patientJoined.data.id);
    await frame.fill('#chat-input', 'Try the Devices button');
    await frame.press('#chat-input', 'Enter');
    const priv = await patient.waitForEvent('incomingMessage', (e) => e.data.message === 'Try the Devices button');
    expect(priv.data).toMatchObject({ from: ownerJoined.data.id, nick: 'Dr Owner', privateMessage: true });
    await owner.waitForEvent('outgoingMessage', (e) => e.data.privateMessage === true);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await nurse.events()).filter((e) => e.name === 'incomingMessage')).toHaveLength(1);
    // The patient's closed panel counts the unread message.
    expect((await patient.waitForEvent('chatUpdated', (e) => e.data.unreadCount > 0)).data).toEqual({ isOpen: false, unreadCount: 1 });
    await patient.meeting().waitForSelector('#chat-unread:not([hidden])');

    // Nothing stored so far: no file, no message text in the event log.
    const files = async () => (await h.api<any>('GET', `/api/conferences/${embed.sessionId}/files`, ownerUser.auth)).body;
    expect(await files()).toMatchObject({ items: [] });
    const logText = async () =>
      JSON.stringify(await h.app.db.kysely.selectFrom('conference_events').select(['type', 'data']).where('session_id', '=', embed.sessionId).execute());
    expect(await logText()).not.toContain('microphone is not working');

    // Only the owner may save; the patient's page hides the button and the server refuses a forged request.
    expect(await patient.meeting().isHidden('#chat-save')).toBe(true);
    await patient.meeting().evaluate(() => (window as any).__sockets.at(-1).send(JSON.stringify({ type: 'save-chat', transcript: 'forged' })));
    await patient.waitForEvent('errorOccurred', (e) => e.data.error.code === 'not_owner');

    await frame.click('#chat-save');
    await frame.waitForSelector('#chat-save-status:text("Chat saved to the record.")');
    const list = (await files()).items;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'attachment', name: 'chat.txt', contentType: 'text/plain' });
    const text = await (await fetch(list[0].url)).text();
    expect(text).toContain('Pat: My microphone is not working');
    expect(text).toContain('privately to Pat): Try the Devices button');
    expect(createHash('sha256').update(text).digest('hex')).toBe(list[0].sha256);
    // Its hash is in the hash-chained record; its text is not.
    const stored = await h.app.db.kysely
      .selectFrom('conference_events')
      .select('data')
      .where('session_id', '=', embed.sessionId)
      .where('type', '=', 'file_stored')
      .execute();
    expect(stored.map((r) => JSON.parse(r.data).sha256)).toEqual([list[0].sha256]);
    expect(await logText()).not.toContain('microphone is not working');
  });
});
