// Several server processes on one PostgreSQL database (one data dir, one token secret), requests spread over them:
// tokens from one are honoured by the others, refresh-token reuse is caught across them, login limits are shared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JITSI_TEST_ENV } from '../../packages/server/src/test-support/test-app.js';
import { call, createUsers, deployment, login, loggedErrors, type ServerProcess } from './support.js';

type User = { username: string; password: string };
let d: Awaited<ReturnType<typeof deployment>>;
let servers: ServerProcess[];
let users: User[];
let nextUser = 0;
const user = () => users[nextUser++];
const any = (i: number) => servers[i % servers.length].url;

beforeAll(async () => {
  // A token-auth Jitsi (the built-in room reports presence itself and hands out no presence tokens).
  d = await deployment('postgres', { V4H_LOGIN_LIMIT_PER_USER: '4', V4H_LOGIN_LIMIT_PER_ADDRESS: '40', ...JITSI_TEST_ENV });
  users = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 12, 'multi-');
  // Started together: they race to migrate the same database and to create the shared secrets.
  servers = await Promise.all([d.start(), d.start(), d.start()]);
}, 120_000);
afterAll(async () => {
  for (const server of servers ?? []) expect(loggedErrors(server.output()), 'errors in a server log').toEqual([]);
  await d?.destroy();
});

describe('three processes, one PostgreSQL database', () => {
  it('honour each other’s access tokens, conferences and presence tokens', async () => {
    const tokens = await login(any(0), user());
    for (const server of servers) expect((await call(server.url, 'GET', '/api/auth/session', { token: tokens.accessToken })).status).toBe(200);
    const created = await call(any(1), 'POST', '/api/conferences', { token: tokens.accessToken, body: {} });
    expect(created.status).toBe(201);
    const { sessionId } = created.body;
    expect((await call(any(2), 'GET', `/api/conferences/${sessionId}`, { token: tokens.accessToken })).body.state).toBe('requested');
    const started = await call(any(2), 'POST', `/api/conferences/${sessionId}/start`, { token: tokens.accessToken, body: {} });
    expect(started.status).toBe(200);
    const presence = await call(any(0), 'POST', `/api/conferences/${sessionId}/presence`, {
      body: { event: 'joined', presenceToken: started.body.presenceToken },
    });
    expect(presence.status).toBe(200);
    const guest = await login(any(1), user());
    expect((await call(any(1), 'POST', `/api/conferences/${sessionId}/join`, { token: guest.accessToken, body: {} })).status).toBe(200);
  });

  it('detect a replayed refresh token on another process and revoke the session everywhere', async () => {
    const first = await login(any(0), user());
    const rotated = await call(any(0), 'POST', '/api/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    const replay = await call(any(1), 'POST', '/api/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(replay.status).toBe(401);
    expect((await call(any(2), 'POST', '/api/auth/refresh', { body: { refreshToken: rotated.body.refreshToken } })).status).toBe(401);
    for (const server of servers) {
      expect((await call(server.url, 'GET', '/api/auth/session', { token: rotated.body.accessToken })).status).toBe(401);
    }
  });

  it('let exactly one of three processes rotate a token presented to all at once', async () => {
    for (let round = 0; round < 5; round++) {
      const { refreshToken } = await login(any(round), users[3 + (round % 3)]);
      const answers = await Promise.all(servers.map((s) => call(s.url, 'POST', '/api/auth/refresh', { body: { refreshToken } })));
      expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.body))).toEqual([200, 401, 401]);
    }
  });

  it('create a caller-chosen session id once when requests race across processes', async () => {
    const owner = await login(any(0), users[6]);
    const sessionId = `race-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 9 }, (_, i) => call(any(i), 'POST', '/api/conferences', { token: owner.accessToken, body: { sessionId } })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(
      answers.every((a) => a.status === 201 || a.status === 200),
      JSON.stringify(answers.map((a) => a.status)),
    ).toBe(true);
  });

  it('share the login limit per username: wrong guesses spread over the processes add up', async () => {
    const victim = users[9];
    const guesses = await Promise.all(
      Array.from({ length: 4 }, (_, i) => call(any(i), 'POST', '/api/auth/login', { body: { username: victim.username, password: `wrong-guess-${i}` } })),
    );
    expect(guesses.map((g) => g.status)).toEqual([401, 401, 401, 401]);
    for (const server of servers) {
      const res = await call(server.url, 'POST', '/api/auth/login', { body: victim });
      expect(res.status, server.url).toBe(429);
      expect(res.body.error).toBe('rate_limited');
    }
  });

  it('share the login limit per address: a spray over usernames and processes is stopped', async () => {
    // 40 per address in this deployment; earlier tests used some. Spray until refused, then every process refuses.
    let refused = 0;
    for (let i = 0; i < 45 && refused === 0; i++) {
      const res = await call(any(i), 'POST', '/api/auth/login', { body: { username: `sprayed-${i}`, password: 'not-the-password' } });
      expect([401, 429]).toContain(res.status);
      if (res.status === 429) refused = i + 1;
    }
    expect(refused, 'the 41st attempt from one address was still let through').toBeGreaterThan(0);
    for (const server of servers) expect((await call(server.url, 'POST', '/api/auth/login', { body: users[10] })).status).toBe(429);
  });
});
