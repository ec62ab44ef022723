// NUL and the other C0 control characters are refused with 400 wherever a name enters (both engines): PostgreSQL cannot
// store NUL in text (a login answered 500, a stored display name broke every later join), and names are shown to people.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClientMessage } from '../room/protocol.js';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const CONTROLS = ['\u0000', '\u0001', '\u001b', '\n', '\u007f'];

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error: string } };
}

describe('C0 control characters', () => {
  // Issue 15 item 9: on PostgreSQL, NUL in a username at login gave 500.
  it('login: a username with a control character is refused with 400, never 500', async () => {
    const user = await t.createUser();
    for (const c of CONTROLS) {
      const res = await post('/api/auth/login', { username: `${user.username}${c}`, password: user.password });
      expect(res.status, JSON.stringify(c)).toBe(400);
      expect(res.body.error).toBe('validation_failed');
    }
    // Passwords may hold any character (they are only hashed): a wrong one is 401.
    expect((await post('/api/auth/login', { username: user.username, password: 'pass\u0000word' })).status).toBe(401);
  });

  // Issue 15 item 9: on PostgreSQL, NUL in a display name was accepted, then every join of the room failed.
  it('start, join and guest links: a display name or avatar URL with a control character is refused with 400', async () => {
    const owner = await t.userSession();
    const { sessionId } = (await post('/api/conferences', {}, owner.auth)).body as unknown as { sessionId: string };
    for (const c of CONTROLS) {
      for (const [path, body] of [
        [`/api/conferences/${sessionId}/start`, { displayName: `Dr. A${c}lice` }],
        [`/api/conferences/${sessionId}/start`, { avatarUrl: `https://img.example/a${c}.png` }],
        [`/api/conferences/${sessionId}/guest-url`, { name: `Gu${c}est` }],
      ] as const) {
        const res = await post(path, body, owner.auth);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body.error).toBe('validation_failed');
      }
    }
    // The same names without them are fine, and the conference works on.
    expect((await post(`/api/conferences/${sessionId}/start`, { displayName: 'Dr. Alice' }, owner.auth)).status).toBe(200);
    expect((await post(`/api/conferences/${sessionId}/guest-url`, { name: 'Maria Silva' }, owner.auth)).status).toBe(200);
  });

  it('built-in room: a display name or avatar with a control character makes the message malformed; SDP keeps its CRLF', () => {
    const join = { type: 'join', roomName: 'room-1', jwt: 'x.y.z' };
    expect(parseClientMessage(JSON.stringify({ ...join, displayName: 'Ana' }))).toBeDefined();
    expect(parseClientMessage(JSON.stringify({ ...join, displayName: 'A\u0000na' }))).toBeUndefined();
    expect(parseClientMessage(JSON.stringify({ type: 'profile', displayName: 'A\nna' }))).toBeUndefined();
    expect(parseClientMessage(JSON.stringify({ type: 'profile', avatar: 'https://a\u0001' }))).toBeUndefined();
    expect(
      parseClientMessage(JSON.stringify({ type: 'signal', to: 'p1', data: { description: { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n' } } })),
    ).toBeDefined();
  });
});
