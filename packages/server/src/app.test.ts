// Cross-cutting HTTP behaviour: health, OpenAPI and docs, JSON errors, security headers, CORS, log hygiene.
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './test-support/test-app.js';
import { buildApp } from './app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('app', () => {
  it('answers health and readiness, and 503 when the database is gone', async () => {
    t = await createTestApp();
    expect(await (await fetch(`${t.baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', database: 'ok' });
    const { openDatabase } = await import('./db/database.js');
    // A database that went away: a closed SQLite handle, or a PostgreSQL server that refuses connections.
    const db = await openDatabase(t.db.dialect === 'sqlite' ? t.config.databaseUrl : 'postgres://postgres@127.0.0.1:1/test');
    const app = await buildApp({ config: t.config, db, logger: false });
    if (t.db.dialect === 'sqlite') await db.close();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'service_unavailable', message: 'database unreachable', database: 'unreachable' });
    await app.close();
  });

  // The built-in room's relay between processes (V4H_REDIS_URL). Needs Redis at 127.0.0.1:6379 (fails, never skips).
  it('reports Redis when V4H_REDIS_URL is set: ok, then 503 once it cannot be reached', async () => {
    const redis = process.env.V4H_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    // The app reaches Redis through a TCP relay that the test can take down (the shared Redis stays up).
    const target = new URL(redis);
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const { port } = relay.address() as net.AddressInfo;
    try {
      t = await createTestApp({ env: { V4H_REDIS_URL: `redis://127.0.0.1:${port}` } });
      const ready = await fetch(`${t.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', database: 'ok', redis: 'ok' });
      relay.close();
      for (const s of sockets) s.destroy();
      const down = await fetch(`${t.baseUrl}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ error: 'service_unavailable', message: 'redis unreachable', database: 'ok', redis: 'unreachable' });
    } finally {
      relay.close();
      for (const s of sockets) s.destroy();
    }
    // Unreachable from the start: the app does not start at all (a room would break once it spans processes).
    await expect(createTestApp({ env: { V4H_REDIS_URL: 'redis://127.0.0.1:1' } })).rejects.toThrow(/cannot reach Redis at V4H_REDIS_URL/);
  });

  it('publishes OpenAPI 3.1 with every API route, and a docs page', async () => {
    t = await createTestApp();
    const doc = await (await fetch(`${t.baseUrl}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/auth/login', '/api/auth/refresh', '/api/conferences', '/api/conferences/{sessionId}', '/api/conferences/{sessionId}/guest-url']) {
      expect(Object.keys(doc.paths), p).toContain(p);
    }
    // Issue 16 item 12: /docs showed `/api/conferences/` and wording only V4H's own developers knew ("the seed").
    expect(Object.keys(doc.paths).filter((p) => p.endsWith('/'))).toEqual([]);
    expect(Object.keys(doc.paths['/api/conferences']).sort()).toEqual(['get', 'post']);
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/\bseed\b|SDK user/);
    expect(doc.info.description).toContain('Authorization: Bearer');
    expect(doc.tags.map((tag: { name: string }) => tag.name).sort()).toEqual([
      'admin',
      'apikeys',
      'auth',
      'conferences',
      'files',
      'organisations',
      'records',
      'visit',
      'webhooks',
    ]);
    // Both spellings still answer (only the documented one changed).
    for (const path of ['/api/conferences', '/api/conferences/']) expect((await fetch(`${t.baseUrl}${path}`)).status, path).toBe(401);
    const docs = await fetch(`${t.baseUrl}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('answers unknown routes and malformed bodies with JSON errors, never a stack trace', async () => {
    t = await createTestApp();
    const missing = await fetch(`${t.baseUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    const bad = await fetch(`${t.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    expect(bad.status).toBe(400);
    const body = await bad.json();
    expect(body.error).toBe('bad_request');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+/);
    const wrongType = await fetch(`${t.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    expect(wrongType.status).toBe(415);
    const huge = await fetch(`${t.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'a', password: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error).toBe('payload_too_large');
  });

  it('sends security headers, and CORS only to configured origins', async () => {
    t = await createTestApp({ env: { V4H_CORS_ORIGINS: 'https://clinic.example' } });
    const res = await fetch(`${t.baseUrl}/healthz`, { headers: { origin: 'https://clinic.example' } });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://clinic.example');
    const other = await fetch(`${t.baseUrl}/healthz`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${t.baseUrl}/api/conferences/`, {
      method: 'OPTIONS',
      headers: { origin: 'https://clinic.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  });

  it('logs a refused cross-origin preflight once per origin at warn, naming V4H_CORS_ORIGINS and the origin to add', async () => {
    const { loggerOptions } = await import('./logging.js');
    for (const configured of ['', 'https://clinic.example']) {
      t = await createTestApp({ env: { V4H_CORS_ORIGINS: configured } });
      const lines: string[] = [];
      const sink = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
      const app = await buildApp({ config: t.config, db: t.db, logger: { ...loggerOptions('info'), stream: sink } });
      const preflight = (origin: string) =>
        app.inject({
          method: 'OPTIONS',
          url: '/api/auth/login',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
      for (let i = 0; i < 3; i++) {
        const refused = await preflight('http://127.0.0.1:5173');
        expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      }
      if (configured) expect((await preflight(configured)).headers['access-control-allow-origin']).toBe(configured);
      await app.close();
      await t.close();
      t = undefined;
      const warnings = lines
        .flatMap((chunk) => chunk.split('\n').filter(Boolean))
        .map((line) => JSON.parse(line))
        .filter((entry) => entry.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].origin).toBe('http://127.0.0.1:5173');
      expect(warnings[0].msg).toContain(`V4H_CORS_ORIGINS=${configured ? `${configured},` : ''}http://127.0.0.1:5173`);
    }
  });

  it('never logs passwords, tokens or guest-link JWTs', async () => {
    t = await createTestApp();
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    const { loggerOptions } = await import('./logging.js');
    const app = await buildApp({ config: t.config, db: t.db, logger: { ...loggerOptions('debug'), stream: sink } });
    const user = await t.createUser('ana', 'correct horse battery');
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'ana', password: user.password } });
    const { accessToken, refreshToken } = login.json();
    await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
    await app.inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${accessToken}` } });
    await app.inject({ method: 'GET', url: '/v4h-room?jwt=eyJhbGciOi.secret.part' });
    await app.close();
    const log = lines.join('');
    expect(log).toContain('/api/auth/login');
    for (const secret of [user.password, accessToken, refreshToken, 'secret.part']) expect(log).not.toContain(secret);
    // One line per completed request, with its status, time and id (and the URL redacted).
    const entries = lines.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line));
    const room = entries.filter((entry) => entry.req?.url?.startsWith('/v4h-room'));
    expect(room).toHaveLength(1);
    expect(room[0]).toMatchObject({
      msg: 'request completed',
      res: { statusCode: expect.any(Number) },
      responseTime: expect.any(Number),
      reqId: expect.any(String),
    });
    expect(room[0].req.url).toBe('/v4h-room?[redacted]'); // the whole query: it may hold personal data too
    expect(entries.filter((entry) => entry.msg === 'request completed')).toHaveLength(4);
  });
});
