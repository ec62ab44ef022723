// RoomService life cycle with in-process sockets: resume within the grace period, leave after it, the cap under races.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RoomService, type RoomConferences, type RoomServiceOptions } from './service.js';
import { RoomTokenError, type RoomIdentity } from './room-tokens.js';

const ROOM = 'v4h-room';

/** Records what the conferences domain is told; ends the conference when the last participant leaves. */
function conferences() {
  const present = new Set<string>();
  const calls: string[] = [];
  let ended = false;
  const listeners = new Set<(s: string, r: string) => void>();
  const api: RoomConferences = {
    findByRoomName: async (room) => (room === ROOM ? { sessionId: 's1', state: ended ? 'ended' : 'started', ownerId: 'owner' } : undefined),
    participantJoined: async (p) => {
      calls.push(`joined ${p.actor}`);
      present.add(p.participantId);
    },
    participantLeft: async (p) => {
      calls.push(`left ${p.actor}`);
      present.delete(p.participantId);
      if (present.size === 0) {
        ended = true;
        for (const l of listeners) l('s1', ROOM);
      }
      return { ended: present.size === 0 };
    },
    endConference: async () => {
      ended = true;
      for (const l of listeners) l('s1', ROOM);
    },
    onEnded: (l) => (listeners.add(l), () => listeners.delete(l)),
  };
  return { api, calls, present };
}

/** jwt "<id>:<moderator>" stands for a verified token; "bad" is refused. */
/** "<id>:expired" stands for an expired token of that user. */
async function verifyToken(jwt: string | null | undefined, _room?: string, options?: { expiredUpTo?: number }): Promise<RoomIdentity> {
  if (!jwt || jwt === 'bad') throw new RoomTokenError('token_invalid', 'bad');
  if (jwt.endsWith(':expired') && !options?.expiredUpTo) throw new RoomTokenError('token_expired', 'expired');
  const [id, mod] = jwt.split(':');
  return {
    id: id,
    userId: id.startsWith('guest-') ? null : id,
    name: id,
    avatar: null,
    moderator: mod === 'mod',
    familyId: null,
    expiresAt: Date.now() + 60_000,
  };
}

function client(service: RoomService) {
  const received: any[] = [];
  let closedWith: number | undefined;
  const socket = { send: (d: string) => received.push(JSON.parse(d)), close: (code?: number) => (closedWith = code) };
  const conn = service.connect(socket);
  const c = {
    received,
    get closedWith() {
      return closedWith;
    },
    send: (m: unknown) => conn.message(JSON.stringify(m)),
    drop: () => conn.closed(),
    of: (type: string) => received.filter((m) => m.type === type),
    async join(jwt: string, resume?: unknown) {
      c.send({ type: 'join', roomName: ROOM, jwt, resume });
      await until(() => received.some((m) => m.type === 'joined' || m.type === 'error'));
      return received.find((m) => m.type === 'joined' || m.type === 'error');
    },
  };
  return c;
}

