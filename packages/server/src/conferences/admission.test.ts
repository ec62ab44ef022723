// Admission tokens in Jitsi mode (issue 15 item 3): the Jitsi JWT and the presence token live minutes, the SDK renews
// the presence token while the user's login session holds, and a disabled or signed-out user's token stops working
// (her `left` no longer ends the conference).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { createTestApp, type ManualClock, type TestApp } from '../test-support/test-app.js';
import { AuthService } from '../auth/service.js';

const TTL = 120;
let t: TestApp;
let clock: ManualClock;
beforeEach(async () => {
  t = await createTestApp({
    manualClock: true,
    env: {
      V4H_JITSI_URL: 'https://meet.example.org',
      V4H_JITSI_APP_ID: 'clinic',
      V4H_JITSI_APP_SECRET: 's'.repeat(40),
      V4H_ADMISSION_TOKEN_TTL: String(TTL),
      V4H_ACCESS_TOKEN_TTL: '86400',
    },
  });
  clock = t.clock!;
});
afterEach(() => t.close());

type Session = Awaited<ReturnType<TestApp['userSession']>>;
async function call(session: Session | null, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = session ? { ...session.auth } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function inCall() {
  const ana = await t.userSession();
  const bob = await t.userSession();
  const {
    body: { sessionId },
  } = await call(ana, 'POST', '/api/conferences', {});
  const owner = (await call(ana, 'POST', `/api/conferences/${sessionId}/start`, {})).body;
  const embed = (await call(bob, 'POST', `/api/conferences/${sessionId}/join`, {})).body;
  const presence = (token: string, event: string) => call(null, 'POST', `/api/conferences/${sessionId}/presence`, { event, presenceToken: token });
  expect((await presence(owner.presenceToken, 'joined')).status).toBe(200);
  return { ana, bob, sessionId, embed, presence };
}

describe('admission tokens (Jitsi mode)', () => {
  it('the Jitsi JWT and the presence token live admissionTokenTtl, the JWT naming the login session', async () => {
    const { embed } = await inCall();
    for (const token of [embed.jwt, embed.presenceToken]) {
      const claims = decodeJwt(token);
      expect(claims.exp! - claims.iat!).toBe(TTL);
    }
    expect(typeof decodeJwt(embed.jwt).fid).toBe('string');
    // Not in context.user, which Jitsi shows the other participants.
    expect(JSON.stringify((decodeJwt(embed.jwt).context as { user: unknown }).user)).not.toContain(String(decodeJwt(embed.jwt).fid));
  });

  it('a long call outlives its first presence token: each renewal answers a fresh one while the session holds', async () => {
    const { sessionId, embed, presence } = await inCall();
    const joined = await presence(embed.presenceToken, 'joined');
    expect(joined.body).toMatchObject({ state: 'started', renewIn: TTL / 2 });
    let token: string = joined.body.presenceToken;
    for (let i = 0; i < 4; i++) {
      clock.advance(TTL / 2);
      const renewed = await presence(token, 'renew');
      expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
      expect(decodeJwt(renewed.body.presenceToken).exp).toBe(Math.floor(clock.now() / 1000) + TTL);
      token = renewed.body.presenceToken;
    }
    // Four renewals later (240 s), the first token has long expired; the latest one still reports the leave.
    expect((await presence(embed.presenceToken, 'left')).status).toBe(401);
    const left = await presence(token, 'left');
    expect(left.status).toBe(200);
    expect(left.body.presenceToken).toBeUndefined();
    const events = await t.db.kysely.selectFrom('conference_events').select('type').where('session_id', '=', sessionId).orderBy('seq').execute();
    expect(events.map((e) => e.type).slice(-2)).toEqual(['joined', 'left']);
  });

  it('after logout the presence token is refused (renew and left alike), and the leave does not end the conference', async () => {
    const { bob, sessionId, embed, presence } = await inCall();
    const { presenceToken } = (await presence(embed.presenceToken, 'joined')).body;
    expect((await call(null, 'POST', '/api/auth/logout', { refreshToken: bob.refreshToken })).status).toBeLessThan(300);
    expect((await presence(presenceToken, 'renew')).status).toBe(401);
    expect((await presence(presenceToken, 'left')).status).toBe(401);
    const conference = await t.db.kysely.selectFrom('conferences').select('state').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
    expect(conference.state).toBe('started');
  });

  it('a disabled user can neither report presence nor join again', async () => {
    const { bob, sessionId, embed, presence } = await inCall();
    // What `v4h user disable` does.
    await new AuthService({ db: t.db, clock, config: t.config }).disableUser(bob.username);
    expect((await presence(embed.presenceToken, 'joined')).status).toBe(401);
    expect((await call(bob, 'POST', `/api/conferences/${sessionId}/join`, {})).status).toBe(401);
  });
});
