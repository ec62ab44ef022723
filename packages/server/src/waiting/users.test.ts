// The waiting room for users with accounts (waitingRoomForUsers, issue 20: invited users wait when the owner says so),
// over real HTTP on both databases: join answers the user's place instead of an embed until the owner admits them.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { listEvents } from '../db/event-log.js';
import { call, openSse } from '../test-support/http-sse.js';

const apps: TestApp[] = [];
const streams: AbortController[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.abort();
  while (apps.length) await apps.pop()!.close();
});

async function app() {
  const t = await createTestApp({ env: { V4H_WAITING_ROOM: 'on', V4H_WAITING_ROOM_GRACE: '1' } });
  apps.push(t);
  return t;
}
const sse = (t: TestApp, path: string, headers: Record<string, string>) => openSse(t, path, headers, streams);

/** An owner with a started conference whose users wait, and a colleague invited to join it. */
async function meeting(t: TestApp, request: object = { waitingRoomForUsers: true }) {
  const owner = await t.userSession();
  const colleague = await t.userSession();
  const { sessionId } = (await call(t, owner.auth, 'POST', '/api/conferences', { joinPolicy: 'RESTRICT', users: [colleague.username], ...request })).body;
  expect((await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/start`, { displayName: 'Dr. Ana' })).status).toBe(200);
  return { owner, colleague, sessionId: sessionId as string };
}

describe('waiting room for users (waitingRoomForUsers)', () => {
  it('a colleague’s join knocks and waits (202, no token) until the owner admits them; then join answers the embed', async () => {
    const t = await app();
    const { owner, colleague, sessionId } = await meeting(t);
    const ownerStream = await sse(t, `/api/conferences/${sessionId}/events`, owner.auth);
    // The owner never waits.
    expect((await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).status).toBe(200);

    const knock = await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, { displayName: 'Dr. Bruno' });
    expect(knock).toEqual({ status: 202, body: { sessionId, participantId: expect.stringMatching(/^w-/), state: 'waiting', hostName: 'Dr. Ana' } });
    const { participantId } = knock.body;
    await expect.poll(() => ownerStream.events.map((e) => e.event), { timeout: 1000, interval: 20 }).toContain('knocked');
    // The channel carries ids only.
    expect(ownerStream.events.find((e) => e.event === 'knocked')!.data.data).toEqual({ participantId });
    // Joining again while waiting keeps the place (no second knock).
    expect((await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).body).toMatchObject({ participantId, state: 'waiting' });
    const mine = await sse(t, `/api/conferences/${sessionId}/waiting/me/events`, colleague.auth);
    expect(mine.res.status).toBe(200);
    await expect.poll(() => mine.events.map((e) => e.data.state)).toEqual(['waiting']);

    const list = await call(t, owner.auth, 'GET', `/api/conferences/${sessionId}/waiting`);
    expect(list.body.items).toEqual([
      { participantId, guestId: null, userId: expect.any(String), name: colleague.username, knockedAt: expect.any(String), state: 'waiting' },
    ]);
    // Only the owner decides, and a user may not read another's place.
    expect((await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/admit`)).status).toBe(403);

    const admitted = await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/admit`);
    expect(admitted.body).toMatchObject({ participantId, guestId: null, state: 'admitted', name: colleague.username });
    await expect.poll(() => mine.events.map((e) => e.data.state), { timeout: 1000, interval: 20 }).toEqual(['waiting', 'admitted']);
    const embed = await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, { displayName: 'Dr. Bruno' });
    expect(embed.status).toBe(200);
    expect(embed.body).toMatchObject({ sessionId, moderator: false, displayName: 'Dr. Bruno', jwt: expect.any(String) });

    const log = await listEvents(t.db.kysely, sessionId);
    const knocked = log.find((e) => e.type === 'knocked')!;
    expect(knocked.actor).toMatch(/^user:/);
    expect(JSON.parse(knocked.data)).toEqual({ participantId, userId: knocked.actor.slice('user:'.length) });
    expect(log.filter((e) => e.type === 'knocked')).toHaveLength(1);
    expect(log.map((e) => e.type)).toEqual(expect.arrayContaining(['knocked', 'admitted', 'token_issued']));
    expect(JSON.stringify(log)).not.toContain(colleague.username);
    expect(JSON.stringify(log)).not.toContain('Bruno');
  });

  it('users outside the join policy cannot knock; denied users get 403 with the reason until allowed again', async () => {
    const t = await app();
    const { owner, colleague, sessionId } = await meeting(t);
    const stranger = await t.userSession();
    expect((await call(t, stranger.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).status).toBe(403);
    // Never knocked: no place, no stream.
    expect((await call(t, stranger.auth, 'GET', `/api/conferences/${sessionId}/waiting/me/events`)).status).toBe(404);

    const { participantId } = (await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).body;
    const mine = await sse(t, `/api/conferences/${sessionId}/waiting/me/events`, colleague.auth);
    await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/deny`, { reason: 'Not today' });
    await expect.poll(() => mine.events.at(-1)?.data).toEqual({ state: 'denied', reason: 'Not today' });
    expect(await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).toEqual({
      status: 403,
      body: { error: 'forbidden', message: 'Not today' },
    });
    expect((await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/allow-again`)).body.state).toBe('new');
    expect((await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).body).toMatchObject({ participantId, state: 'waiting' });
    expect(JSON.stringify(await listEvents(t.db.kysely, sessionId))).not.toContain('Not today');
  });

  it('a waiting user whose stream closes leaves after the grace period; leave and an ended conference end the wait', async () => {
    const t = await app();
    const { owner, colleague, sessionId } = await meeting(t);
    const ownerStream = await sse(t, `/api/conferences/${sessionId}/events`, owner.auth);
    const { participantId } = (await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).body;
    const first = await sse(t, `/api/conferences/${sessionId}/waiting/me/events`, colleague.auth);
    first.close();
    await expect.poll(async () => (await call(t, owner.auth, 'GET', `/api/conferences/${sessionId}/waiting`)).body.items, { timeout: 5000 }).toEqual([]);
    await expect.poll(() => ownerStream.events.map((e) => e.event)).toContain('left_waiting_room');
    expect(ownerStream.events.find((e) => e.event === 'left_waiting_room')!.data.data).toEqual({ participantId, reason: 'gone' });

    // Back with a join: the same place.
    expect((await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).body).toMatchObject({ participantId, state: 'waiting' });
    expect((await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/waiting/me/leave`)).body).toEqual({ state: 'new' });
    expect((await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).status).toBe(202);
    const mine = await sse(t, `/api/conferences/${sessionId}/waiting/me/events`, colleague.auth);
    await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/end`);
    await expect.poll(() => mine.events.at(-1)?.data, { timeout: 3000 }).toEqual({ state: 'ended' });
    expect((await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).body.error).toBe('conference_ended');
  });

  it('without the option users join at once; it needs a waiting room', async () => {
    const t = await app();
    const { colleague, sessionId } = await meeting(t, {});
    expect((await call(t, colleague.auth, 'POST', `/api/conferences/${sessionId}/join`, {})).status).toBe(200);
    const owner = await t.userSession();
    const refused = await call(t, owner.auth, 'POST', '/api/conferences', { waitingRoom: false, waitingRoomForUsers: true });
    expect(refused).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
  });
});
