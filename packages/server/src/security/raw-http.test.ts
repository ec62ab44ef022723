// Hostile HTTP on a raw socket: duplicate and conflicting headers, smuggling shapes, oversized heads. Never a 5xx.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

let t: TestApp;
let port: number;
let auth: string;
let sessionId: string;

beforeAll(async () => {
  t = await createTestApp();
  port = Number(new URL(t.baseUrl).port);
  const ana = await t.userSession();
  auth = ana.auth.authorization;
  const res = await fetch(`${t.baseUrl}/api/conferences`, { method: 'POST', headers: { ...ana.auth, 'content-type': 'application/json' }, body: '{}' });
  sessionId = (await res.json()).sessionId;
});
afterAll(() => t?.close());

/** Sends raw bytes, returns everything the server answered until it closed or went quiet. */
function raw(request: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      socket.destroy();
      resolve(data);
    };
    const timer = setTimeout(done, 1500);
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', () => {});
    socket.write(request);
  });
}

const statuses = (answer: string) => [...answer.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));

describe('raw HTTP tricks', () => {
  const body = '{}';
  const cases: Record<string, () => string> = {
    'two Authorization headers (valid + junk)': () =>
      `GET /api/conferences/${sessionId} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nAuthorization: Bearer junk\r\n\r\n`,
    'two Authorization headers (junk + valid)': () =>
      `GET /api/conferences/${sessionId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer junk\r\nAuthorization: ${auth}\r\n\r\n`,
    'conflicting Content-Length': () =>
      `POST /api/conferences HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n${body}`,
    'Content-Length with Transfer-Encoding (smuggling shape)': () =>
      `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/conferences HTTP/1.1\r\nHost: x\r\n\r\n`,
    'bad chunk size': () =>
      `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    'obfuscated Transfer-Encoding': () =>
      `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\nContent-Length: 2\r\n\r\n{}`,
    'two Content-Type headers': () =>
      `POST /api/conferences HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}`,
    'header with a NUL byte': () => `GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n`,
    'header line without a colon': () => `GET /healthz HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n`,
    '64 KiB header': () => `GET /api/auth/session HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(65_536)}\r\n\r\n`,
    '2,000 headers': () => `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
    'absolute-form target to another host': () => `GET http://evil.example/api/conferences HTTP/1.1\r\nHost: evil.example\r\nAuthorization: ${auth}\r\n\r\n`,
    'garbage request line': () => `\u0001\u0002 / HTTP/9.9\r\n\r\n`,
    'HTTP/1.0 without Host': () => `GET /api/conferences HTTP/1.0\r\n\r\n`,
    'dot segments in the path': () => `GET /api/conferences/../auth/session HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`,
    'encoded slash and NUL in the session id': () => `GET /api/conferences/a%2F..%2F%00 HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`,
    'non-UTF-8 body': () => `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 6\r\n\r\n{"\u00ff\u00fe"}`,
    'declared body longer than sent': () =>
      `POST /api/auth/refresh HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"refreshToken":"x"}`,
  };

  for (const [name, build] of Object.entries(cases)) {
    it(`${name}: no 5xx, server still up`, async () => {
      const answer = await raw(Buffer.from(build().replace('Host: x\r\n', 'Host: x\r\nConnection: close\r\n'), 'latin1'));
      for (const status of statuses(answer)) expect(status, answer.slice(0, 400)).toBeLessThan(500);
      expect(answer).not.toMatch(/\n\s+at .+:\d+:\d+|node_modules/);
      expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    });
  }

  it('smuggled requests are not executed as a second, authenticated request', async () => {
    const answer = await raw(
      `POST /api/auth/logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /api/conferences/${sessionId}/end HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n\r\n`,
    );
    expect(statuses(answer).every((s) => s === 400)).toBe(true);
    const details = await fetch(`${t.baseUrl}/api/conferences/${sessionId}`, { headers: { authorization: auth } });
    expect((await details.json()).state).not.toBe('ended');
  });

  it('of duplicated Authorization headers only the first counts (Node drops the rest): a junk first one is a 401', async () => {
    const send = (first: string, second: string) =>
      raw(`GET /api/conferences/${sessionId} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: ${first}\r\nAuthorization: ${second}\r\n\r\n`);
    expect(statuses(await send('Bearer junk', auth))).toEqual([401]);
    expect(statuses(await send(auth, 'Bearer junk'))).toEqual([200]);
  });
});
