// SQLite locked by another process (a second `v4h` process, a maintenance script): writes that cannot get the lock
// within 5 s fail cleanly with 503, other requests are answered meanwhile, and the server carries on once the lock
// is released.
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { call, createUsers, deployment, login, type ServerProcess } from './support.js';

const requireServer = createRequire(new URL('../../packages/server/package.json', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function lockedServer() {
  const d = await deployment('sqlite');
  cleanups.push(d.destroy);
  const [user] = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 1, 'lock-');
  const server: ServerProcess = await d.start();
  const { accessToken } = await login(server.url, user);
  const SQLite = requireServer('better-sqlite3');
  const other = new SQLite(d.env.V4H_DATABASE_URL.slice('sqlite:'.length));
  other.pragma('busy_timeout = 100');
  return { server, accessToken, other };
}

describe('SQLite write lock held by another process', () => {
  it('a write that cannot get the lock answers 503 service_unavailable; after the release, writes succeed', async () => {
    const { server, accessToken, other } = await lockedServer();
    other.exec('BEGIN IMMEDIATE');
    const refused = await call(server.url, 'POST', '/api/conferences', { token: accessToken, body: { sessionId: 'while-locked' } });
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(refused.body.error).toBe('service_unavailable');
    // Reads go on beside the other writer (WAL)...
    expect((await call(server.url, 'GET', '/api/auth/session', { token: accessToken })).status).toBe(200);
    // ...except a read of health data, which is answered only once it is in the access audit (fail-closed,
    // audit/access-audit.ts): it cannot be written, so the read is refused cleanly rather than served unrecorded.
    const unaudited = await call(server.url, 'GET', '/api/conferences', { token: accessToken });
    expect(unaudited.status, JSON.stringify(unaudited.body)).toBe(503);
    expect(unaudited.body.error).toBe('service_unavailable');
    other.exec('COMMIT');
    other.close();
    expect((await call(server.url, 'GET', '/api/conferences/while-locked', { token: accessToken })).status).toBe(404);
    expect((await call(server.url, 'POST', '/api/conferences', { token: accessToken, body: { sessionId: 'while-locked' } })).status).toBe(201);
    await server.stop();
  }, 60_000);

  // Waiting for the lock never blocks the event loop (busy_timeout 0, asynchronous retries: db/sqlite-lock.ts), so
  // the probes and other requests are answered meanwhile, and /readyz says the database is busy. It failed before:
  // better-sqlite3 waited out busy_timeout (5 s) synchronously, and /healthz with it.
  it('other requests are answered while a write waits for the lock, and /readyz reports the database busy', async () => {
    const { server, accessToken, other } = await lockedServer();
    other.exec('BEGIN IMMEDIATE');
    try {
      const write = call(server.url, 'POST', '/api/conferences', { token: accessToken, body: {} });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        waits.push(Date.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const ready = await call(server.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ error: 'service_unavailable', database: 'busy' });
      // A read answered while the write waits (one that needs no write: audited reads wait like writes).
      expect((await call(server.url, 'GET', '/api/auth/session', { token: accessToken })).status).toBe(200);
      expect((await write).status).toBe(503);
      // The bound is loose (the machine is shared); blocked, each took the whole wait (5 s).
      expect(Math.max(...waits), `GET /healthz waited ${waits.join(', ')} ms beside the waiting write`).toBeLessThan(1000);
      // Ready again once the lock is free. Not before: background writers (the webhook outbox's claims, sweeps) may
      // still be waiting for the lock after the request's write gave up, and then the database is rightly "busy".
      other.exec('COMMIT');
      let readiness: unknown;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
        readiness = (await call(server.url, 'GET', '/readyz')).body;
        if ((readiness as { status?: string }).status === 'ok') break;
      }
      expect(readiness).toMatchObject({ status: 'ok', database: 'ok' });
    } finally {
      if (other.inTransaction) other.exec('COMMIT');
      other.close();
      await server.stop();
    }
  }, 60_000);
});
