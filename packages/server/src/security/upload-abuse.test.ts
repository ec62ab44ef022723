// Upload abuse: a caller who may not upload is refused before the body is read (no disk filled by strangers),
// and a declared size past the limit is refused up front.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, JITSI_TEST_ENV, type TestApp } from '../test-support/test-app.js';

let t: TestApp;
let port: number;
let sessionId: string;
let stranger: string;

beforeAll(async () => {
  t = await createTestApp({ env: { ...JITSI_TEST_ENV, V4H_MAX_UPLOAD_BYTES: String(10 * 1024 * 1024) } });
  port = Number(new URL(t.baseUrl).port);
  const owner = await t.userSession();
  stranger = (await t.userSession()).accessToken;
  const res = await fetch(`${t.baseUrl}/api/conferences`, { method: 'POST', headers: { ...owner.auth, 'content-type': 'application/json' }, body: '{}' });
  sessionId = (await res.json()).sessionId;
});
afterAll(() => t?.close());

/** Sends the head and a little of a body that claims to be huge; resolves with the status and how long the answer took. */
function startHugeUpload(headers: string, declared = 9 * 1024 * 1024): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /api/conferences/${sessionId}/files?kind=attachment&name=big.pdf HTTP/1.1\r\nHost: x\r\nContent-Type: application/pdf\r\n` +
          `Content-Length: ${declared}\r\n${headers}\r\n`,
      );
      socket.write(Buffer.alloc(64 * 1024, 1));
    });
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (match) {
        socket.destroy();
        resolve({ status: Number(match[1]), ms: Date.now() - started });
      }
    });
    socket.on('error', reject);
    setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 10 s: the server is reading the body of a refused upload'));
    }, 10_000);
  });
}

const storedFiles = async () => (await t.db.kysely.selectFrom('files').select('id').where('session_id', '=', sessionId).execute()).length;

describe('upload abuse', () => {
  it('anonymous: 401 without reading the (9 MiB, mostly unsent) body', async () => {
    const res = await startHugeUpload('');
    expect(res.status).toBe(401);
    expect(res.ms).toBeLessThan(5000);
  });

  it('a user who is not in the conference: refused without reading the body', async () => {
    const res = await startHugeUpload(`Authorization: Bearer ${stranger}\r\n`);
    expect(res.status).toBe(403);
    expect(res.ms).toBeLessThan(5000);
  });

  it('a declared size past the limit: refused up front', async () => {
    const res = await startHugeUpload('', 4 * 1024 ** 3);
    expect([401, 413]).toContain(res.status);
    expect(res.ms).toBeLessThan(5000);
  });

  // Issue 15 item 13: the query was validated before the token, so a stranger learnt the query rules (400) first.
  it('no token and a bad query: 401, as on every other route (both upload routes)', async () => {
    for (const url of [`/api/conferences/${sessionId}/files?kind=evil`, '/api/rooms/some-room/files?kind=evil&extra=1']) {
      const res = await fetch(`${t.baseUrl}${url}`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: 'x' });
      expect(res.status, url).toBe(401);
      expect((await res.json()).error, url).toBe('unauthorized');
    }
    const user = await fetch(`${t.baseUrl}/api/rooms/some-room/files?kind=evil`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stranger}`, 'content-type': 'application/pdf' },
      body: 'x',
    });
    expect(user.status).toBe(401);
  });

  it('nothing of the refused uploads was stored', async () => {
    expect(await storedFiles()).toBe(0);
  });
});
