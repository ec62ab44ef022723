// RoomService chat relay and saving, with in-process sockets: private messages reach one person, only the owner saves.
import { expect, it } from 'vitest';
import { RoomService } from './service.js';
import { parseClientMessage } from './protocol.js';
import type { RoomIdentity } from './room-tokens.js';

const ROOM = 'v4h-chat';

async function until(check: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function setup() {
  const saved: Array<{ userId: string; transcript: string }> = [];
  const service = new RoomService({
    conferences: {
      findByRoomName: async () => ({ sessionId: 's1', state: 'started', ownerId: 'owner' }),
      participantJoined: async () => {},
      participantLeft: async () => ({ ended: false }),
      endConference: async () => {},
      onEnded: () => () => {},
    },
    // jwt "<userId>" (or "guest") stands for a verified token.
    verifyToken: async (jwt): Promise<RoomIdentity> => ({
      id: jwt!,
      userId: jwt === 'guest' ? null : jwt!,
      name: jwt!,
      avatar: null,
      moderator: true,
      familyId: null,
      expiresAt: Date.now() + 60_000,
    }),
    actorFor: async (i) => `user:${i.id}`,
    maxParticipants: 4,
    graceSeconds: 1,
    iceServers: [],
    resumeSecret: 'test-resume-secret',
    saveChat: async (p) => {
      saved.push(p);
      return { fileId: 'f1', sha256: 'a'.repeat(64) };
    },
  });
  const client = async (jwt: string) => {
    const received: any[] = [];
    const conn = service.connect({ send: (d) => received.push(JSON.parse(d)), close: () => {} });
    conn.message(JSON.stringify({ type: 'join', roomName: ROOM, jwt }));
    await until(() => received.some((m) => m.type === 'joined'));
    return {
      received,
      id: received.find((m) => m.type === 'joined').you.id as string,
      send: (m: unknown) => conn.message(JSON.stringify(m)),
      of: (t: string) => received.filter((m) => m.type === t),
    };
  };
  return { service, saved, client };
}

it('relays to everyone but the sender, privately to one person only, and refuses unknown recipients', async () => {
  const { service, client } = setup();
  const owner = await client('owner');
  const pat = await client('pat');
  const nurse = await client('nurse');
  pat.send({ type: 'chat', message: 'hello all' });
  await until(() => owner.of('chat').length === 1 && nurse.of('chat').length === 1);
  expect(owner.of('chat')[0]).toEqual({ type: 'chat', from: pat.id, message: 'hello all', private: false });
  expect(pat.of('chat')).toEqual([]);
  owner.send({ type: 'chat', message: 'just you', to: pat.id });
  await until(() => pat.of('chat').length === 1);
  expect(pat.of('chat')[0]).toEqual({ type: 'chat', from: owner.id, message: 'just you', private: true });
  owner.send({ type: 'chat', message: 'nobody', to: 'r-nobody' });
  await until(() => owner.of('error').length === 1);
  expect(owner.of('error')[0]).toMatchObject({ code: 'bad_message', fatal: false });
  await new Promise((r) => setTimeout(r, 50));
  expect(nurse.of('chat')).toHaveLength(1);
  service.close();
});

it('saves the transcript for the owner only', async () => {
  const { service, saved, client } = setup();
  const owner = await client('owner');
  const guest = await client('guest');
  const pat = await client('pat');
  for (const c of [guest, pat]) c.send({ type: 'save-chat', transcript: 'forged' });
  await until(() => guest.of('error').length === 1 && pat.of('error').length === 1);
  expect([guest.of('error')[0].code, pat.of('error')[0].code]).toEqual(['not_owner', 'not_owner']);
  owner.send({ type: 'save-chat', transcript: 'the chat' });
  await until(() => owner.of('chat-saved').length === 1);
  expect(saved).toEqual([{ sessionId: 's1', userId: 'owner', transcript: 'the chat' }]);
  service.close();
});

it('refuses empty and oversized messages', () => {
  expect(parseClientMessage(JSON.stringify({ type: 'chat', message: '   ' }))).toBeUndefined();
  expect(parseClientMessage(JSON.stringify({ type: 'chat', message: 'x'.repeat(2001) }))).toBeUndefined();
  expect(parseClientMessage(JSON.stringify({ type: 'chat', message: 'hi', to: 5 }))).toBeUndefined();
  expect(parseClientMessage(JSON.stringify({ type: 'chat', message: 'hi', extra: 1 }))).toEqual({ type: 'chat', message: 'hi' });
  expect(parseClientMessage(JSON.stringify({ type: 'share', on: 'yes' }))).toBeUndefined();
});
