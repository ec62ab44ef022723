// Tying the server up with slow or numerous clients (issue 15 items 6 and 7): bodies get a deadline, one address a
// bounded number of connections, unauthenticated routes a small body limit, uploads a minimum rate and a per-user
// limit. Bounded: at most 30 connections and a few seconds each, with short configured timeouts.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

let t: TestApp | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await t?.close();
  t = undefined;
});

interface RawClient {
  socket: net.Socket;
  /** Everything the server sent. */
  received(): string;
  closed(): boolean;
}

/** Opens a connection and writes `head` (and `body`, if any), then sends nothing more unless the test does. */
function rawClient(head = '', body = ''): Promise<RawClient> {
  const port = Number(new URL(t!.baseUrl).port);
  return new Promise((resolve, reject) => {
    let data = '';
    let closed = false;
    const socket = net.connect(port, '127.0.0.1', () => {
      if (head) socket.write(head + body);
      resolve({ socket, received: () => data, closed: () => closed });
    });
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

async function waitFor(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const loginHead = (length: number) => `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('slow request bodies and connection counts', () => {
  // Issue 15 item 6: 300 connections each sending part of a login body were never timed out.
  it('30 unfinished login bodies are answered 408 and closed after V4H_REQUEST_BODY_TIMEOUT; logins go on', async () => {
    t = await createTestApp({ env: { V4H_REQUEST_BODY_TIMEOUT: '1' } });
    const user = await t.createUser();
    const clients = await Promise.all(Array.from({ length: 30 }, () => rawClient(loginHead(900), '{"username":"a","password":"')));
    expect((await t.login(user.username, user.password)).accessToken).toBeTruthy();
    await waitFor(() => clients.every((c) => c.closed()), 15_000, 'every slow body closed');
    expect(clients.filter((c) => c.received().startsWith('HTTP/1.1 408')).length).toBeGreaterThan(0);
    expect((await t.login(user.username, user.password)).accessToken).toBeTruthy();
  });

  it('one address holds at most V4H_MAX_CONNECTIONS_PER_ADDRESS connections; closing them frees the slots', async () => {
    t = await createTestApp({ env: { V4H_MAX_CONNECTIONS_PER_ADDRESS: '10' } });
    const clients: RawClient[] = [];
    for (let i = 0; i < 25; i++) clients.push(await rawClient());
    await waitFor(() => clients.filter((c) => c.closed()).length >= 15, 10_000, 'the connections past the cap closed');
    expect(clients.filter((c) => !c.closed()).length).toBeGreaterThan(0);
    for (const c of clients) c.socket.destroy();
    const health = () => fetch(`${t!.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    await waitFor(async () => (await health())?.status === 200, 15_000, 'a new connection served');
  });

  it('unauthenticated routes take small bodies: a 16 KiB login body is 413, before any password work', async () => {
    t = await createTestApp();
    const big = JSON.stringify({ username: 'a', password: 'x'.repeat(16 * 1024) });
    for (const path of ['/api/auth/login', '/api/auth/refresh', '/api/auth/logout']) {
      const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      expect(res.status, path).toBe(413);
    }
  });
});

describe('slow and numerous uploads', () => {
  async function conference(app: TestApp) {
    const owner = await app.userSession();
    const res = await fetch(`${app.baseUrl}/api/conferences`, { method: 'POST', headers: { ...owner.auth, 'content-type': 'application/json' }, body: '{}' });
    return { owner, sessionId: (await res.json()).sessionId as string };
  }
  const uploadHead = (sessionId: string, token: string, length: number) =>
    `POST /api/conferences/${sessionId}/files?kind=attachment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/pdf\r\nContent-Length: ${length}\r\n\r\n`;

  // Issue 15 item 7: one byte every 20 s kept an upload open past the 60 s idle timeout.
  it('an upload below V4H_UPLOAD_MIN_RATE over the window is dropped, though never idle', async () => {
    t = await createTestApp({ env: { V4H_UPLOAD_MIN_RATE: '1000', V4H_UPLOAD_RATE_WINDOW: '2' } });
    const { owner, sessionId } = await conference(t);
    const slow = await rawClient(uploadHead(sessionId, owner.accessToken, 100_000), '%PDF-');
    const trickle = setInterval(() => slow.socket.writable && slow.socket.write('0123456789'), 200); // 50 B/s
    try {
      await waitFor(() => slow.closed(), 15_000, 'the slow upload dropped');
    } finally {
      clearInterval(trickle);
    }
    expect((await t.db.kysely.selectFrom('files').select('id').where('session_id', '=', sessionId).execute()).length).toBe(0);
  });

  it('a user runs at most V4H_UPLOADS_PER_USER uploads at once (429), and may upload again once they end', async () => {
    t = await createTestApp({ env: { V4H_UPLOADS_PER_USER: '2' } });
    const { owner, sessionId } = await conference(t);
    // Three slow uploads at once: one is refused at once, two run on (none of them finishes its body).
    const clients = await Promise.all([1, 2, 3].map(() => rawClient(uploadHead(sessionId, owner.accessToken, 100_000), '%PDF-')));
    await waitFor(() => clients.some((c) => c.received() !== ''), 15_000, 'one upload answered');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = clients.filter((c) => c.received() !== '');
    expect(refused).toHaveLength(1);
    expect(refused[0].received()).toMatch(/^HTTP\/1\.1 429 /);
    expect(refused[0].received()).toContain('"error":"rate_limited"');
    expect(refused[0].received()).toMatch(/retry-after: 5/i);
    for (const c of clients) c.socket.destroy();
    const upload = () =>
      fetch(`${t!.baseUrl}/api/conferences/${sessionId}/files?kind=attachment`, {
        method: 'POST',
        headers: { ...owner.auth, 'content-type': 'application/pdf' },
        body: '%PDF-1.4 x',
        signal: AbortSignal.timeout(5000),
      });
    await waitFor(async () => (await upload()).status === 201, 15_000, 'an upload accepted again');
  });
});
