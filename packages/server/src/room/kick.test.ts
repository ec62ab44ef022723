// Removing people over real HTTP (issue 15 item 2): the moderator's kickParticipant in the built-in room and the owner's
// revocation of a guest link; the removed token is refused afterwards, a removed user cannot join again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { roomSocket } from '../test-support/room-socket.js';
import { listEvents } from '../db/event-log.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { V4H_ROOM_MAX_PARTICIPANTS: '4' } });
});
afterAll(async () => t?.close());

type Auth = { authorization: string };
const post = (path: string, body: unknown, auth: Auth) =>
  fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    body: await r.json(),
  }));

/** The owner in the room, bob joined as "Dr. Alice", and a guest link's guest: each with its socket and token. */
async function call() {
  const owner = await t.userSession();
  const bob = await t.userSession();
  const { sessionId } = (await post('/api/conferences', {}, owner.auth)).body;
  const ownerEmbed = (await post(`/api/conferences/${sessionId}/start`, {}, owner.auth)).body;
  const bobEmbed = (await post(`/api/conferences/${sessionId}/join`, { displayName: 'Dr. Alice' }, bob.auth)).body;
  const link = (await post(`/api/conferences/${sessionId}/guest-url`, { name: 'Pat' }, owner.auth)).body;
  const guestJwt = new URL(link.url).searchParams.get('jwt')!;
  const room = ownerEmbed.roomName as string;
  const sockets = { owner: await roomSocket(t.baseUrl), bob: await roomSocket(t.baseUrl), guest: await roomSocket(t.baseUrl) };
  const joined = {
    owner: await sockets.owner.join(room, ownerEmbed.jwt),
    bob: await sockets.bob.join(room, bobEmbed.jwt),
    guest: await sockets.guest.join(room, guestJwt),
  };
  for (const m of Object.values(joined)) expect(m.type).toBe('joined');
  return { sessionId, room, owner, bob, bobJwt: bobEmbed.jwt as string, guestJwt, guestId: link.guestId as string, sockets, joined };
}

describe('removing participants', () => {
  it('kickParticipant: only the moderator, never the owner; the kicked token is refused afterwards (guest and user)', async () => {
    const c = await call();
    // Not a moderator: refused, nobody leaves.
    c.sockets.bob.send({ type: 'kick', id: c.joined.guest.you.id });
    expect(await c.sockets.bob.next('error')).toMatchObject({ code: 'not_moderator', fatal: false });
    c.sockets.owner.send({ type: 'kick', id: c.joined.owner.you.id });
    expect(await c.sockets.owner.next('error')).toMatchObject({ code: 'bad_message', fatal: false });

    c.sockets.owner.send({ type: 'kick', id: c.joined.guest.you.id });
    expect(await c.sockets.guest.next('kicked')).toEqual({ type: 'kicked', by: c.joined.owner.you.id });
    expect(await c.sockets.guest.closed).toBe(4403);
    expect(await c.sockets.bob.next('participant-kicked')).toEqual({ type: 'participant-kicked', id: c.joined.guest.you.id, by: c.joined.owner.you.id });
    await c.sockets.bob.next('participant-left');
    // The same guest link again: refused (before the fix it walked back in).
    const again = await roomSocket(t.baseUrl);
    expect(await again.join(c.room, c.guestJwt)).toMatchObject({ type: 'error', code: 'removed', fatal: true });

    c.sockets.owner.send({ type: 'kick', id: c.joined.bob.you.id });
    expect(await c.sockets.bob.closed).toBe(4403);
    const bobAgain = await roomSocket(t.baseUrl);
    expect(await bobAgain.join(c.room, c.bobJwt)).toMatchObject({ type: 'error', code: 'removed' });
    // A removed user gets no new token either, and loses the admission (files).
    const rejoin = await post(`/api/conferences/${c.sessionId}/join`, {}, c.bob.auth);
    expect(rejoin).toMatchObject({ status: 403, body: { error: 'forbidden', message: expect.stringContaining('removed') } });
    expect((await fetch(`${t.baseUrl}/api/conferences/${c.sessionId}/files`, { headers: c.bob.auth })).status).toBe(403);
    await c.sockets.owner.next('participant-left');
    for (let i = 0; i < 50 && c.sockets.owner.messages.filter((m) => m.type === 'participant-left').length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(
      c.sockets.owner.messages
        .filter((m) => m.type === 'participant-left')
        .map((m) => m.id)
        .sort(),
    ).toEqual([c.joined.guest.you.id, c.joined.bob.you.id].sort());

    // The record: who removed whom, by ids only, then the leave; the conference goes on.
    const events = await listEvents(t.db.kysely, c.sessionId);
    const removed = events.filter((e) => e.type === 'removed').map((e) => ({ actor: e.actor, data: JSON.parse(e.data) }));
    const ownerId = events.find((e) => e.type === 'started')!.actor;
    expect(removed).toEqual([
      { actor: ownerId, data: { subject: `guest:${c.guestId}`, participantId: c.joined.guest.you.id } },
      { actor: ownerId, data: { subject: expect.stringMatching(/^user:/), participantId: c.joined.bob.you.id } },
    ]);
    expect(events.map((e) => e.data).join()).not.toMatch(/Pat|Alice|bob|user\d/);
    expect(events.at(-1)!.type).toBe('left');
    c.sockets.owner.ws.close();
  });

  it('the owner revokes a guest link over the API: the guest leaves the room at once and the link is refused', async () => {
    const c = await call();
    const path = `/api/conferences/${c.sessionId}/guests/${c.guestId}/revoke`;
    expect((await post(path, {}, c.bob.auth)).status).toBe(403);
    expect((await post(`/api/conferences/${c.sessionId}/guests/guest-nosuchlink/revoke`, {}, c.owner.auth)).status).toBe(404);
    expect((await post(`/api/conferences/${c.sessionId}/guests/not-a-guest/revoke`, {}, c.owner.auth)).status).toBe(400);
    const revoked = await post(path, {}, c.owner.auth);
    expect(revoked).toMatchObject({ status: 200, body: { guestId: c.guestId, revokedAt: expect.any(String) } });
    expect(await c.sockets.guest.next('kicked')).toEqual({ type: 'kicked', by: null });
    expect(await c.sockets.owner.next('participant-kicked')).toEqual({ type: 'participant-kicked', id: c.joined.guest.you.id, by: null });
    const again = await roomSocket(t.baseUrl);
    expect(await again.join(c.room, c.guestJwt)).toMatchObject({ type: 'error', code: 'removed' });
    // Idempotent: the same answer, one event.
    expect((await post(path, {}, c.owner.auth)).body).toEqual(revoked.body);
    expect((await listEvents(t.db.kysely, c.sessionId)).filter((e) => e.type === 'removed')).toHaveLength(1);
    for (const s of Object.values(c.sockets)) s.ws.close();
  });
});
