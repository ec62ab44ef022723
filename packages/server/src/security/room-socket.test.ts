// The built-in room's signaling socket under attack: generated garbage frames, forged or misused tokens, commands
// beyond one's role. The server stays up, the honest member stays connected, and nothing reaches it from a stranger.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

const FRAMES = Number(process.env.V4H_FUZZ_RUNS ?? 10_000) / 5;

let t: TestApp;
let owner: { sessionId: string; roomName: string; jwt: string; auth: { authorization: string } };
let member: { roomName: string; jwt: string };
let elsewhere: { roomName: string; jwt: string };

type Socket = Awaited<ReturnType<typeof open>>;

async function open() {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}/room/ws`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const messages: any[] = [];
  let closeCode: number | undefined;
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString())));
  ws.on('close', (code: number) => (closeCode = code));
  ws.on('error', () => {});
  const next = async (type: string) => {
    for (let i = 0; i < 150; i++) {
      const found = messages.find((m) => m.type === type);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${type} message; got ${JSON.stringify(messages).slice(0, 500)}`);
  };
  return {
    ws,
    messages,
    next,
    send: (m: unknown) => ws.send(typeof m === 'string' || Buffer.isBuffer(m) ? m : JSON.stringify(m)),
    isOpen: () => ws.readyState === ws.OPEN,
    closeCode: () => closeCode,
    close: () => ws.close(),
  };
}

async function embed(session: { auth: { authorization: string } }, path: string) {
  const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...session.auth, 'content-type': 'application/json' }, body: '{}' });
  expect(res.status).toBeLessThan(300);
  return res.json();
}

beforeAll(async () => {
  t = await createTestApp(); // the built-in room
  const ana = await t.userSession();
  const bob = await t.userSession();
  const { sessionId } = await embed(ana, '/api/conferences');
  const started = await embed(ana, `/api/conferences/${sessionId}/start`);
  owner = { sessionId, roomName: started.roomName, jwt: started.jwt, auth: ana.auth };
  const joined = await embed(bob, `/api/conferences/${sessionId}/join`);
  member = { roomName: joined.roomName, jwt: joined.jwt };
  const { sessionId: other } = await embed(bob, '/api/conferences');
  const otherStarted = await embed(bob, `/api/conferences/${other}/start`);
  elsewhere = { roomName: otherStarted.roomName, jwt: otherStarted.jwt };
}, 60_000);
afterAll(() => t?.close());

const frame = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .record(
      {
        type: fc.constantFrom('join', 'signal', 'mute', 'profile', 'leave', 'end', 'joined', 'error', '__proto__', 'JOIN'),
        roomName: fc.oneof(fc.string(), fc.constant('ROOM')),
        jwt: fc.oneof(fc.string(), fc.constantFrom('MEMBER_JWT', 'OTHER_ROOM_JWT', 'eyJhbGciOiJub25lIn0.e30.')),
        to: fc.oneof(fc.string(), fc.constant('OWNER_ID')),
        data: fc.oneof(
          fc.jsonValue(),
          fc.record({ description: fc.record({ type: fc.constantFrom('offer', 'answer', 'pranswer'), sdp: fc.string() }) }),
          fc.record({ candidate: fc.jsonValue() }),
        ),
        displayName: fc.oneof(fc.string(), fc.integer(), fc.constant('x'.repeat(300))),
        avatar: fc.oneof(fc.string(), fc.constant(null), fc.constant('javascript:alert(1)')),
        audio: fc.oneof(fc.boolean(), fc.string()),
        resume: fc.record({ participantId: fc.oneof(fc.string(), fc.constant('OWNER_ID')), resumeKey: fc.string() }),
      },
      { requiredKeys: ['type'] },
    )
    .map((m) => JSON.stringify(m)),
  fc.integer({ min: 1, max: 120 * 1024 }).map((n) => JSON.stringify({ type: 'signal', to: 'x', data: { description: { type: 'offer', sdp: 'v'.repeat(n) } } })),
);

