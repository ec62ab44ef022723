// /api/auth over real HTTP: login, session checks against forged tokens, rotation and reuse, logout, disabled users, limits.
import { afterEach, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt } from 'jose';
import { createTestApp, type TestApp, type TestAppOptions } from '../test-support/test-app.js';
import { AuthService } from './service.js';

let t: TestApp;
afterEach(async () => {
  await t?.close();
});

async function start(options: TestAppOptions = {}) {
  t = await createTestApp(options);
  return t;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function session(accessToken?: string) {
  const res = await fetch(`${t.baseUrl}/api/auth/session`, { headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: await res.json() };
}

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const authService = () => new AuthService({ db: t.db, clock: t.clock ?? { now: () => Date.now() }, config: t.config });

describe('POST /api/auth/login', () => {
  it('answers a token pair: a JWT with our claims and an opaque refresh token', async () => {
    await start();
    const { username, password } = await t.createUser();
    const res = await post('/api/auth/login', { username, password });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresIn: 300 });
    const claims = decodeJwt(res.body.accessToken);
    expect(claims).toMatchObject({
      iss: t.config.publicUrl,
      aud: 'v4h',
      name: username,
      sub: expect.any(String),
      jti: expect.any(String),
      sid: expect.any(String),
    });
    expect(claims.exp! - claims.iat!).toBe(300);
  });

  it('answers unknown user, wrong password and disabled user identically', async () => {
    await start();
    const { username, password } = await t.createUser();
    const disabled = await t.createUser();
    await authService().disableUser(disabled.username);
    const answers = await Promise.all([
      post('/api/auth/login', { username, password: 'wrong password' }),
      post('/api/auth/login', { username: 'no-such-user', password }),
      post('/api/auth/login', { username: disabled.username, password: disabled.password }),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ error: 'invalid_credentials', message: 'wrong username or password' });
    }
  });

  it('rejects malformed bodies with 400', async () => {
    await start();
    for (const body of [
      { username: 'a' },
      { username: 'a', password: '' },
      { username: 'a', password: 'b', extra: 1 },
      { username: { name: 'a' }, password: 'b' },
    ]) {
      const res = await post('/api/auth/login', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('validation_failed');
    }
    expect((await post('/api/auth/login', '{"username":')).status).toBe(400);
  });

  it('limits attempts per username (429 with Retry-After), then lets the user in after the window', async () => {
    await start({ manualClock: true, env: { V4H_LOGIN_LIMIT_PER_USER: '3', V4H_LOGIN_LIMIT_WINDOW: '120' } });
    const { username, password } = await t.createUser();
    for (let i = 0; i < 3; i++) expect((await post('/api/auth/login', { username, password: 'wrong' })).status).toBe(401);
    t.clock!.advance(30);
    const limited = await post('/api/auth/login', { username, password });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('rate_limited');
    expect(limited.headers.get('retry-after')).toBe('90');
    t.clock!.advance(90);
    expect((await post('/api/auth/login', { username, password })).status).toBe(200);
  });

  it('limits attempts per client address across usernames', async () => {
    await start({ env: { V4H_LOGIN_LIMIT_PER_USER: '100', V4H_LOGIN_LIMIT_PER_ADDRESS: '4', V4H_LOGIN_LIMIT_WINDOW: '60' } });
    const { username, password } = await t.createUser();
    for (let i = 0; i < 4; i++) expect((await post('/api/auth/login', { username: `guess${i}`, password: 'wrong' })).status).toBe(401);
    const limited = await post('/api/auth/login', { username, password });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });
});

describe('usernames over HTTP', () => {
  it('Dr.Ana signs in as dr.ana; joão is a valid name', async () => {
    await start();
    await authService().createUser('dr.ana', 'ana password');
    await authService().createUser('João', 'joão password');
    const ana = await post('/api/auth/login', { username: 'Dr.Ana', password: 'ana password' });
    expect(ana.status).toBe(200);
    expect((await session(ana.body.accessToken)).body.username).toBe('dr.ana');
    const joao = await post('/api/auth/login', { username: 'JOÃO', password: 'joão password' });
    expect(joao.status).toBe(200);
    expect((await session(joao.body.accessToken)).body.username).toBe('joão');
  });
});

