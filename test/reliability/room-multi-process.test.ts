// The built-in room with several server processes on one PostgreSQL database and one Redis (V4H_REDIS_URL), behind
// a load balancer without sticky sessions: members of one conference who reach different processes meet, the cap
// holds across them, and when a process is killed its members are seen to leave by the others. Needs Redis at
// 127.0.0.1:6379 and PostgreSQL (fails, never skips, when they are down).
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { call, createUsers, deployment, login, loggedErrors, withDatabase, type ServerProcess } from './support.js';

const REDIS_URL = process.env.V4H_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const GRACE_SECONDS = 3;
const requireServer = createRequire(new URL('../../packages/server/package.json', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function member(server: ServerProcess, embed: { roomName: string; jwt: string }) {
  const { WebSocket } = requireServer('ws');
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/room/ws`);
  const messages: any[] = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'join', roomName: embed.roomName, jwt: embed.jwt }));
  cleanups.push(async () => ws.close());
  let closeCode: number | undefined;
  ws.on('close', (code: number) => (closeCode = code));
  const answer = await until(() => messages.find((m) => m.type === 'joined' || m.type === 'error'), 10_000);
  return { ws, messages, answer, of: (type: string) => messages.filter((m) => m.type === type), closed: () => closeCode };
}

async function until<T>(check: () => T | undefined | false, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A PostgreSQL deployment whose processes share rooms through Redis, and `n` users. */
async function shared(n: number, env: Record<string, string> = {}) {
  const d = await deployment('postgres', { V4H_REDIS_URL: REDIS_URL, V4H_ROOM_GRACE_PERIOD: String(GRACE_SECONDS), ...env });
  cleanups.push(d.destroy);
  const users = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, n, 'room-mp-');
  return { d, users };
}

describe('built-in room across processes', () => {
  it('members on the same process meet (control, no Redis)', async () => {
    const d = await deployment('postgres');
    cleanups.push(d.destroy);
    const users = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 2, 'room-mp-');
    const server = await d.start();
    const [owner, guest] = [await login(server.url, users[0]), await login(server.url, users[1])];
    const { sessionId } = (await call(server.url, 'POST', '/api/conferences', { token: owner.accessToken, body: {} })).body;
    const a = await member(server, (await call(server.url, 'POST', `/api/conferences/${sessionId}/start`, { token: owner.accessToken, body: {} })).body);
    const b = await member(server, (await call(server.url, 'POST', `/api/conferences/${sessionId}/join`, { token: guest.accessToken, body: {} })).body);
    await until(() => a.of('participant-joined').length > 0, 5000);
    expect(b.answer.participants).toHaveLength(1);
  });

  it('members on different processes meet, and a killed process’s member is seen to leave', async () => {
    const { d, users } = await shared(2);
    const [one, two] = [await d.start(), await d.start()];
    const [owner, guest] = [await login(one.url, users[0]), await login(two.url, users[1])];
    const { sessionId } = (await call(one.url, 'POST', '/api/conferences', { token: owner.accessToken, body: {} })).body;
    const a = await member(one, (await call(one.url, 'POST', `/api/conferences/${sessionId}/start`, { token: owner.accessToken, body: {} })).body);
    const b = await member(two, (await call(two.url, 'POST', `/api/conferences/${sessionId}/join`, { token: guest.accessToken, body: {} })).body);
    expect(b.answer.type).toBe('joined');
    expect(b.answer.participants.map((p: any) => p.id)).toEqual([a.answer.you.id]);
    await until(() => a.of('participant-joined').length > 0, 5000);
    expect(a.of('participant-joined')[0].participant.id).toBe(b.answer.you.id);
    // Signaling crosses the processes both ways.
    b.ws.send(JSON.stringify({ type: 'signal', to: a.answer.you.id, data: { description: { type: 'offer', sdp: 'v=0' } } }));
    a.ws.send(JSON.stringify({ type: 'signal', to: b.answer.you.id, data: { candidate: { candidate: 'c' } } }));
    await until(() => a.of('signal').length > 0 && b.of('signal').length > 0, 5000);
    expect(a.of('signal')[0]).toMatchObject({ from: b.answer.you.id, data: { description: { type: 'offer' } } });

    // The second process is killed (SIGKILL: no goodbye). The first notices its heartbeat stopped, shows the member
    // as disconnected, and after the grace period records and announces the leave.
    const killedAt = Date.now();
    await two.kill();
    await until(() => a.of('participant-updated').some((m) => m.participant.id === b.answer.you.id && m.participant.connected === false), 10_000);
    await until(() => a.of('participant-left').some((m) => m.id === b.answer.you.id), 20_000);
    const noticedIn = Date.now() - killedAt;
    // Heartbeat expiry (3 s) + the grace period (3 s) + checks; generous for a loaded machine.
    expect(noticedIn).toBeLessThan(20_000);
    // Recorded once, by the surviving process.
    const rows = await withDatabase(d.env.V4H_DATABASE_URL, (db: any) =>
      db.kysely.selectFrom('participants').select(['participant_id', 'left_at']).where('session_id', '=', sessionId).execute(),
    );
    expect(rows.find((r: any) => r.participant_id === b.answer.you.id)?.left_at).toBeTruthy();
    expect(rows.find((r: any) => r.participant_id === a.answer.you.id)?.left_at).toBeFalsy();
    expect(loggedErrors(one.output())).toEqual([]);
  });

  it('the owner on one process kicks a colleague on the other: told, closed, seen to leave, refused again on both', async () => {
    const { d, users } = await shared(2);
    const [one, two] = [await d.start(), await d.start()];
    const [owner, colleague] = [await login(one.url, users[0]), await login(two.url, users[1])];
    const { sessionId } = (await call(one.url, 'POST', '/api/conferences', { token: owner.accessToken, body: {} })).body;
    const a = await member(one, (await call(one.url, 'POST', `/api/conferences/${sessionId}/start`, { token: owner.accessToken, body: {} })).body);
    const embed = (await call(two.url, 'POST', `/api/conferences/${sessionId}/join`, { token: colleague.accessToken, body: {} })).body;
    const b = await member(two, embed);
    expect(b.answer.type).toBe('joined');
    const bId = b.answer.you.id;
    await until(() => a.of('participant-joined').some((m) => m.participant.id === bId), 10_000);

    // The moderator's kick (the IFrame API's kickParticipant) reaches the process holding the colleague's socket.
    a.ws.send(JSON.stringify({ type: 'kick', id: bId }));
    await until(() => b.of('kicked').length > 0 && b.closed() !== undefined, 15_000);
    expect(b.of('kicked')[0]).toEqual({ type: 'kicked', by: a.answer.you.id });
    expect(b.closed()).toBe(4403);
    await until(() => a.of('participant-kicked').some((m) => m.id === bId) && a.of('participant-left').some((m) => m.id === bId), 15_000);
    expect(a.of('error')).toEqual([]);

    // The same token through either process, and a new join over the API on either: refused.
    for (const server of [one, two]) {
      const again = await member(server, embed);
      expect(again.answer).toMatchObject({ type: 'error', code: 'removed' });
      expect((await call(server.url, 'POST', `/api/conferences/${sessionId}/join`, { token: colleague.accessToken, body: {} })).status).toBe(403);
    }
    // Recorded once: one removal, one leave.
    const { events, rows } = await withDatabase(d.env.V4H_DATABASE_URL, async (db: any) => ({
      events: await db.kysely.selectFrom('conference_events').select(['type']).where('session_id', '=', sessionId).execute(),
      rows: await db.kysely.selectFrom('participants').select(['participant_id', 'left_at']).where('session_id', '=', sessionId).execute(),
    }));
    expect(events.filter((e: any) => e.type === 'removed')).toHaveLength(1);
    expect(events.filter((e: any) => e.type === 'left')).toHaveLength(1);
    expect(rows.find((r: any) => r.participant_id === bId)?.left_at).toBeTruthy();
    expect(loggedErrors(one.output() + two.output())).toEqual([]);
  });

  it('a guest link revoked over the API leaves the room wherever its guest is: through the owner’s process, and through one without the room', async () => {
    const { d, users } = await shared(1);
    const [one, two] = [await d.start(), await d.start()];
    const owner = await login(one.url, users[0]);
    // Direct guest links (room tokens): this conference has no waiting room (on by default; its guests' tokens are V4H
    // guest tokens, which the room refuses until admission: waiting/waiting.test.ts).
    const { sessionId } = (await call(one.url, 'POST', '/api/conferences', { token: owner.accessToken, body: { waitingRoom: false } })).body;
    const start = (await call(one.url, 'POST', `/api/conferences/${sessionId}/start`, { token: owner.accessToken, body: {} })).body;
    const link = async () => (await call(one.url, 'POST', `/api/conferences/${sessionId}/guest-url`, { token: owner.accessToken, body: { name: 'Pat' } })).body;
    const revoke = (server: ServerProcess, guestId: string) =>
      call(server.url, 'POST', `/api/conferences/${sessionId}/guests/${guestId}/revoke`, { token: owner.accessToken });
    const asEmbed = (l: { jwt: string }) => ({ roomName: start.roomName, jwt: l.jwt });

    // The guest waits alone on process two (the owner is not in the room); the owner revokes through process one,
    // which holds no member of this room.
    const first = await link();
    const g1 = await member(two, asEmbed(first));
    expect(g1.answer.type).toBe('joined');
    expect((await revoke(one, first.guestId)).status).toBe(200);
    await until(() => g1.of('kicked').length > 0 && g1.closed() !== undefined, 15_000);
    expect(g1.of('kicked')[0]).toEqual({ type: 'kicked', by: null });
    expect(g1.closed()).toBe(4403);

    // The owner in the room on process one, a second guest on process two, revoked through process one.
    const a = await member(one, start);
    const second = await link();
    const g2 = await member(two, asEmbed(second));
    const g2Id = g2.answer.you.id;
    await until(() => a.of('participant-joined').some((m) => m.participant.id === g2Id), 10_000);
    expect((await revoke(one, second.guestId)).status).toBe(200);
    await until(() => g2.of('kicked').length > 0 && g2.closed() !== undefined, 15_000);
    expect(g2.closed()).toBe(4403);
    await until(() => a.of('participant-kicked').some((m) => m.id === g2Id) && a.of('participant-left').some((m) => m.id === g2Id), 15_000);

    // Neither link admits anyone again, through either process.
    for (const server of [one, two]) {
      for (const l of [first, second]) expect((await member(server, asEmbed(l))).answer).toMatchObject({ type: 'error', code: 'removed' });
    }
    const rows = await withDatabase(d.env.V4H_DATABASE_URL, (db: any) =>
      db.kysely.selectFrom('participants').select(['participant_id', 'left_at']).where('session_id', '=', sessionId).execute(),
    );
    for (const id of [g1.answer.you.id, g2Id]) expect(rows.find((r: any) => r.participant_id === id)?.left_at).toBeTruthy();
    expect(loggedErrors(one.output() + two.output())).toEqual([]);
  });

  it('holds the participant cap across processes', async () => {
    const { d, users } = await shared(4, { V4H_ROOM_MAX_PARTICIPANTS: '3' });
    const [one, two] = [await d.start(), await d.start()];
    const servers = [one, two];
    const tokens = await Promise.all(users.map((u, i) => login(servers[i % 2].url, u)));
    const { sessionId } = (await call(one.url, 'POST', '/api/conferences', { token: tokens[0].accessToken, body: {} })).body;
    await member(one, (await call(one.url, 'POST', `/api/conferences/${sessionId}/start`, { token: tokens[0].accessToken, body: {} })).body);
    // Three colleagues, on alternating processes, for the two other seats.
    const embeds = await Promise.all(
      [1, 2, 3].map(
        async (i) => (await call(servers[i % 2].url, 'POST', `/api/conferences/${sessionId}/join`, { token: tokens[i].accessToken, body: {} })).body,
      ),
    );
    const answers = await Promise.all(embeds.map((e, i) => member(servers[(i + 1) % 2], e)));
    expect(answers.map((m) => (m.answer.type === 'joined' ? 'joined' : m.answer.code)).sort()).toEqual(['joined', 'joined', 'room_full']);
  });
});
