// Rooms across processes (V4H_REDIS_URL): two RoomServices, each with its own Redis bus, stand for two server
// processes behind a load balancer. Needs Redis at 127.0.0.1:6379 (fails, never skips, when it is down).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RoomService, type RoomConferences } from './service.js';
import { RoomTokenError, type RoomIdentity } from './room-tokens.js';
import { createRedisRoomBus } from './bus.js';

const REDIS_URL = process.env.V4H_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** One conference the two "processes" share (as they share the database): owner "owner". */
function conferences(roomName: string) {
  const present = new Set<string>();
  const calls: string[] = [];
  let ended = false;
  const listeners = new Set<(s: string, r: string) => void>();
  const api: RoomConferences = {
    findByRoomName: async (room) => (room === roomName ? { sessionId: 's1', state: ended ? 'ended' : 'started', ownerId: 'owner' } : undefined),
    participantJoined: async (p) => {
      calls.push(`joined ${p.actor}`);
      present.add(p.participantId);
    },
    participantLeft: async (p) => {
      calls.push(`left ${p.actor}`);
      present.delete(p.participantId);
      return { ended: false };
    },
    endConference: async () => {
      ended = true;
      // Like ConferenceService: only the process that ended it hears onEnded.
      for (const l of listeners) l('s1', roomName);
    },
    onEnded: (l) => (listeners.add(l), () => listeners.delete(l)),
  };
  // Each process has its own onEnded listeners.
  const forProcess = (): RoomConferences => {
    const mine = new Set<(s: string, r: string) => void>();
    return {
      ...api,
      endConference: async (...args) => {
        ended = true;
        for (const l of mine) l('s1', roomName);
        void args;
      },
      onEnded: (l) => (mine.add(l), () => mine.delete(l)),
    };
  };
  return { forProcess, calls, present };
}

/** jwt "<id>" is a user, "guest-<id>" a guest link, ":mod" a moderator. */
async function verifyToken(jwt: string | null | undefined): Promise<RoomIdentity> {
  if (!jwt || jwt === 'bad') throw new RoomTokenError('token_invalid', 'bad');
  const [id, mod] = jwt.split(':');
  const guest = id.startsWith('guest-');
  return { id: id, userId: guest ? null : id, name: id, avatar: null, moderator: mod === 'mod', familyId: null, expiresAt: Date.now() + 60_000 };
}

async function processWith(conf: ReturnType<typeof conferences>, o: { max?: number; grace?: number } = {}) {
  const bus = await createRedisRoomBus({ url: REDIS_URL, heartbeatMs: 200 });
  const service = new RoomService({
    conferences: conf.forProcess(),
    verifyToken,
    actorFor: async (i) => (i.userId ? `user:${i.userId}` : `guest:${i.id}`),
    maxParticipants: o.max ?? 4,
    graceSeconds: o.grace ?? 0.5,
    iceServers: [],
    resumeSecret: 'shared-resume-secret',
    bus,
    processCheckMs: 100,
  });
  cleanups.push(
    () => service.close(),
    () => bus.close(),
  );
  return { service, bus };
}

function client(service: RoomService, roomName: string) {
  const received: any[] = [];
  let closedWith: number | undefined;
  const conn = service.connect({ send: (d) => received.push(JSON.parse(d)), close: (code) => (closedWith = code) });
  const c = {
    received,
    get closedWith() {
      return closedWith;
    },
    send: (m: unknown) => conn.message(JSON.stringify(m)),
    drop: () => conn.closed(),
    of: (type: string) => received.filter((m) => m.type === type),
    async join(jwt: string, resume?: unknown) {
      c.send({ type: 'join', roomName, jwt, resume });
      await until(() => received.some((m) => m.type === 'joined' || m.type === 'error'));
      return received.find((m) => m.type === 'joined' || m.type === 'error');
    },
  };
  return c;
}

