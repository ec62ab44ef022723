// Seats in the built-in room over real HTTP (issue 15 item 2): the owner always gets in, a guest link seats one person.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { roomSocket } from '../test-support/room-socket.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { V4H_ROOM_MAX_PARTICIPANTS: '4' } });
});
afterAll(async () => t?.close());

async function conference() {
  const owner = await t.userSession();
  const post = (path: string, body: unknown, auth = owner.auth) =>
    fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
  const { sessionId } = (await post('/api/conferences', {})).body;
  return { owner, sessionId, post };
}

describe('room seats', () => {
  it('one guest link opened four times fills no seats but one, and the owner still gets in (issue 15 reproduction)', async () => {
    const { sessionId, post, owner: ownerSession } = await conference();
    const guest = await post(`/api/conferences/${sessionId}/guest-url`, { name: 'Patient' });
    expect(guest.status).toBe(200);
    const url = new URL(guest.body.url);
    const roomName = url.pathname.slice(1);
    const jwt = url.searchParams.get('jwt')!;
    const tabs = await Promise.all(Array.from({ length: 4 }, () => roomSocket(t.baseUrl)));
    const answers = await Promise.all(tabs.map((s) => s.join(roomName, jwt)));
    expect(answers.map((m) => (m.type === 'joined' ? 'joined' : m.code)).sort()).toEqual([
      'guest_link_in_use',
      'guest_link_in_use',
      'guest_link_in_use',
      'joined',
    ]);
    // Before the fix: four guests were in, and the owner got room_full.
    const embed = (await post(`/api/conferences/${sessionId}/start`, {})).body;
    const owner = await roomSocket(t.baseUrl);
    const joined = await owner.join(embed.roomName, embed.jwt);
    // Whose account or guest link each one came in with, beside the name they were given or typed.
    expect(joined).toMatchObject({ type: 'joined', participants: [{ displayName: 'Patient', account: { kind: 'guest' } }] });
    expect(joined.you.account).toEqual({ kind: 'user', username: ownerSession.username });
    for (const s of [...tabs, owner]) s.ws.close();
  });

  it('keeps the owner a seat when colleagues fill the room', async () => {
    const { sessionId, post } = await conference();
    const colleagues = await Promise.all(Array.from({ length: 4 }, () => t.userSession()));
    const answers = [];
    for (const c of colleagues) {
      const embed = (await post(`/api/conferences/${sessionId}/join`, {}, c.auth)).body;
      const s = await roomSocket(t.baseUrl);
      answers.push({ s, m: await s.join(embed.roomName, embed.jwt) });
    }
    expect(answers.map((a) => (a.m.type === 'joined' ? 'joined' : a.m.code))).toEqual(['joined', 'joined', 'joined', 'room_full']);
    const embed = (await post(`/api/conferences/${sessionId}/start`, {})).body;
    const owner = await roomSocket(t.baseUrl);
    expect(await owner.join(embed.roomName, embed.jwt)).toMatchObject({ type: 'joined' });
    for (const a of [...answers.map((x) => x.s), owner]) a.ws.close();
  });
});
