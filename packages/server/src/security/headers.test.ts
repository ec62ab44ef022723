// Response headers and request limits: security headers everywhere, CORS only for configured origins, 413 past the body limit.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { API_HEADERS, DOCUMENT_HEADERS } from './headers.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const ALLOWED = 'https://clinic.example';

describe('security headers', () => {
  it("API answers, errors included, carry OWASP's REST set, and nothing names the server stack", async () => {
    t = await createTestApp();
    const s = await t.userSession();
    const { sessionId } = (await t.app.inject({ method: 'POST', url: '/api/conferences', headers: s.auth, payload: {} })).json();
    const answers = [
      await fetch(`${t.baseUrl}/api/auth/session`, { headers: s.auth }),
      await fetch(`${t.baseUrl}/api/auth/session`),
      await fetch(`${t.baseUrl}/api/conferences/${sessionId}`, { headers: s.auth }),
      await fetch(`${t.baseUrl}/api/conferences/nope`, { headers: s.auth }),
      await fetch(`${t.baseUrl}/api/no/such/route`),
      await fetch(`${t.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' }),
    ];
    for (const res of answers) {
      const h = res.headers;
      // Spelled out (not read from API_HEADERS) so that an edit of the table shows up here.
      expect(h.get('cache-control'), res.url).toBe('no-store'); // health data stays out of caches
      expect(h.get('content-security-policy'), res.url).toBe("frame-ancestors 'none'");
      expect(h.get('x-frame-options'), res.url).toBe('DENY');
      expect(h.get('x-content-type-options'), res.url).toBe('nosniff');
      expect(h.get('strict-transport-security'), res.url).toBe('max-age=31536000; includeSubDomains');
      expect(h.get('x-powered-by'), res.url).toBeNull();
      expect(h.get('server'), res.url).toBeNull();
      expect(h.get('content-type'), res.url).toMatch(/^application\/json/);
    }
    expect(Object.keys(API_HEADERS)).toHaveLength(5);
  });

  // Issue 15 item 11: the set was chosen by the raw URL text, so `/%61pi/…` reached the API with the document set
  // (no `cache-control: no-store` on health data).
  it('the set follows the route that matched, not the URL text: /%61pi/… gets the API set', async () => {
    t = await createTestApp();
    const s = await t.userSession();
    const { sessionId } = (await t.app.inject({ method: 'POST', url: '/api/conferences', headers: s.auth, payload: {} })).json();
    for (const url of [`/%61pi/conferences/${sessionId}`, `/api/%63onferences/${sessionId}`, '/%61pi/no/such/route']) {
      const res = await fetch(`${t.baseUrl}${url}`, { headers: s.auth });
      expect(res.status, url).not.toBe(500);
      for (const [name, value] of Object.entries(API_HEADERS)) expect(res.headers.get(name), `${url} ${name}`).toBe(value);
    }
    expect((await fetch(`${t.baseUrl}/%61pi/conferences/${sessionId}`, { headers: s.auth })).status).toBe(200);
    const page = await fetch(`${t.baseUrl}/%68ealthz`);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('everything else carries the set helmet sends by default (its CSP aside)', async () => {
    t = await createTestApp();
    expect(Object.keys(DOCUMENT_HEADERS)).toHaveLength(11);
    for (const path of ['/healthz', '/v4h.js', '/', '/openapi.json', '/no/such/route', '/.well-known/v4h-ledger.json']) {
      const res = await fetch(`${t.baseUrl}${path}`);
      for (const [name, value] of Object.entries(DOCUMENT_HEADERS)) expect(res.headers.get(name), `${path} ${name}`).toBe(value);
    }
    const res = await fetch(`${t.baseUrl}/healthz`);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-xss-protection')).toBe('0');
  });

  it('token answers are not cached', async () => {
    t = await createTestApp();
    const user = await t.createUser();
    const res = await fetch(`${t.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    expect(res.status).toBe(200);
    // RFC 6749 §5.1: token responses carry Cache-Control: no-store.
    expect(res.headers.get('cache-control') ?? '').toMatch(/no-store/);
  });
});

describe('CORS', () => {
  const preflight = (app: TestApp, origin: string) =>
    fetch(`${app.baseUrl}/api/conferences`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('answers only the configured origins', async () => {
    t = await createTestApp({ env: { V4H_CORS_ORIGINS: `${ALLOWED},https://other-clinic.example:8443` } });
    const ok = await preflight(t, ALLOWED);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect((ok.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('authorization');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    expect((await preflight(t, 'https://other-clinic.example:8443')).headers.get('access-control-allow-origin')).toBe('https://other-clinic.example:8443');
    for (const origin of ['https://evil.example', 'https://clinic.example.evil.example', 'http://clinic.example', 'https://clinic.example:444', 'null']) {
      const res = await preflight(t, origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      const simple = await fetch(`${t.baseUrl}/healthz`, { headers: { origin } });
      expect(simple.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('answers no origin at all when none is configured', async () => {
    t = await createTestApp();
    for (const origin of [ALLOWED, 'https://evil.example', `http://127.0.0.1:${new URL(t.baseUrl).port}`]) {
      const answer = await preflight(t, origin);
      expect(answer.status, origin).toBe(404);
      expect(answer.headers.get('access-control-allow-origin'), origin).toBeNull();
      const res = await fetch(`${t.baseUrl}/api/auth/session`, { headers: { origin } });
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });
});

describe('request size limits', () => {
  it('refuses JSON bodies past 1 MiB with 413 payload_too_large, before parsing; an anonymous caller of an authenticated route gets 401 first', async () => {
    t = await createTestApp();
    const s = await t.userSession();
    const huge = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });
    for (const [url, headers, status, error] of [
      ['/api/auth/login', {}, 413, 'payload_too_large'],
      ['/api/auth/refresh', {}, 413, 'payload_too_large'],
      ['/api/conferences', s.auth, 413, 'payload_too_large'],
      ['/api/conferences/anything/guest-url', s.auth, 413, 'payload_too_large'],
      // Authentication runs before the body is read: nothing of it is parsed for a caller without a token.
      ['/api/conferences/anything/guest-url', {}, 401, 'unauthorized'],
    ] as const) {
      const res = await fetch(`${t.baseUrl}${url}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: huge });
      expect(res.status, url).toBe(status);
      expect((await res.json()).error).toBe(error);
    }
  });

  it('refuses a presence beacon (text/plain) past 8 KiB with 413', async () => {
    t = await createTestApp();
    const res = await fetch(`${t.baseUrl}/api/conferences/x/presence`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ event: 'left', presenceToken: 'x'.repeat(9000) }),
    });
    expect(res.status).toBe(413);
  });

  it('refuses an oversized declared Content-Length without reading the body', async () => {
    t = await createTestApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) },
      payload: '{}',
    });
    expect([400, 413]).toContain(res.statusCode);
  });
});
