// Room routes over real HTTP: assets with ETags, the embeddable meeting page, the signaling socket's admission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
// @ts-expect-error plain-JS build script
import { buildRoomAssets } from '../../build-room.js';

let t: TestApp;

beforeAll(async () => {
  await buildRoomAssets();
  t = await createTestApp();
});
afterAll(async () => t?.close());

async function startedEmbed() {
  const owner = await t.userSession();
  const post = (path: string, body: unknown) =>
    fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...owner.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) =>
      r.json(),
    );
  const { sessionId } = await post('/api/conferences', {});
  return post(`/api/conferences/${sessionId}/start`, { displayName: 'Dr Owner' }) as Promise<{
    roomName: string;
    jwt: string;
    domain: string;
    scriptUrl: string;
  }>;
}

/** Opens the signaling socket as a browser on `origin` would, and collects what the server says. */
async function socket(origin?: string) {
  // The ws client (a dependency of @fastify/websocket) over real HTTP, as a browser would connect.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- ws ships no types: a string keeps tsc from resolving it
  const { WebSocket } = await import('ws' as string);
  const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}/room/ws`, origin ? { origin } : {});
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const messages: any[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString())));
  const next = async (type: string) => {
    for (let i = 0; i < 100; i++) {
      const found = messages.find((m) => m.type === type);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${type} message; got ${JSON.stringify(messages)}`);
  };
  return { ws, messages, closed, next, send: (m: unknown) => ws.send(JSON.stringify(m)) };
}

describe('room routes', () => {
  it('serves external_api.js with an ETag, short caching and 304 on a match', async () => {
    const res = await fetch(`${t.baseUrl}/external_api.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await res.text()).toContain('JitsiMeetExternalAPI');
    const etag = res.headers.get('etag')!;
    expect((await fetch(`${t.baseUrl}/external_api.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${t.baseUrl}/external_api.js`, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
  });

  it('serves an embeddable meeting page with its own CSP at /<roomName>, and nothing for other names', async () => {
    const res = await fetch(`${t.baseUrl}/v4h-abcdefgh?jwt=x.y.z`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('x-frame-options')).toBeNull();
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain('frame-ancestors *');
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('data-room="v4h-abcdefgh"');
    const script = /\/room\/meeting\.js\?v=[\w-]+/.exec(html)![0];
    const asset = await fetch(`${t.baseUrl}${script}`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    for (const path of ['/V4H-ABC', '/v4h-', '/v4h-a_b', '/room-x']) expect((await fetch(`${t.baseUrl}${path}`)).status, path).toBe(404);
    // Other pages keep helmet's frame protection.
    expect((await fetch(`${t.baseUrl}/healthz`)).headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('admits a valid token over the socket and refuses a forged one', async () => {
    const embed = await startedEmbed();
    const good = await socket(t.baseUrl);
    good.send({ type: 'join', roomName: embed.roomName, jwt: embed.jwt, displayName: 'Someone else' });
    const joined = await good.next('joined');
    // The name comes from the token the server issued, not from what the browser claims.
    expect(joined.you).toMatchObject({ displayName: 'Dr Owner', moderator: true, connected: true });
    expect(joined.participants).toEqual([]);
    expect(joined.resumeKey).toMatch(/^[\w-]{43}$/);

    const [head, body] = embed.jwt.split('.');
    const forged = await socket(t.baseUrl);
    forged.send({ type: 'join', roomName: embed.roomName, jwt: `${head}.${body}.${'A'.repeat(43)}` });
    expect(await forged.next('error')).toMatchObject({ code: 'token_invalid', fatal: true });
    expect(await forged.closed).toBe(4400);
    good.ws.close();
  });

  it('refuses sockets from other origins and malformed messages', async () => {
    const foreign = await socket('http://evil.example');
    expect(await foreign.closed).toBe(4403);
    const s = await socket(t.baseUrl);
    s.ws.send('not json');
    expect(await s.next('error')).toMatchObject({ code: 'bad_message', fatal: false });
    s.send({ type: 'signal', to: 'x', data: { candidate: {} } });
    expect(s.messages.filter((m) => m.type === 'error')).toHaveLength(1);
    expect(s.messages.length).toBeLessThanOrEqual(2);
    s.ws.close();
  });

  it('is not mounted when a Jitsi deployment is configured', async () => {
    const other = await createTestApp({
      env: { V4H_JITSI_URL: 'https://meet.example.org', V4H_JITSI_APP_ID: 'app', V4H_JITSI_APP_SECRET: 'a-secret-that-is-long-enough-0123456789' },
    });
    try {
      expect((await fetch(`${other.baseUrl}/external_api.js`)).status).toBe(404);
      expect((await fetch(`${other.baseUrl}/v4h-abcdefgh`)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
