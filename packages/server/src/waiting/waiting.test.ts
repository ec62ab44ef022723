// The waiting room over real HTTP on both databases (issue 20; issue 15: a guest link admits one person at a time and
// is revocable before its token expires): no video token before admission, one entry per admission, deny, leaving on
// stream close, an ended conference, tokens scoped to their conference, and the owner's stream within 1 s.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { createTestApp, JITSI_TEST_ENV, type TestApp } from '../test-support/test-app.js';
import { roomSocket } from '../test-support/room-socket.js';
import { listEvents } from '../db/event-log.js';
import { bearer, call, openSse } from '../test-support/http-sse.js';

const WAITING = { V4H_WAITING_ROOM: 'on', V4H_WAITING_ROOM_GRACE: '1', V4H_BRAND_NAME: 'Clínica Sol' };
const apps: TestApp[] = [];
const streams: AbortController[] = [];
const sse = (t: TestApp, path: string, headers: Record<string, string>) => openSse(t, path, headers, streams);
afterEach(async () => {
  for (const s of streams.splice(0)) s.abort();
  while (apps.length) await apps.pop()!.close();
});

async function app(env: Record<string, string> = {}) {
  const t = await createTestApp({ env: { ...WAITING, ...env } });
  apps.push(t);
  return t;
}

/** An owner with a conference (started) and a guest link for "Pat Doe". */
async function visit(t: TestApp, request: object = {}, name: string | null = 'Pat Doe') {
  const owner = await t.userSession();
  const { sessionId } = (await call(t, owner.auth, 'POST', '/api/conferences', request)).body;
  const ownerEmbed = (await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/start`, { displayName: 'Dr. Ana' })).body;
  const link = (await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/guest-url`, name === null ? {} : { name })).body;
  return { owner, sessionId: sessionId as string, ownerEmbed, link, guest: bearer(link.jwt) };
}

