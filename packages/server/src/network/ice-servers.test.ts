// GET /api/ice-servers: the pre-call check's STUN/TURN servers, with TURN credentials of a few minutes, to users only.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

const STUN = [{ urls: 'stun:stun.example.org:3478' }];

describe('GET /api/ice-servers with TURN configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      manualClock: true,
      env: {
        V4H_ICE_SERVERS: JSON.stringify(STUN),
        V4H_TURN_URLS: 'turn:turn.example.org:3478,turns:turn.example.org:5349',
        V4H_TURN_SECRET: 'north-star',
        V4H_TURN_CREDENTIAL_TTL: '86400',
      },
    });
  });
  afterAll(() => t.close());

  it('refuses a caller without a token, or with a token that is not one', async () => {
    expect((await fetch(`${t.baseUrl}/api/ice-servers`)).status).toBe(401);
    const res = await fetch(`${t.baseUrl}/api/ice-servers`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('unauthorized');
  });

  it('gives a user the configured servers and TURN credentials coturn accepts for 5 minutes, not the call TTL of a day', async () => {
    const { auth } = await t.userSession();
    const res = await fetch(`${t.baseUrl}/api/ice-servers`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers['get']('cache-control')).toBe('no-store');
    const body = await res.json();
    const nowSeconds = Math.floor(t.clock!.now() / 1000);
    expect(body.expiresAt).toBe((nowSeconds + 300) * 1000);
    expect(body.iceServers).toHaveLength(2);
    expect(body.iceServers[0]).toEqual(STUN[0]);
    const turn = body.iceServers[1];
    expect(turn.urls).toEqual(['turn:turn.example.org:3478', 'turns:turn.example.org:5349']);
    // The REST API username: expiry, then an id (no name); the password is its HMAC-SHA1 under the shared secret.
    expect(turn.username).toMatch(new RegExp(`^${nowSeconds + 300}:check-u-[\\w-]+$`));
    expect(turn.credential).toBe(createHmac('sha1', 'north-star').update(turn.username).digest('base64'));
  });
});

describe('GET /api/ice-servers for a guest of a waiting-room link', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { V4H_WAITING_ROOM: 'on', V4H_TURN_URLS: 'turn:turn.example.org:3478', V4H_TURN_SECRET: 'north-star' } });
  });
  afterAll(() => t.close());

  it('takes the guest token, names the credentials by guest id, and refuses it once the link is revoked', async () => {
    const { auth } = await t.userSession();
    const post = (path: string, body?: object) =>
      fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) }).then((r) =>
        r.json(),
      );
    const { sessionId } = await post('/api/conferences');
    const link = await post(`/api/conferences/${sessionId}/guest-url`, { name: 'Pat' });
    expect(link.url).toContain('/visit/#');
    const asGuest = { authorization: `Bearer ${link.jwt}` };
    const res = await fetch(`${t.baseUrl}/api/ice-servers`, { headers: asGuest });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.iceServers.at(-1).username).toMatch(new RegExp(`^\\d+:check-g-${link.guestId}$`));
    await post(`/api/conferences/${sessionId}/guests/${link.guestId}/revoke`);
    expect((await fetch(`${t.baseUrl}/api/ice-servers`, { headers: asGuest })).status).toBe(403);
  });
});

describe('GET /api/ice-servers without TURN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { V4H_ICE_SERVERS: JSON.stringify(STUN) } });
  });
  afterAll(() => t.close());

  it('gives the configured list alone, with no expiry', async () => {
    const { auth } = await t.userSession();
    const body = await (await fetch(`${t.baseUrl}/api/ice-servers`, { headers: auth })).json();
    expect(body).toEqual({ iceServers: STUN, expiresAt: null });
  });
});
