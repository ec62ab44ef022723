// Appointment-bound join links over real HTTP: refused before notBefore (425, with when it opens) and after expiresAt
// (410), into the call inside; the record keeps commitments, never the name or the caller's id in clear.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { addMember, addOrganisation, jsonRequest } from './test-support.js';
import { createRoomTokenVerifier } from '../room/room-tokens.js';

let t: TestApp;
afterEach(async () => {
  await t?.close();
});

const HOUR = 3600_000;

/** A manual-clock app, an organisation with a member, a key, and a conference the key made for the member. */
async function setup() {
  t = await createTestApp({ manualClock: true });
  await addOrganisation(t.db, 'clinic-a');
  const admin = await t.userSession();
  const member = await t.createUser();
  await addMember(t.db, 'clinic-a', admin.username, 'admin');
  await addMember(t.db, 'clinic-a', member.username, 'member');
  const key = (await jsonRequest(t, 'POST', '/api/apikeys', { name: 'EHR' }, admin.accessToken)).body.key as string;
  const sessionId = (await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key)).body.sessionId as string;
  return { admin, member, key, sessionId };
}

const at = (ms: number) => new Date(ms).toISOString();

// `*/*` (a script): refusals as they are; a browser (text/html) is sent to the guest page instead (tested below).
async function open(url: string, accept = '*/*') {
  const res = await fetch(url, { redirect: 'manual', headers: { accept } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

describe('appointment links', () => {
  it('are refused before notBefore (425, when it opens), work inside the slot, and expire after it (410)', async () => {
    const { key, sessionId } = await setup();
    const now = t.clock!.now();
    const slot = { notBefore: at(now + HOUR), expiresAt: at(now + 2 * HOUR) };
    const made = await jsonRequest(
      t,
      'POST',
      `/api/conferences/${sessionId}/join-links`,
      { externalId: 'patient-123', name: 'Maria Silva', role: 'guest', ...slot },
      key,
    );
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ guestId: expect.stringMatching(/^guest-/), jwt: expect.any(String), ...slot });
    expect(made.body.url).toBe(`${t.baseUrl}/join?token=${encodeURIComponent(made.body.jwt)}`);

    const early = await open(made.body.url, 'application/json');
    expect(early.status).toBe(425);
    expect(early.body.error).toBe('too_early');
    expect(early.body.message).toContain(slot.notBefore);
    expect(early.headers.get('retry-after')).toBe('3600');
    // A browser is sent to the guest page, which asks again (as JSON) and says why in the person's language.
    const browser = await open(made.body.url, 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(browser.status).toBe(302);
    expect(new URL(browser.headers.get('location')!, made.body.url).toString()).toBe(`${t.baseUrl}/visit/#join:${encodeURIComponent(made.body.jwt)}`);
    expect(browser.headers.get('cache-control')).toBe('no-store');

    t.clock!.advance(3600);
    const inside = await open(made.body.url);
    expect(inside.status).toBe(302);
    const location = new URL(inside.headers.get('location')!);
    const roomJwt = location.searchParams.get('jwt')!;
    // The video token lets this guest into this conference's room, and ends with the slot.
    const room = await t.db.kysely.selectFrom('conferences').select('room_name').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
    const verify = createRoomTokenVerifier({
      appId: t.config.jitsi.appId!,
      appSecret: t.config.jitsi.appSecret!,
      domain: new URL(t.config.publicUrl).hostname,
      now: () => t.clock!.now(),
    });
    const identity = await verify(roomJwt, room.room_name);
    expect(identity).toMatchObject({ id: made.body.guestId, userId: null, name: 'Maria Silva', moderator: false });
    expect(decodeJwt(roomJwt).exp).toBe(Math.floor(Date.parse(slot.expiresAt) / 1000));
    const json = await open(made.body.url, 'application/json');
    expect(json).toMatchObject({ status: 200, body: { url: expect.stringContaining('jwt='), expiresAt: slot.expiresAt } });

    t.clock!.advance(3600);
    const late = await open(made.body.url, 'application/json');
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ error: 'expired', message: expect.stringContaining(slot.expiresAt) });
    expect((await open(made.body.url, 'text/html')).headers.get('location')).toMatch(/^\.\/visit\/#join:/);
    // Neither asks for HTML (a script, curl): the refusal itself.
    expect((await open(made.body.url, '*/*')).status).toBe(410);
  });

  it('keeps the caller’s id and the name out of the chained record (commitments only), and erasable', async () => {
    const { key, sessionId } = await setup();
    const made = await jsonRequest(
      t,
      'POST',
      `/api/conferences/${sessionId}/join-links`,
      { externalId: 'patient-123', name: 'Maria Silva', role: 'host' },
      key,
    );
    const events = await t.db.kysely.selectFrom('conference_events').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute();
    const issued = events.find((e) => e.type === 'join_link_issued')!;
    expect(issued.actor).toMatch(/^apikey:[0-9a-f]{16}$/);
    const data = JSON.parse(issued.data);
    expect(data).toMatchObject({
      guestId: made.body.guestId,
      role: 'host',
      commitments: { externalId: expect.stringMatching(/^[0-9a-f]{64}$/), name: expect.any(String) },
    });
    const chain = JSON.stringify(events);
    expect(chain).not.toContain('patient-123');
    expect(chain).not.toContain('Maria');
    const link = await t.db.kysely.selectFrom('join_links').selectAll().where('guest_id', '=', made.body.guestId).executeTakeFirstOrThrow();
    expect(link).toMatchObject({ external_id: 'patient-123', role: 'host' });
    // A host link makes a moderator.
    const inside = await open(made.body.url, 'application/json');
    expect(decodeJwt(inside.body.jwt).context).toMatchObject({ user: { moderator: true } });
  });

  it('can be minted by the owner, not by another user; a revoked one is refused', async () => {
    const { member, sessionId } = await setup();
    const owner = await t.login(member.username, member.password);
    const stranger = await t.userSession();
    expect(
      (await jsonRequest(t, 'POST', `/api/conferences/${sessionId}/join-links`, { externalId: 'p', role: 'participant' }, stranger.accessToken)).status,
    ).toBe(403);
    const made = await jsonRequest(t, 'POST', `/api/conferences/${sessionId}/join-links`, { externalId: 'p', role: 'participant' }, owner.accessToken);
    expect(made.status).toBe(201);
    expect((await open(made.body.url)).status).toBe(302);
    const revoke = await jsonRequest(t, 'POST', `/api/conferences/${sessionId}/guests/${made.body.guestId}/revoke`, undefined, owner.accessToken);
    expect(revoke.status).toBe(200);
    expect((await open(made.body.url)).status).toBe(403);
  });

  it('refuses a slot that makes no sense, and a forged or foreign token', async () => {
    const { key, sessionId } = await setup();
    const now = t.clock!.now();
    const link = (body: object) => jsonRequest(t, 'POST', `/api/conferences/${sessionId}/join-links`, { externalId: 'p', role: 'guest', ...body }, key);
    expect((await link({ notBefore: at(now + 2 * HOUR), expiresAt: at(now + HOUR) })).status).toBe(400);
    expect((await link({ expiresAt: at(now - HOUR) })).status).toBe(400);
    expect((await link({ notBefore: at(now), expiresAt: at(now + 40 * 24 * HOUR) })).status).toBe(400);
    expect((await link({ role: 'admin' })).status).toBe(400);
    const made = await link({});
    const [header, payload] = made.body.jwt.split('.');
    expect((await open(`${t.baseUrl}/join?token=${header}.${payload}.${'A'.repeat(43)}`)).status).toBe(401);
    expect((await open(`${t.baseUrl}/join?token=nonsense`)).status).toBe(401);
  });

  it('of a guest follow the waiting room (the guest page, a guest token), and the slot holds there too', async () => {
    const { key, member } = await setup();
    const sessionId = (await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username, waitingRoom: true }, key)).body.sessionId as string;
    const now = t.clock!.now();
    const slot = { notBefore: at(now + HOUR), expiresAt: at(now + 2 * HOUR) };
    const made = await jsonRequest(
      t,
      'POST',
      `/api/conferences/${sessionId}/join-links`,
      { externalId: 'patient-7', name: 'João', role: 'guest', ...slot },
      key,
    );
    expect(made.status).toBe(201);
    expect(made.body.url).toBe(`${t.baseUrl}/visit/#${made.body.jwt}`);
    const visit = () => jsonRequest(t, 'GET', '/api/visit', undefined, made.body.jwt);
    const early = await visit();
    expect(early.status).toBe(425);
    expect(early.body.message).toContain(slot.notBefore);
    expect((await jsonRequest(t, 'POST', '/api/visit/knock', {}, made.body.jwt)).status).toBe(425);
    t.clock!.advance(3600);
    expect((await visit()).body).toMatchObject({ guestId: made.body.guestId, name: 'João', state: 'new' });
    expect((await jsonRequest(t, 'POST', '/api/visit/knock', {}, made.body.jwt)).body.state).toBe('waiting');
    t.clock!.advance(3600);
    expect((await visit()).status).toBe(410);
    // A participant link of the same conference goes straight in; so does a guest told not to wait.
    const direct = await jsonRequest(t, 'POST', `/api/conferences/${sessionId}/join-links`, { externalId: 'p8', role: 'guest', waitingRoom: false }, key);
    expect(direct.body.url).toContain('/join?token=');
    const participant = await jsonRequest(t, 'POST', `/api/conferences/${sessionId}/join-links`, { externalId: 'p9', role: 'participant' }, key);
    expect(participant.body.url).toContain('/join?token=');
  });

  it('stop working once the conference has ended', async () => {
    const { key, member, sessionId } = await setup();
    const made = await jsonRequest(t, 'POST', `/api/conferences/${sessionId}/join-links`, { externalId: 'p', role: 'guest' }, key);
    const owner = await t.login(member.username, member.password);
    expect((await jsonRequest(t, 'POST', `/api/conferences/${sessionId}/end`, undefined, owner.accessToken)).status).toBe(200);
    expect((await open(made.body.url)).status).toBe(409);
    expect((await jsonRequest(t, 'POST', `/api/conferences/${sessionId}/join-links`, { externalId: 'p', role: 'guest' }, key)).status).toBe(409);
  });
});