describe('room socket attacks', () => {
  it(`${FRAMES} generated frames from an intruder: server up, the owner connected, nothing relayed to it`, async () => {
    const honest = await open();
    honest.send({ type: 'join', roomName: owner.roomName, jwt: owner.jwt, displayName: 'Dr Owner' });
    const joined = await honest.next('joined');
    const ownerId = joined.you.id;
    const substitute = (raw: string) =>
      raw
        .replaceAll('"ROOM"', JSON.stringify(owner.roomName))
        .replaceAll('"MEMBER_JWT"', JSON.stringify(member.jwt))
        .replaceAll('"OTHER_ROOM_JWT"', JSON.stringify(elsewhere.jwt))
        .replaceAll('"OWNER_ID"', JSON.stringify(ownerId));
    let intruder: Socket = await open();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (raw) => {
        if (!intruder.isOpen()) intruder = await open();
        // Never the member's own legitimate join: the intruder holds no valid token for this room.
        const text = substitute(raw);
        const join = /"type":"join"/.test(text) && text.includes(member.jwt) && text.includes(owner.roomName);
        intruder.send(join ? text.replace(member.jwt, `${member.jwt}x`) : text);
        sent++;
      }),
      { numRuns: FRAMES },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sent).toBe(FRAMES);
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    expect(honest.isOpen(), `owner socket closed (${honest.closeCode()})`).toBe(true);
    // Nothing from the intruder reached the owner: no signals, no one joined, the call was not ended.
    const leaked = honest.messages.filter((m) => ['signal', 'participant-joined', 'ended', 'participant-updated'].includes(m.type));
    expect(leaked).toEqual([]);
    const details = await fetch(`${t.baseUrl}/api/conferences/${owner.sessionId}`, { headers: owner.auth }).then((r) => r.json());
    expect(details.state).toBe('started');
    // And the room still works for an honest member.
    const bob = await open();
    bob.send({ type: 'join', roomName: member.roomName, jwt: member.jwt, displayName: 'Bob' });
    await bob.next('joined');
    await honest.next('participant-joined');
    bob.close();
    honest.close();
    intruder.close();
  }, 180_000);

  it('refuses tokens for another room, forged tokens, and a participant ending the call', async () => {
    const owning = await open();
    owning.send({ type: 'join', roomName: owner.roomName, jwt: owner.jwt });
    await owning.next('joined');

    for (const attempt of [
      { roomName: owner.roomName, jwt: elsewhere.jwt },
      { roomName: owner.roomName, jwt: `${member.jwt.split('.').slice(0, 2).join('.')}.` },
      {
        roomName: owner.roomName,
        jwt: member.jwt.replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ room: '*', moderator: true })).toString('base64url')}.`),
      },
    ]) {
      const s = await open();
      s.send({ type: 'join', ...attempt });
      const error = await s.next('error');
      expect(error.code).toMatch(/^token_/);
      expect(owning.messages.filter((m) => m.type === 'participant-joined')).toEqual([]);
      s.close();
    }

    const participant = await open();
    participant.send({ type: 'join', roomName: member.roomName, jwt: member.jwt });
    await participant.next('joined');
    participant.send({ type: 'end' });
    const refused = await participant.next('error');
    expect(refused.code).toBe('not_moderator');
    const details = await fetch(`${t.baseUrl}/api/conferences/${owner.sessionId}`, { headers: owner.auth }).then((r) => r.json());
    expect(details.state).toBe('started');
    participant.close();
    owning.close();
  });

  it('answers primitives where objects belong with bad_message (this once crashed the server process)', async () => {
    const s = await open();
    for (const data of [1, 'x', true, null, []]) {
      s.messages.length = 0;
      s.send({ type: 'signal', to: 'someone', data });
      expect((await s.next('error')).code).toBe('bad_message');
    }
    s.send({ type: 'join', roomName: owner.roomName, jwt: owner.jwt, resume: 7 });
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    s.close();
  });

  it('refuses a socket from a foreign origin', async () => {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}/room/ws`, { origin: 'https://evil.example' });
    const code = await new Promise<number>((resolve) => ws.on('close', (c: number) => resolve(c)).on('error', () => {}));
    expect(code).toBe(4403);
  });
});