async function until(check: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const newRoom = () => `v4h-shared-${randomBytes(6).toString('hex')}`;

describe('rooms across processes (Redis bus)', () => {
  it('members on different processes see each other, relay signaling and chat, and see updates and leaves', async () => {
    const roomName = newRoom();
    const conf = conferences(roomName);
    const [one, two] = [await processWith(conf), await processWith(conf)];
    const a = client(one.service, roomName);
    const joinedA = await a.join('owner:mod');
    const b = client(two.service, roomName);
    const joinedB = await b.join('bob');
    expect(joinedB.participants.map((p: any) => p.id)).toEqual([joinedA.you.id]);
    await until(() => a.of('participant-joined').length === 1);
    expect(a.of('participant-joined')[0].participant.id).toBe(joinedB.you.id);

    b.send({ type: 'signal', to: joinedA.you.id, data: { description: { type: 'offer', sdp: 'v=0 offer' } } });
    await until(() => a.of('signal').length === 1);
    expect(a.of('signal')[0]).toEqual({ type: 'signal', from: joinedB.you.id, data: { description: { type: 'offer', sdp: 'v=0 offer' } } });
    a.send({ type: 'signal', to: joinedB.you.id, data: { candidate: { candidate: 'c1' } } });
    await until(() => b.of('signal').length === 1);
    a.send({ type: 'chat', message: 'private hello', to: joinedB.you.id });
    await until(() => b.of('chat').length === 1);
    expect(b.of('chat')[0]).toMatchObject({ from: joinedA.you.id, message: 'private hello', private: true });

    b.send({ type: 'mute', audio: true });
    await until(() => a.of('participant-updated').some((m) => m.participant.audioMuted));
    // A newcomer on the first process reads the current state from the shared room.
    const c = client(one.service, roomName);
    const joinedC = await c.join('carol');
    expect(joinedC.participants.find((p: any) => p.id === joinedB.you.id)).toMatchObject({ audioMuted: true, displayName: 'bob' });

    b.send({ type: 'leave' });
    await until(() => a.of('participant-left').length === 1 && c.of('participant-left').length === 1);
    expect(a.of('participant-left')[0].id).toBe(joinedB.you.id);
    expect(conf.calls.filter((x) => x === 'left user:bob')).toHaveLength(1);
  });

  it('holds the participant cap and the guest link rule across processes, even when joins race', async () => {
    const roomName = newRoom();
    const conf = conferences(roomName);
    const [one, two] = [await processWith(conf, { max: 3 }), await processWith(conf, { max: 3 })];
    // Four colleagues race on two processes for the two seats that are not the owner's.
    const racers = ['u1', 'u2', 'u3', 'u4'].map((u, i) => ({ u, c: client((i % 2 ? two : one).service, roomName) }));
    const answers = await Promise.all(racers.map(({ u, c }) => c.join(u)));
    expect(answers.map((m) => (m.type === 'joined' ? 'joined' : m.code)).sort()).toEqual(['joined', 'joined', 'room_full', 'room_full']);
    // The owner's seat is kept on either process.
    expect(await client(two.service, roomName).join('owner:mod')).toMatchObject({ type: 'joined' });
    expect(await client(one.service, roomName).join('u5')).toMatchObject({ type: 'error', code: 'room_full', fatal: true });

    const other = newRoom();
    const conf2 = conferences(other);
    const [p1, p2] = [await processWith(conf2), await processWith(conf2)];
    expect(await client(p1.service, other).join('guest-link1')).toMatchObject({ type: 'joined' });
    expect(await client(p2.service, other).join('guest-link1')).toMatchObject({ type: 'error', code: 'guest_link_in_use' });
  });

  it('a moderator ending the conference on one process closes the room on the others', async () => {
    const roomName = newRoom();
    const conf = conferences(roomName);
    const [one, two] = [await processWith(conf), await processWith(conf)];
    const a = client(one.service, roomName);
    await a.join('owner:mod');
    const b = client(two.service, roomName);
    await b.join('bob');
    // A non-moderator cannot, wherever it is connected.
    b.send({ type: 'end' });
    await until(() => b.of('error').length === 1);
    expect(b.of('error')[0]).toMatchObject({ code: 'not_moderator', fatal: false });
    a.send({ type: 'end' });
    await until(() => b.closedWith !== undefined);
    expect(b.of('ended')).toHaveLength(1);
    expect(b.closedWith).toBe(4410);
  });

  it('a participant resumes on another process (no sticky sessions); a process that dies leaves its members to the grace period', async () => {
    const roomName = newRoom();
    const conf = conferences(roomName);
    const [one, two] = [await processWith(conf, { grace: 1 }), await processWith(conf, { grace: 1 })];
    const a = client(one.service, roomName);
    const joinedA = await a.join('owner:mod');
    const b = client(one.service, roomName);
    const joinedB = await b.join('bob');
    // Bob's socket drops; the load balancer sends his page to the second process, which takes him over.
    b.drop();
    const b2 = client(two.service, roomName);
    const resumed = await b2.join('bob', { participantId: joinedB.you.id, resumeKey: joinedB.resumeKey });
    expect(resumed).toMatchObject({ type: 'joined', resumed: true, you: { id: joinedB.you.id } });
    expect(resumed.participants.map((p: any) => p.id)).toEqual([joinedA.you.id]);
    await until(() => a.of('participant-resumed').length === 1);
    b2.send({ type: 'signal', to: joinedA.you.id, data: { description: { type: 'offer', sdp: 'again' } } });
    await until(() => a.of('signal').length === 1);
    // The first process's grace timer for Bob does not record a leave: he is on the second process now.
    await new Promise((r) => setTimeout(r, 1500));
    expect(conf.calls.filter((x) => x.startsWith('left'))).toEqual([]);
    expect(a.of('participant-left')).toEqual([]);

    // The second process dies (its heartbeat stops; its sockets are gone with it).
    a.received.length = 0;
    await two.bus.close();
    await until(() => a.of('participant-updated').some((m) => m.participant.id === joinedB.you.id && m.participant.connected === false), 3000);
    await until(() => a.of('participant-left').length === 1, 5000);
    expect(a.of('participant-left')[0].id).toBe(joinedB.you.id);
    expect(conf.calls.filter((x) => x === 'left user:bob')).toHaveLength(1);
  });
});
