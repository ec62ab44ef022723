// Admission to the built-in room over real HTTP and WebSockets (issue 15 item 3): a disabled or signed-out user is
// removed from an open room within the account check interval and cannot come back with the token she holds; a
// long call outlives its short-lived room token (the server renews the admission while the account holds).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { AuthService } from '../auth/service.js';

/** A room token that lives long enough for the rejoin attempts below: the removal is the account check's doing. */
const LONG_TTL = 600;
const SHORT_TTL = 2;

let long: TestApp;
let short: TestApp;
beforeAll(async () => {
  const env = (ttl: number) => ({ V4H_ADMISSION_TOKEN_TTL: String(ttl), V4H_ROOM_ACCOUNT_CHECK_INTERVAL: '1', V4H_ROOM_GRACE_PERIOD: '30' });
  long = await createTestApp({ env: env(LONG_TTL) });
  short = await createTestApp({ env: env(SHORT_TTL) });
});
afterAll(async () => {
  await long?.close();
  await short?.close();
});

type Session = Awaited<ReturnType<TestApp['userSession']>>;
const post = (t: TestApp, who: Session, path: string, body: unknown = {}) =>
  fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...who.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A started conference with its owner and a colleague, each with a room token from the REST API. */
async function conference(t: TestApp) {
  const owner = await t.userSession();
  const bob = await t.userSession();
  const { sessionId } = await (await post(t, owner, '/api/conferences')).json();
  const ownerEmbed = await (await post(t, owner, `/api/conferences/${sessionId}/start`)).json();
  const bobEmbed = await (await post(t, bob, `/api/conferences/${sessionId}/join`)).json();
  return { owner, bob, sessionId, roomName: ownerEmbed.roomName as string, ownerJwt: ownerEmbed.jwt as string, bobJwt: bobEmbed.jwt as string };
}

/** The meeting page's signaling socket, as a browser on the server's origin opens it. */
async function socket(t: TestApp) {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- ws ships no types: a string keeps tsc from resolving it
  const { WebSocket } = await import('ws' as string);
  const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}/room/ws`, { origin: t.baseUrl });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const messages: any[] = [];
  let closedWith: number | undefined;
  const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve((closedWith = code))));
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString())));
  const next = async (match: (m: any) => boolean, ms = 10_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
      const found = messages.find(match);
      if (found) return found;
    }
    throw new Error(`no such message; got ${JSON.stringify(messages)}`);
  };
  return {
    ws,
    messages,
    closed,
    get closedWith() {
      return closedWith;
    },
    next,
    join: async (roomName: string, jwt: string, resume?: unknown) => {
      ws.send(JSON.stringify({ type: 'join', roomName, jwt, resume }));
      return next((m) => m.type === 'joined' || m.type === 'error');
    },
  };
}

const presentIn = async (t: TestApp, sessionId: string) =>
  (await t.db.kysely.selectFrom('participants').select('user_id').where('session_id', '=', sessionId).where('left_at', 'is', null).execute()).map(
    (r) => r.user_id,
  );

describe('built-in room admission', () => {
  it('a disabled user is removed from the open room within the check interval, and cannot rejoin', async () => {
    const c = await conference(long);
    const owner = await socket(long);
    const bob = await socket(long);
    expect((await owner.join(c.roomName, c.ownerJwt)).type).toBe('joined');
    const joined = await bob.join(c.roomName, c.bobJwt);
    expect(joined.type).toBe('joined');
    // What `v4h user disable` does (from another process, in production).
    await new AuthService({ db: long.db, clock: { now: () => Date.now() }, config: long.config }).disableUser(c.bob.username);
    expect(await bob.next((m) => m.type === 'error', 5000)).toMatchObject({ code: 'access_revoked', fatal: true });
    expect(await bob.closed).toBe(4400);
    await owner.next((m) => m.type === 'participant-left' && m.id === joined.you.id);
    const bobUser = await long.db.kysely.selectFrom('users').select('id').where('username', '=', c.bob.username).executeTakeFirstOrThrow();
    expect(await presentIn(long, c.sessionId)).not.toContain(bobUser.id);
    // The token she holds is still unexpired, and no longer admits her; resuming is refused too; the owner stays.
    const again = await socket(long);
    expect(await again.join(c.roomName, c.bobJwt)).toMatchObject({ type: 'error', code: 'access_revoked' });
    const resume = await socket(long);
    expect(await resume.join(c.roomName, c.bobJwt, { participantId: joined.you.id, resumeKey: joined.resumeKey })).toMatchObject({
      type: 'error',
      code: 'access_revoked',
    });
    expect((await post(long, c.bob, `/api/conferences/${c.sessionId}/join`)).status).toBe(401);
    expect(owner.closedWith).toBeUndefined();
    owner.ws.close();
  });

  it('a user who logs out is removed, and her room token stops working', async () => {
    const c = await conference(long);
    const bob = await socket(long);
    expect((await bob.join(c.roomName, c.bobJwt)).type).toBe('joined');
    const out = await fetch(`${long.baseUrl}/api/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: c.bob.refreshToken }),
    });
    expect(out.status).toBe(200);
    expect(await bob.next((m) => m.type === 'error', 5000)).toMatchObject({ code: 'access_revoked' });
    const again = await socket(long);
    expect(await again.join(c.roomName, c.bobJwt)).toMatchObject({ type: 'error', code: 'access_revoked' });
    // Her other login session is a fresh admission.
    const { accessToken } = await long.login(c.bob.username, c.bob.password);
    const res = await fetch(`${long.baseUrl}/api/conferences/${c.sessionId}/join`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const fresh = await socket(long);
    expect((await fresh.join(c.roomName, (await res.json()).jwt)).type).toBe('joined');
    fresh.ws.close();
  });

  it(`a long call outlives its ${SHORT_TTL}-second room token, and a dropped page resumes after the token expired`, async () => {
    const c = await conference(short);
    const bob = await socket(short);
    const joined = await bob.join(c.roomName, c.bobJwt);
    expect(joined.type).toBe('joined');
    // Several token lifetimes and account checks.
    await new Promise((r) => setTimeout(r, (SHORT_TTL * 2 + 1) * 1000));
    expect(bob.messages.filter((m) => m.type === 'error')).toEqual([]);
    expect(bob.closedWith).toBeUndefined();
    // The network drops; the page comes back with its (expired) token and resume key.
    bob.ws.terminate();
    await bob.closed;
    const back = await socket(short);
    expect(await back.join(c.roomName, c.bobJwt, { participantId: joined.you.id, resumeKey: joined.resumeKey })).toMatchObject({
      type: 'joined',
      resumed: true,
    });
    // A new join with the expired token is refused: the token only admits for its lifetime.
    const stranger = await socket(short);
    expect(await stranger.join(c.roomName, c.bobJwt)).toMatchObject({ type: 'error', code: 'token_expired' });
    back.ws.close();
  }, 30_000);
});
