// PostgreSQL goes away (a TCP proxy between the server and the database is cut, live connections included) and
// comes back: requests fail cleanly with 503 service_unavailable, readiness says so, and service resumes by itself.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { call, createUsers, deployment, freePort, login, runLoad } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/**
 * A TCP proxy in front of the PostgreSQL of `databaseUrl` that can be cut (listener closed, every live connection
 * destroyed) and restored; `url` reaches the database through it. Cut for good when the file's tests end.
 */
async function cuttableProxy(databaseUrl: string) {
  const real = new URL(databaseUrl);
  const target = { host: real.hostname, port: Number(real.port || 5432) };
  const port: number = await freePort();
  const viaProxy = new URL(real);
  viaProxy.host = `127.0.0.1:${port}`;
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const proxy = {
    url: viaProxy.toString(),
    async up() {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async down() {
      const closed = new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      for (const s of sockets) s.destroy();
      await closed;
      server = undefined;
    },
  };
  await proxy.up();
  cleanups.push(() => proxy.down());
  return proxy;
}

describe('PostgreSQL down', () => {
  it('answers 503 (never 500) while the database is unreachable, and recovers when it is back', async () => {
    const d = await deployment('postgres');
    cleanups.push(d.destroy);
    const proxy = await cuttableProxy(d.env.V4H_DATABASE_URL);
    const [user] = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 1, 'dbdown-');
    const server = await d.start({ V4H_DATABASE_URL: proxy.url });
    const tokens = await login(server.url, user);
    const before = await call(server.url, 'POST', '/api/conferences', { token: tokens.accessToken, body: { sessionId: 'before-outage' } });
    expect(before.status).toBe(201);

    await proxy.down();
    const during = [];
    try {
      during.push(await call(server.url, 'GET', '/api/conferences/before-outage', { token: tokens.accessToken }));
      during.push(await call(server.url, 'POST', '/api/conferences', { token: tokens.accessToken, body: { sessionId: 'during-outage' } }));
      during.push(await call(server.url, 'POST', '/api/auth/login', { body: user }));
      during.push(await call(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: tokens.refreshToken } }));
      during.push(await call(server.url, 'GET', '/api/auth/session', { token: tokens.accessToken }));
    } catch (error) {
      throw new Error(`the server stopped answering during the outage (${(error as Error).message}); its last output:\n${server.output().slice(-3000)}`, {
        cause: error,
      });
    }
    for (const res of during) {
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.body.error).toBe('service_unavailable');
      expect(JSON.stringify(res.body)).not.toMatch(/ECONN|postgres|password|at .+:\d+/i);
    }
    expect((await call(server.url, 'GET', '/readyz')).status).toBe(503);
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);

    await proxy.up();
    const back = await until(async () => {
      const res = await call(server.url, 'GET', '/api/conferences/before-outage', { token: tokens.accessToken });
      return res.status === 200 ? res : undefined;
    });
    expect(back.body.sessionId).toBe('before-outage');
    // The refused write did not happen; the refresh token refused during the outage still works (it was not consumed).
    expect((await call(server.url, 'GET', '/api/conferences/during-outage', { token: tokens.accessToken })).status).toBe(404);
    expect((await call(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: tokens.refreshToken } })).status).toBe(200);
    expect((await call(server.url, 'GET', '/readyz')).status).toBe(200);
    await server.stop();
  }, 120_000);
});

describe('PostgreSQL flapping under load', () => {
  it('cut and restored every second under mixed load: only 503s fail, the server survives and recovers', async () => {
    const d = await deployment('postgres', { V4H_LOGIN_LIMIT_PER_ADDRESS: '1000000000' });
    cleanups.push(d.destroy);
    const proxy = await cuttableProxy(d.env.V4H_DATABASE_URL);
    const users = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 20, 'flap-');
    const server = await d.start({ V4H_DATABASE_URL: proxy.url });
    let flapping = true;
    const flapper = (async () => {
      while (flapping) {
        await new Promise((resolve) => setTimeout(resolve, 700));
        await proxy.down();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await proxy.up();
      }
    })();
    const result = await runLoad({ url: server.url, kind: 'mixed', users, rounds: 3, connections: 40, duration: 8, timeout: 20 });
    flapping = false;
    await flapper;
    const statuses = Object.keys(result.statuses).map(Number);
    console.log(`flapping database: ${result.totalRequests} requests, statuses ${JSON.stringify(result.statuses)}, errors ${result.errors}`);
    const causes = [
      ...new Set(
        server
          .output()
          .split('\n')
          .filter((l) => l.includes('unhandled error'))
          .map((l) => /"message":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 200)),
      ),
    ];
    expect(
      statuses.filter((s) => s >= 500 && s !== 503),
      `answers 500 for: ${causes.join(' | ')}`,
    ).toEqual([]);
    expect(result.errors, 'connection errors: the server went away').toBe(0);
    expect(result.statuses[503] ?? 0, 'the outages were felt').toBeGreaterThan(0);
    expect(server.output()).not.toMatch(/Unhandled|uncaught/i);
    const tokens = await until(async () => {
      const res = await call(server.url, 'POST', '/api/auth/login', { body: users[0] });
      return res.status === 200 ? res.body : undefined;
    });
    expect((await call(server.url, 'POST', '/api/conferences', { token: tokens.accessToken, body: {} })).status).toBe(201);
    await server.stop();
  }, 120_000);
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('the server did not recover within 30 s of the database coming back');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
