// The account or guest link travels in the name Jitsi shows: in the token, the embed's userInfo name and guest links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { listEvents } from '../db/event-log.js';
import { accountMarkedName } from './display-names.js';

describe('accountMarkedName', () => {
  it('adds the username to another name, shows a name equal to it once, and marks guests', () => {
    expect(accountMarkedName('Dr. Alice', { username: 'bob' })).toBe('Dr. Alice (bob)');
    expect(accountMarkedName('bob', { username: 'bob' })).toBe('bob');
    // Compared as usernames are: NFC, case-insensitive.
    expect(accountMarkedName('Bob', { username: 'bob' })).toBe('Bob');
    expect(accountMarkedName('Joa\u0303o', { username: 'jo\u00e3o' })).toBe('Joa\u0303o');
    expect(accountMarkedName('Dr. Alice (alice)', { username: 'bob' })).toBe('Dr. Alice (alice) (bob)');
    expect(accountMarkedName('Patient', { guest: true })).toBe('Patient (guest)');
  });
});

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { context: { user: { id: string; name: string } } };

describe('names in Jitsi mode (Prosody tokens)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { V4H_JITSI_URL: 'https://meet.example.org', V4H_JITSI_APP_ID: 'clinic', V4H_JITSI_APP_SECRET: 's'.repeat(40) } });
  });
  afterAll(() => t.close());

  async function post(session: { auth: Record<string, string> }, path: string, body: unknown) {
    const res = await fetch(`${t.baseUrl}${path}`, {
      method: 'POST',
      headers: { ...session.auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, path).toBeLessThan(300);
    return res.json();
  }

  it('marks the account in the token and the embed alike: "Dr. Alice" typed by bob is "Dr. Alice (bob)"', async () => {
    const alice = await t.userSession('alice');
    const bob = await t.userSession('bob');
    const { sessionId } = await post(alice, '/api/conferences', {});
    const start = await post(alice, `/api/conferences/${sessionId}/start`, { displayName: 'Dr. Alice' });
    expect(start.displayName).toBe('Dr. Alice (alice)');
    expect(claims(start.jwt).context.user.name).toBe('Dr. Alice (alice)');

    const impostor = await post(bob, `/api/conferences/${sessionId}/join`, { displayName: 'Dr. Alice' });
    expect(impostor.displayName).toBe('Dr. Alice (bob)');
    expect(claims(impostor.jwt).context.user.name).toBe('Dr. Alice (bob)');

    // The username itself (any case), or no name at all, is shown once.
    for (const body of [{ displayName: 'Bob' }, {}]) {
      const own = await post(bob, `/api/conferences/${sessionId}/join`, body);
      const expected = 'displayName' in body ? 'Bob' : 'bob';
      expect(own.displayName).toBe(expected);
      expect(claims(own.jwt).context.user.name).toBe(expected);
    }
  });

  it('marks a guest link as a guest in its token and in the name its URL carries', async () => {
    const alice = await t.userSession('alice2');
    const { sessionId } = await post(alice, '/api/conferences', {});
    const link = await post(alice, `/api/conferences/${sessionId}/guest-url`, { name: 'Patient' });
    expect(claims(link.jwt).context.user.name).toBe('Patient (guest)');
    expect(claims(link.jwt).context.user.id).toBe(link.guestId);
    const hash = new URLSearchParams(new URL(link.url).hash.slice(1));
    expect(JSON.parse(hash.get('userInfo.displayName')!)).toBe('Patient (guest)');
    // The record names people by id only; the marked names are not in it either.
    const text = JSON.stringify(await listEvents(t.db.kysely, sessionId));
    for (const personal of ['Patient', 'guest)', 'alice2']) expect(text).not.toContain(personal);
  });
});

describe('names in the built-in room', () => {
  it('stay as typed: the room shows the account beside the name itself', async () => {
    const t = await createTestApp();
    try {
      const alice = await t.userSession('alice');
      const bob = await t.userSession('bob');
      const post = async (session: { auth: Record<string, string> }, path: string, body: unknown) =>
        (
          await fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...session.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
        ).json();
      const { sessionId } = await post(alice, '/api/conferences', {});
      await post(alice, `/api/conferences/${sessionId}/start`, { displayName: 'Dr. Alice' });
      const join = await post(bob, `/api/conferences/${sessionId}/join`, { displayName: 'Dr. Alice' });
      expect(join.displayName).toBe('Dr. Alice');
      expect(claims(join.jwt).context.user.name).toBe('Dr. Alice');
      const link = await post(alice, `/api/conferences/${sessionId}/guest-url`, { name: 'Patient' });
      expect(claims(link.jwt).context.user.name).toBe('Patient');
    } finally {
      await t.close();
    }
  });
});
