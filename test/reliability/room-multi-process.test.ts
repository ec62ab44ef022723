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
  const answer = await until(() => messages.find((m) => m.type === 'joined' || m.type === 'error'), 10_000);
  return { ws, messages, answer, of: (type: string) => messages.filter((m) => m.type === type) };
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

  it('holds the participant cap across processes', async () => {
    const { d, users } = await shared(4, { V4H_ROOM_MAX_PARTICIPANTS: '3' });
    const [one, two] = [await d.start(), await d.start()];
    const servers = [one, two];
    const tokens = await Promise.all(users.map((u, i) => login(servers[i % 2].url, u)));
    const { sessionId } = (await call(one.url, 'POST', '/api/conferences', { token: tokens[0].accessToken, body: {} })).body;
    await member(one, (await call(one.url, 'POST', `/api/conferences/${sessionId}/start`, { token: tokens[0].accessToken, body: {} })).body);
    // Three colleagues, on alternating processes, for the two other seats.
    const embeds = await Promise.all([1, 2, 3].map(async (i) => (await call(servers[i % 2].url, 'POST', `/api/conferences/${sessionId}/join`, { token: tokens[i].accessToken, body: {} })).body));
    const answers = await Promise.all(embeds.map((e, i) => member(servers[(i + 1) % 2], e)));
    expect(answers.map((m) => (m.answer.type === 'joined' ? 'joined' : m.answer.code)).sort()).toEqual(['joined', 'joined', 'room_full']);
  });
});