async function until(check: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const make = (
  conf: ReturnType<typeof conferences>,
  o: {
    max?: number;
    grace?: number;
    orphans?: () => Promise<Array<{ sessionId: string; participantId: string }>>;
    turn?: { urls: string[]; secret: string; ttlSeconds: number };
    saveQuality?: RoomServiceOptions['saveQuality'];
  } = {},
) =>
  new RoomService({
    saveQuality: o.saveQuality,
    conferences: conf.api,
    verifyToken,
    actorFor: async (i) => `user:${i.id}`,
    maxParticipants: o.max ?? 4,
    graceSeconds: o.grace ?? 0.2,
    iceServers: [{ urls: 'stun:stun.example:3478' }],
    turn: o.turn,
    resumeSecret: 'test-resume-secret',
    orphans: o.orphans,
    orphanDelayMs: 100,
  });

describe('RoomService', () => {
  it('hands each admitted participant TURN REST credentials of its own, fresh again on resume', async () => {
    const service = make(conferences(), { turn: { urls: ['turn:turn.example:3478'], secret: 'north-star', ttlSeconds: 600 } });
    const a = client(service);
    const before = Math.floor(Date.now() / 1000);
    const joined = await a.join('alice');
    const [stun, turn] = joined.iceServers;
    expect(stun).toEqual({ urls: 'stun:stun.example:3478' });
    const [expiry, id] = turn.username.split(':');
    expect(id).toBe(joined.you.id);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    expect(turn.credential).toBe(createHmac('sha1', 'north-star').update(turn.username).digest('base64'));
    const b = client(service);
    expect((await b.join('bob')).iceServers[1].username).toMatch(/^\d+:r-/);
    expect((await b.join('bob')).iceServers[1].username).not.toBe(turn.username);
    service.close();
  });

  it('keeps a dropped participant through the grace period and lets it resume with its key', async () => {
    const conf = conferences();
    const service = make(conf);
    const a = client(service);
    const b = client(service);
    const joinedA = await a.join('alice:mod');
    await b.join('bob');
    a.drop();
    await until(() => b.of('participant-updated').some((m) => m.participant.connected === false));
    const again = client(service);
    // A stolen key for someone else's identity does not resume.
    const thief = client(service);
    const stolen = await thief.join('mallory', { participantId: joinedA.you.id, resumeKey: joinedA.resumeKey });
    expect(stolen.you.id).not.toBe(joinedA.you.id);
    thief.send({ type: 'leave' });
    const resumed = await again.join('alice:mod', { participantId: joinedA.you.id, resumeKey: joinedA.resumeKey });
    expect(resumed).toMatchObject({ resumed: true, you: { id: joinedA.you.id, connected: true } });
    expect(b.of('participant-resumed')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 350));
    expect(conf.calls.filter((c) => c === 'left user:alice')).toEqual([]);
    expect(
      service
        .participants(ROOM)
        .map((p) => p.displayName)
        .sort(),
    ).toEqual(['alice', 'bob']);
    service.close();
  });

  it('records the leave once the grace period passes, and the room closes when the conference ends', async () => {
    const conf = conferences();
    const service = make(conf);
    const a = client(service);
    const b = client(service);
    await a.join('alice:mod');
    const joinedB = await b.join('bob');
    b.drop();
    await until(() => a.of('participant-left').length === 1, 1000);
    expect(a.of('participant-left')[0].id).toBe(joinedB.you.id);
    expect(conf.calls).toEqual(['joined user:alice', 'joined user:bob', 'left user:bob']);
    // The last one leaves: the conference ends and the room with it.
    a.send({ type: 'leave' });
    await until(() => a.closedWith !== undefined);
    expect(a.of('left')).toHaveLength(1);
    expect(conf.present.size).toBe(0);
    const late = client(service);
    expect(await late.join('carol')).toMatchObject({ type: 'error', code: 'conference_ended', fatal: true });
  });

  it('never exceeds the cap, even when joins race, and keeps a seat for the owner', async () => {
    const conf = conferences();
    const service = make(conf, { max: 3 });
    const clients = Array.from({ length: 5 }, () => client(service));
    const answers = await Promise.all(clients.map((c, i) => c.join(`u${i}`)));
    // Others fill max − 1 seats; the last one is the owner's.
    expect(answers.filter((m) => m.type === 'joined')).toHaveLength(2);
    expect(answers.filter((m) => m.type === 'error').map((m) => m.code)).toEqual(['room_full', 'room_full', 'room_full']);
    expect(clients.filter((c) => c.closedWith === 4400)).toHaveLength(3);
    const [owner, ownerAgain] = [client(service), client(service)];
    const [first, second] = await Promise.all([owner.join('owner:mod'), ownerAgain.join('owner:mod')]);
    expect(first).toMatchObject({ type: 'joined' });
    // A second device of the owner needs a free seat like anyone.
    expect(second).toMatchObject({ type: 'error', code: 'room_full' });
    expect(service.participants(ROOM)).toHaveLength(3);
    service.close();
  });

  it('one guest link opened four times does not fill the room: one person per link, and the owner gets in (issue 15)', async () => {
    const conf = conferences();
    const service = make(conf, { max: 4 });
    const tabs = Array.from({ length: 4 }, () => client(service));
    const answers = await Promise.all(tabs.map((c) => c.join('guest-abc')));
    expect(answers.map((m) => (m.type === 'joined' ? 'joined' : m.code)).sort()).toEqual([
      'guest_link_in_use',
      'guest_link_in_use',
      'guest_link_in_use',
      'joined',
    ]);
    expect(await client(service).join('owner:mod')).toMatchObject({ type: 'joined' });
    // The link works again once its guest has left (a reload resumes instead; see the resume test).
    const inside = tabs.find((c) => c.of('joined').length === 1)!;
    inside.send({ type: 'leave' });
    await until(() => inside.closedWith !== undefined);
    expect(await client(service).join('guest-abc')).toMatchObject({ type: 'joined' });
    // Another guest link is another person.
    expect(await client(service).join('guest-def')).toMatchObject({ type: 'joined' });
    service.close();
  });

  it('keeps the guest link taken while its guest is in the grace period; the same tab resumes', async () => {
    const conf = conferences();
    const service = make(conf, { grace: 5 });
    const tab = client(service);
    const joined = await tab.join('guest-abc');
    tab.drop();
    expect(await client(service).join('guest-abc')).toMatchObject({ type: 'error', code: 'guest_link_in_use', fatal: true });
    expect(await client(service).join('guest-abc', { participantId: joined.you.id, resumeKey: joined.resumeKey })).toMatchObject({
      type: 'joined',
      resumed: true,
    });
    service.close();
  });

  it('lets only a moderator end the conference, which closes the room for everyone', async () => {
    const conf = conferences();
    const service = make(conf);
    const mod = client(service);
    const other = client(service);
    await mod.join('alice:mod');
    await other.join('bob');
    other.send({ type: 'end' });
    await until(() => other.of('error').length === 1);
    expect(other.of('error')[0]).toMatchObject({ code: 'not_moderator', fatal: false });
    mod.send({ type: 'end' });
    await until(() => other.of('ended').length === 1 && mod.of('ended').length === 1);
    expect([mod.closedWith, other.closedWith]).toEqual([4410, 4410]);
    expect(service.participants(ROOM)).toEqual([]);
  });

  it('relays signals only inside the room and refuses commands before joining', async () => {
    const conf = conferences();
    const service = make(conf);
    const a = client(service);
    const b = client(service);
    a.send({ type: 'mute', audio: true });
    await until(() => a.of('error').length === 1);
    await a.join('alice');
    const joinedB = await b.join('bob');
    a.send({ type: 'signal', to: joinedB.you.id, data: { candidate: { candidate: 'x' } } });
    a.send({ type: 'signal', to: 'r-nobody', data: { candidate: { candidate: 'y' } } });
    await until(() => b.of('signal').length === 1);
    expect(b.of('signal')[0]).toMatchObject({ data: { candidate: { candidate: 'x' } } });
    expect(await client(service).join('bad')).toMatchObject({ code: 'token_invalid' });
    service.close();
  });

  it('records no leaves when the server shuts down, and tells each page to reconnect (1012 Service Restart)', async () => {
    const conf = conferences();
    const service = make(conf);
    const a = client(service);
    await a.join('alice');
    service.close();
    expect(a.of('restarting')).toHaveLength(1);
    expect(a.of('left')).toHaveLength(0);
    expect(a.closedWith).toBe(1012);
    a.drop();
    await new Promise((r) => setTimeout(r, 350));
    expect(conf.calls).toEqual(['joined user:alice']);
  });

  it('takes participants back after a restart, and records those that do not come back as gone', async () => {
    const conf = conferences();
    const before = make(conf);
    const a = client(before);
    const b = client(before);
    const joinedA = await a.join('alice');
    const joinedB = await b.join('bob');
    before.close();
    // The new process: alice's page reconnects with its resume key; bob's never does.
    const after = make(conf, { orphans: async () => [...conf.present].map((participantId) => ({ sessionId: 's1', participantId })) });
    const back = client(after);
    const resumed = await back.join('alice', { participantId: joinedA.you.id, resumeKey: joinedA.resumeKey });
    expect(resumed.you.id).toBe(joinedA.you.id);
    // A key is bound to its identity: bob's key does not let carol in as bob.
    const carol = client(after);
    expect((await carol.join('carol', { participantId: joinedB.you.id, resumeKey: joinedB.resumeKey })).you.id).not.toBe(joinedB.you.id);
    carol.send({ type: 'leave' });
    await until(() => conf.calls.includes('left system'), 1500);
    expect(conf.present.has(joinedB.you.id)).toBe(false);
    expect(conf.present.has(joinedA.you.id)).toBe(true);
    after.close();
  });

  it('lets a participant still in the call reconnect after its token expired, and nobody else', async () => {
    const conf = conferences();
    const service = make(conf, { grace: 5 });
    const a = client(service);
    const joinedA = await a.join('alice');
    a.drop();
    const back = client(service);
    expect(await back.join('alice:expired', { participantId: joinedA.you.id, resumeKey: joinedA.resumeKey })).toMatchObject({
      type: 'joined',
      you: { id: joinedA.you.id },
    });
    expect(await client(service).join('carol:expired')).toMatchObject({ type: 'error', code: 'token_expired' });
    expect(await client(service).join('alice:expired', { participantId: 'r-unknown', resumeKey: 'x' })).toMatchObject({ type: 'error', code: 'token_expired' });
    service.close();
  });

  it('takes a resume key of the former form (an HMAC under the secret itself) from a page of a call older than the upgrade', async () => {
    const conf = conferences();
    const service = make(conf, { grace: 5 });
    const a = client(service);
    const joinedA = await a.join('alice');
    a.drop();
    const legacyKey = (identity: string) =>
      createHmac('sha256', 'test-resume-secret').update(`v4h-room-resume\0${ROOM}\0${joinedA.you.id}\0${identity}`).digest('base64url');
    expect(joinedA.resumeKey).not.toBe(legacyKey('alice')); // new keys are made under the derived key
    // Only for its own identity, as the current form.
    expect((await client(service).join('mallory', { participantId: joinedA.you.id, resumeKey: legacyKey('alice') })).you.id).not.toBe(joinedA.you.id);
    const back = client(service);
    expect(await back.join('alice:expired', { participantId: joinedA.you.id, resumeKey: legacyKey('alice') })).toMatchObject({
      type: 'joined',
      resumed: true,
      you: { id: joinedA.you.id },
    });
    service.close();
  });

  it('closes a socket that floods the server with messages', async () => {
    const conf = conferences();
    const service = make(conf);
    const a = client(service);
    await a.join('alice');
    for (let i = 0; i < 700; i++) a.send({ type: 'mute', audio: i % 2 === 0 });
    expect(a.closedWith).toBe(1008);
    service.close();
  });

  it("keeps the token's name: a participant cannot rename itself to impersonate someone", async () => {
    const conf = conferences();
    const service = make(conf);
    const a = client(service);
    const b = client(service);
    a.send({ type: 'join', roomName: ROOM, jwt: 'alice', displayName: 'Dr Fake' });
    await until(() => a.of('joined').length === 1);
    expect(a.of('joined')[0]).toMatchObject({ you: { displayName: 'alice' }, fromToken: { displayName: true, avatar: false } });
    await b.join('bob');
    a.send({ type: 'profile', displayName: 'Dr Fake', avatar: 'https://img.example/a.png' });
    await until(() => b.of('participant-updated').length === 1);
    expect(b.of('participant-updated')[0].participant).toMatchObject({ displayName: 'alice', avatar: 'https://img.example/a.png' });
    service.close();
  });

  it('stores a page’s quality summary at once, keeps later ones until 20 s have passed, and stores the last one at leave', async () => {
    const conf = conferences();
    const saved: Array<{ participantId: string; samples: number }> = [];
    const service = make(conf, { saveQuality: async (p) => void saved.push({ participantId: p.participantId, samples: p.summary.samples }) });
    const a = client(service);
    const b = client(service);
    const joinedA = await a.join('alice:mod');
    await b.join('bob');
    const summary = (samples: number) => ({
      durationSeconds: samples * 2,
      samples,
      seconds: { good: samples * 2, warning: 0, bad: 0 },
      rttMs: { avg: 1, max: 2 },
      packetLoss: { avg: 0, max: 0 },
      bitrateKbps: { avg: 900, min: 800 },
    });
    a.send({ type: 'quality', summary: summary(15) });
    await until(() => saved.length === 1);
    a.send({ type: 'quality', summary: summary(16) });
    a.send({ type: 'quality', summary: { ...summary(17), samples: 'many' } });
    await until(() => a.of('error').length === 1);
    expect(a.of('error')[0]).toMatchObject({ code: 'bad_message' });
    expect(saved).toEqual([{ participantId: joinedA.you.id, samples: 15 }]);
    // A dropped page’s last report is stored when its leave is recorded (here after the grace period).
    a.drop();
    await until(() => conf.calls.includes('left user:alice'));
    expect(saved).toEqual([
      { participantId: joinedA.you.id, samples: 15 },
      { participantId: joinedA.you.id, samples: 16 },
    ]);
    b.send({ type: 'leave' });
    await until(() => b.closedWith !== undefined);
    expect(saved).toHaveLength(2);
  });
});