describe('GET /api/auth/session (loginWithToken)', () => {
  it('answers ok with the username and expiry for a valid token', async () => {
    await start({ manualClock: true });
    const s = await t.userSession();
    const res = await session(s.accessToken);
    expect(res).toEqual({ status: 200, body: { status: 'ok', username: s.username, expiresAt: new Date(t.clock!.ms + 300_000).toISOString() } });
  });

  it('refuses a missing, malformed or expired token', async () => {
    await start({ manualClock: true, env: { V4H_ACCESS_TOKEN_TTL: '60' } });
    const s = await t.userSession();
    expect(await session()).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await session('not.a.jwt')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    const res = await fetch(`${t.baseUrl}/api/auth/session`, { headers: { authorization: `Basic ${s.accessToken}` } });
    expect(res.status).toBe(401);
    t.clock!.advance(59);
    expect((await session(s.accessToken)).status).toBe(200);
    t.clock!.advance(1);
    expect(await session(s.accessToken)).toEqual({ status: 401, body: { error: 'unauthorized', message: 'access token expired' } });
  });

  it('refuses forged tokens: wrong key, alg none, algorithm switch, other issuer, other audience', async () => {
    await start();
    const s = await t.userSession();
    const claims = decodeJwt(s.accessToken);
    const secret = new TextEncoder().encode(t.config.tokenSecret);
    const sign = (payload: object, key = secret, alg = 'HS256') => new SignJWT({ ...claims, ...payload }).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
    // Control: the same claims signed the same way pass, so each refusal below is due to its one change.
    expect((await session(await sign({}))).status).toBe(200);
    const forged = {
      wrongKey: await sign({}, new TextEncoder().encode('another secret that is long enough!!')),
      algNone: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`,
      hs512: await sign({}, secret, 'HS512'),
      otherIssuer: await sign({ iss: 'https://evil.example' }),
      otherAudience: await sign({ aud: 'jitsi' }),
      tamperedName: `${s.accessToken.split('.')[0]}.${b64url({ ...claims, name: 'admin' })}.${s.accessToken.split('.')[2]}`,
    };
    for (const [name, token] of Object.entries(forged)) {
      expect(await session(token), name).toEqual({ status: 401, body: { error: 'unauthorized', message: 'invalid access token' } });
    }
  });
});

describe('POST /api/auth/refresh', () => {
  it('rotates: the new pair works, and reusing the old token revokes the whole family', async () => {
    await start();
    const s = await t.userSession();
    const first = await post('/api/auth/refresh', { refreshToken: s.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 300 });
    expect(first.body.refreshToken).not.toBe(s.refreshToken);
    expect((await session(first.body.accessToken)).status).toBe(200);

    const reuse = await post('/api/auth/refresh', { refreshToken: s.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error).toBe('invalid_refresh_token');
    // The whole family is gone: the rotated refresh token and every access token issued in it.
    expect((await post('/api/auth/refresh', { refreshToken: first.body.refreshToken })).body.error).toBe('invalid_refresh_token');
    expect(await session(first.body.accessToken)).toMatchObject({ status: 401, body: { error: 'unauthorized', message: 'access token revoked' } });
    expect((await session(s.accessToken)).status).toBe(401);
  });

  it('keeps other sessions of the same user alive when one family is revoked', async () => {
    await start();
    const { username, password } = await t.createUser();
    const a = await t.login(username, password);
    const b = await t.login(username, password);
    await post('/api/auth/refresh', { refreshToken: a.refreshToken });
    await post('/api/auth/refresh', { refreshToken: a.refreshToken });
    expect((await session(a.accessToken)).status).toBe(401);
    expect((await session(b.accessToken)).status).toBe(200);
    expect((await post('/api/auth/refresh', { refreshToken: b.refreshToken })).status).toBe(200);
  });

  it('gives exactly one success when the same token is presented concurrently', async () => {
    await start();
    const s = await t.userSession();
    const answers = await Promise.all(Array.from({ length: 8 }, () => post('/api/auth/refresh', { refreshToken: s.refreshToken })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401 && a.body.error === 'invalid_refresh_token')).toHaveLength(7);
  });

  it('refuses unknown tokens, tokens of disabled users, and expired families', async () => {
    await start({ manualClock: true, env: { V4H_REFRESH_TOKEN_TTL: '600' } });
    expect(await post('/api/auth/refresh', { refreshToken: 'x'.repeat(43) })).toMatchObject({ status: 401, body: { error: 'invalid_refresh_token' } });
    expect((await post('/api/auth/refresh', { refreshToken: 'x'.repeat(300) })).status).toBe(400);
    expect((await post('/api/auth/refresh', {})).status).toBe(400);
    const s = await t.userSession();
    t.clock!.advance(600);
    expect(await post('/api/auth/refresh', { refreshToken: s.refreshToken })).toMatchObject({ status: 401, body: { error: 'invalid_refresh_token' } });
  });
});

describe('POST /api/auth/logout', () => {
  it('revokes the family: refresh and access tokens stop working; repeating is fine; unknown is 401', async () => {
    await start();
    const s = await t.userSession();
    expect(await post('/api/auth/logout', { refreshToken: s.refreshToken })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await session(s.accessToken)).status).toBe(401);
    expect((await post('/api/auth/refresh', { refreshToken: s.refreshToken })).status).toBe(401);
    expect((await post('/api/auth/logout', { refreshToken: s.refreshToken })).status).toBe(200);
    expect(await post('/api/auth/logout', { refreshToken: 'y'.repeat(43) })).toMatchObject({ status: 401, body: { error: 'invalid_refresh_token' } });
    expect((await post('/api/auth/logout', { token: s.refreshToken })).status).toBe(400);
  });
});

describe('disabled users', () => {
  it('lose their live access and refresh tokens at once', async () => {
    await start();
    const s = await t.userSession();
    expect((await session(s.accessToken)).status).toBe(200);
    await authService().disableUser(s.username);
    expect((await session(s.accessToken)).status).toBe(401);
    expect((await post('/api/auth/refresh', { refreshToken: s.refreshToken })).status).toBe(401);
    expect((await post('/api/auth/login', { username: s.username, password: s.password })).status).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('documents the auth routes with their schemas', async () => {
    await start();
    const doc = await (await fetch(`${t.baseUrl}/openapi.json`)).json();
    for (const route of ['/api/auth/login', '/api/auth/refresh', '/api/auth/logout']) {
      expect(doc.paths[route].post.tags).toEqual(['auth']);
      expect(doc.paths[route].post.requestBody).toBeDefined();
      expect(doc.paths[route].post.responses['401']).toBeDefined();
    }
    expect(doc.paths['/api/auth/session'].get.security).toEqual([{ bearer: [] }]);
  });
});