describe('waiting room', () => {
  it('a guest link carries a guest token in the fragment of /visit/, which gets no video token before admission', async () => {
    const t = await app();
    const { sessionId, link, guest, ownerEmbed } = await visit(t);
    expect(link.url).toBe(`${t.config.publicUrl}/visit/#${link.jwt}`);
    expect(decodeJwt(link.jwt)).toMatchObject({ aud: 'v4h-guest', sid: sessionId, sub: link.guestId });
    // The built-in room refuses it: it is no room token.
    const socket = await roomSocket(t.baseUrl);
    expect(await socket.join(ownerEmbed.roomName, link.jwt)).toMatchObject({ type: 'error', fatal: true });
    socket.ws.close();

    const info = await call(t, guest, 'GET', '/api/visit');
    expect(info.status).toBe(200);
    expect(info.body).toEqual({
      sessionId,
      guestId: link.guestId,
      participantId: expect.stringMatching(/^w-/),
      name: 'Pat Doe',
      hostName: 'Dr. Ana',
      brand: { name: 'Clínica Sol', logoUrl: null },
      state: 'new',
      reason: null,
      entered: false,
    });
    // Before knocking, and while waiting: no video token.
    expect((await call(t, guest, 'POST', '/api/visit/enter')).status).toBe(403);
    expect((await call(t, guest, 'POST', '/api/visit/knock', {})).body).toEqual({ participantId: info.body.participantId, state: 'waiting' });
    const refused = await call(t, guest, 'POST', '/api/visit/enter');
    expect(refused).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    // Without a guest token, or with an access token instead: 401.
    expect((await call(t, {}, 'GET', '/api/visit')).status).toBe(401);
    const stranger = await t.userSession();
    expect((await call(t, stranger.auth, 'GET', '/api/visit')).status).toBe(401);
    // Nor is the guest token an access token.
    expect((await call(t, guest, 'GET', `/api/conferences/${sessionId}/waiting`)).status).toBe(401);
    expect((await call(t, guest, 'GET', `/api/conferences/${sessionId}/events`)).status).toBe(401);
  });

  it('knocking reaches the owner’s event stream within 1 s; admitted, the guest enters once and joins the built-in room', async () => {
    const t = await app();
    const { owner, sessionId, link, guest, ownerEmbed } = await visit(t, {}, null);
    const ownerStream = await sse(t, `/api/conferences/${sessionId}/events`, owner.auth);
    expect(ownerStream.res.status).toBe(200);
    const guestStream = await sse(t, '/api/visit/events', guest);
    expect(guestStream.res.status).toBe(200);
    await expect.poll(() => guestStream.events.map((e) => e.data.state)).toEqual(['new']);

    // A link without a name: the guest gives one.
    expect((await call(t, guest, 'POST', '/api/visit/knock', {})).status).toBe(400);
    const knockedAt = Date.now();
    const knock = await call(t, guest, 'POST', '/api/visit/knock', { name: 'Maria Silva' });
    expect(knock.body.state).toBe('waiting');
    await expect.poll(() => ownerStream.events.map((e) => e.event), { timeout: 1000, interval: 20 }).toContain('knocked');
    expect(Date.now() - knockedAt).toBeLessThan(1000);
    const knocked = ownerStream.events.find((e) => e.event === 'knocked')!;
    expect(knocked.data.data).toEqual({ participantId: knock.body.participantId, guestId: link.guestId });
    expect(JSON.stringify(ownerStream.events)).not.toContain('Maria');
    await expect.poll(() => guestStream.events.map((e) => e.data.state)).toEqual(['new', 'waiting']);

    const list = await call(t, owner.auth, 'GET', `/api/conferences/${sessionId}/waiting`);
    expect(list.body.items).toEqual([
      { participantId: knock.body.participantId, guestId: link.guestId, name: 'Maria Silva', knockedAt: expect.any(String), state: 'waiting' },
    ]);
    // Only the owner decides.
    const other = await t.userSession();
    expect((await call(t, other.auth, 'POST', `/api/conferences/${sessionId}/waiting/${knock.body.participantId}/admit`)).status).toBe(403);
    expect((await call(t, other.auth, 'GET', `/api/conferences/${sessionId}/waiting`)).status).toBe(403);

    const admitted = await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${knock.body.participantId}/admit`);
    expect(admitted.body).toMatchObject({ state: 'admitted', name: 'Maria Silva' });
    await expect.poll(() => guestStream.events.map((e) => e.data.state), { timeout: 1000, interval: 20 }).toEqual(['new', 'waiting', 'admitted']);
    await expect.poll(() => ownerStream.events.map((e) => e.event)).toContain('admitted');

    const embed = await call(t, guest, 'POST', '/api/visit/enter');
    expect(embed.status).toBe(200);
    expect(embed.body).toMatchObject({ sessionId, roomName: ownerEmbed.roomName, moderator: false, displayName: 'Maria Silva', presenceToken: null });
    // One entry per admission: a second browser with the same link gets nothing.
    expect((await call(t, guest, 'POST', '/api/visit/enter')).body.error).toBe('conflict');
    expect((await call(t, guest, 'GET', '/api/visit')).body).toMatchObject({ state: 'admitted', entered: true });

    const ownerSocket = await roomSocket(t.baseUrl);
    expect((await ownerSocket.join(ownerEmbed.roomName, ownerEmbed.jwt)).type).toBe('joined');
    const guestSocket = await roomSocket(t.baseUrl);
    expect((await guestSocket.join(ownerEmbed.roomName, embed.body.jwt)).type).toBe('joined');
    expect((await call(t, guest, 'POST', '/api/visit/enter')).status).toBe(409);
    // Having left the call, the guest may enter again with the same admission (a reload, a lost connection).
    guestSocket.send({ type: 'leave' });
    guestSocket.ws.close();
    await expect.poll(async () => (await call(t, guest, 'POST', '/api/visit/enter')).status, { timeout: 5000 }).toBe(200);
    ownerSocket.ws.close();

    const types = (await listEvents(t.db.kysely, sessionId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['knocked', 'admitted', 'token_issued', 'joined', 'left']));
    const log = JSON.stringify(await listEvents(t.db.kysely, sessionId));
    expect(log).not.toContain('Maria');
  });

  it('a denied guest cannot knock again with that link until the owner allows it', async () => {
    const t = await app();
    const { owner, sessionId, guest, link } = await visit(t);
    const ownerStream = await sse(t, `/api/conferences/${sessionId}/events`, owner.auth);
    const guestStream = await sse(t, '/api/visit/events', guest);
    const { participantId } = (await call(t, guest, 'POST', '/api/visit/knock', {})).body;
    const denied = await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/deny`, { reason: 'Please book a new time' });
    expect(denied.body.state).toBe('denied');
    await expect.poll(() => guestStream.events.at(-1)?.data).toEqual({ state: 'denied', reason: 'Please book a new time' });
    expect((await call(t, guest, 'POST', '/api/visit/knock', {})).body.error).toBe('conflict');
    expect((await call(t, guest, 'POST', '/api/visit/enter')).status).toBe(403);
    expect((await call(t, guest, 'GET', '/api/visit')).body).toMatchObject({ state: 'denied', reason: 'Please book a new time' });
    // Admitting a denied guest is refused; the reason never enters the log.
    expect((await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/admit`)).status).toBe(409);
    expect(JSON.stringify(await listEvents(t.db.kysely, sessionId))).not.toContain('book');

    expect((await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/allow-again`)).body.state).toBe('new');
    // Allowing again is a step of the log like admit and deny (ids only), and reaches both streams through it.
    await expect.poll(() => ownerStream.events.map((e) => e.event), { timeout: 1000, interval: 20 }).toContain('allowed_again');
    expect(ownerStream.events.find((e) => e.event === 'allowed_again')!.data.data).toEqual({ participantId, guestId: link.guestId });
    await expect.poll(() => guestStream.events.at(-1)?.data, { timeout: 1000, interval: 20 }).toEqual({ state: 'new' });
    const allowed = (await listEvents(t.db.kysely, sessionId)).filter((e) => e.type === 'allowed_again');
    expect(allowed).toHaveLength(1);
    const ownerRow = await t.db.kysely.selectFrom('users').select('id').where('username', '=', owner.username).executeTakeFirstOrThrow();
    expect(allowed[0].actor).toBe(`user:${ownerRow.id}`);
    expect(JSON.parse(allowed[0].data)).toEqual({ participantId, guestId: link.guestId });
    // Not allowed twice: only a denied guest can be.
    expect((await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/allow-again`)).status).toBe(409);
    expect((await call(t, guest, 'POST', '/api/visit/knock', {})).body).toEqual({ participantId, state: 'waiting' });
  });

  it('closing the stream leaves the queue after the grace period; a reload within it keeps the place', async () => {
    const t = await app();
    const { owner, sessionId, guest } = await visit(t);
    const ownerStream = await sse(t, `/api/conferences/${sessionId}/events`, owner.auth);
    let stream = await sse(t, '/api/visit/events', guest);
    const { participantId } = (await call(t, guest, 'POST', '/api/visit/knock', {})).body;
    // A reload: the stream closes and another opens at once.
    stream.close();
    stream = await sse(t, '/api/visit/events', guest);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await call(t, guest, 'GET', '/api/visit')).body).toMatchObject({ state: 'waiting', participantId });
    // The page goes away for good.
    stream.close();
    await expect.poll(async () => (await call(t, guest, 'GET', '/api/visit')).body.state, { timeout: 5000 }).toBe('new');
    await expect.poll(() => ownerStream.events.map((e) => e.event)).toContain('left_waiting_room');
    expect(ownerStream.events.find((e) => e.event === 'left_waiting_room')!.data.data).toMatchObject({ participantId, reason: 'gone' });
    expect((await call(t, owner.auth, 'GET', `/api/conferences/${sessionId}/waiting`)).body.items).toEqual([]);
    // Coming back with the same link takes the same place.
    expect((await call(t, guest, 'POST', '/api/visit/knock', {})).body).toEqual({ participantId, state: 'waiting' });
    // Leaving explicitly.
    expect((await call(t, guest, 'POST', '/api/visit/leave')).body).toEqual({ state: 'new' });
  });

  it('an ended conference turns everyone away', async () => {
    const t = await app();
    const { owner, sessionId, guest } = await visit(t);
    const stream = await sse(t, '/api/visit/events', guest);
    const { participantId } = (await call(t, guest, 'POST', '/api/visit/knock', {})).body;
    await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/waiting/${participantId}/admit`);
    await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/end`);
    await expect.poll(() => stream.events.at(-1)?.data, { timeout: 3000 }).toEqual({ state: 'ended' });
    expect((await call(t, guest, 'GET', '/api/visit')).body.state).toBe('ended');
    expect((await call(t, guest, 'POST', '/api/visit/enter')).body.error).toBe('conference_ended');
    expect((await call(t, guest, 'POST', '/api/visit/knock', {})).body.error).toBe('conference_ended');
  });

  it('a guest token is scoped to its conference and link: useless for another, dead once revoked (issue 15)', async () => {
    const t = await app(JITSI_TEST_ENV);
    const a = await visit(t);
    const b = await visit(t);
    const { participantId } = (await call(t, a.guest, 'POST', '/api/visit/knock', {})).body;
    // A's token speaks only of A.
    expect((await call(t, a.guest, 'GET', '/api/visit')).body.sessionId).toBe(a.sessionId);
    // B's owner cannot act on A's guest through B.
    expect((await call(t, b.owner.auth, 'POST', `/api/conferences/${b.sessionId}/waiting/${participantId}/admit`)).status).toBe(404);
    expect((await call(t, b.owner.auth, 'POST', `/api/conferences/${a.sessionId}/waiting/${participantId}/admit`)).status).toBe(403);
    await call(t, a.owner.auth, 'POST', `/api/conferences/${a.sessionId}/waiting/${participantId}/admit`);
    const embed = (await call(t, a.guest, 'POST', '/api/visit/enter')).body;
    // Jitsi: the guest's JWT comes only now, for A's room, short-lived, not a moderator.
    const claims = decodeJwt(embed.jwt);
    expect(claims.room).toBe(a.ownerEmbed.roomName);
    expect(claims.room).not.toBe(b.ownerEmbed.roomName);
    expect(claims.exp! - claims.iat!).toBe(t.config.admissionTokenTtl);
    expect(claims.context).toMatchObject({ user: { id: a.link.guestId, moderator: false } });

    // Revoked before its token expires: the link opens nothing any more.
    expect((await call(t, a.owner.auth, 'POST', `/api/conferences/${a.sessionId}/guests/${a.link.guestId}/revoke`)).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/api/visit'],
      ['POST', '/api/visit/knock'],
      ['POST', '/api/visit/enter'],
      ['GET', '/api/visit/events'],
    ] as const) {
      expect((await call(t, a.guest, method, path, method === 'POST' ? {} : undefined)).status, `${method} ${path}`).toBe(403);
    }
  });

  it('waitingRoom: false (or V4H_WAITING_ROOM=off) keeps links as they were; true turns it on', async () => {
    const t = await app();
    const plain = await visit(t, { waitingRoom: false });
    expect(plain.link.url).not.toContain('/visit/');
    expect(decodeJwt(plain.link.jwt).aud).toBe('jitsi');
    expect((await call(t, plain.guest, 'GET', '/api/visit')).status).toBe(401);
    // No waiting room and no name: refused.
    const { owner, sessionId } = plain;
    expect((await call(t, owner.auth, 'POST', `/api/conferences/${sessionId}/guest-url`, {})).body.error).toBe('validation_failed');

    const off = await app({ V4H_WAITING_ROOM: 'off' });
    expect((await visit(off)).link.url).not.toContain('/visit/');
    expect((await visit(off, { waitingRoom: true })).link.url).toContain('/visit/#');
  });
});
