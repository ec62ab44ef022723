// Token renewal timing with fake timers: scheduled before expiry, rotated, retried after outages, expiry signalled.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { V4H } from './V4H.js';
import { memoryTokenStore, sessionTokenStore } from './tokens.js';

/** A fetch answering login/refresh from a script, recording the refresh tokens it receives. */
function scriptedFetch(expiresIn: number) {
  let n = 0;
  const refreshes: string[] = [];
  let refreshAnswer: 'ok' | 'refused' | 'down' = 'ok';
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = async (url: string, init?: RequestInit) => {
    if (url.endsWith('/api/auth/login')) return json(200, { accessToken: `a${++n}`, refreshToken: `r${n}`, expiresIn });
    if (url.endsWith('/api/auth/refresh')) {
      refreshes.push(JSON.parse(init?.body as string).refreshToken);
      if (refreshAnswer === 'down') throw new TypeError('fetch failed');
      if (refreshAnswer === 'refused') return json(401, { error: 'invalid_refresh_token', message: 'reused' });
      return json(200, { accessToken: `a${++n}`, refreshToken: `r${n}`, expiresIn });
    }
    return json(404, { error: 'not_found', message: 'no route' });
  };
  return { fetch, refreshes, answer: (a: typeof refreshAnswer) => void (refreshAnswer = a) };
}

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
afterEach(() => vi.useRealTimers());

describe('automatic renewal', () => {
  it('renews a 5-minute token 30 s before expiry, with the rotated refresh token each time', async () => {
    const server = scriptedFetch(300);
    const store = memoryTokenStore();
    const v4h = new V4H({ baseUrl: 'http://v4h.test', fetch: server.fetch, tokenStore: store });
    await v4h.login('alice', 'pw');
    await vi.advanceTimersByTimeAsync(269_000);
    expect(server.refreshes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.refreshes).toEqual(['r1']);
    expect(store.get()).toMatchObject({ accessToken: 'a2', refreshToken: 'r2' });
    await vi.advanceTimersByTimeAsync(270_000);
    expect(server.refreshes).toEqual(['r1', 'r2']);
    await v4h.logout();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(server.refreshes).toEqual(['r1', 'r2']);
  });

  it('renews a short-lived token a fifth of its life ahead (at least 1 s)', async () => {
    const server = scriptedFetch(4);
    const v4h = new V4H({ baseUrl: 'http://v4h.test', fetch: server.fetch });
    await v4h.login('alice', 'pw');
    await vi.advanceTimersByTimeAsync(2_900);
    expect(server.refreshes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(server.refreshes).toHaveLength(1);
  });

  it('does nothing when autoRefresh is off', async () => {
    const server = scriptedFetch(60);
    const v4h = new V4H({ baseUrl: 'http://v4h.test', fetch: server.fetch, autoRefresh: false });
    await v4h.login('alice', 'pw');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.refreshes).toHaveLength(0);
  });

  it('keeps the session through an outage and retries 5 s later', async () => {
    const server = scriptedFetch(60);
    const store = memoryTokenStore();
    const v4h = new V4H({ baseUrl: 'http://v4h.test', fetch: server.fetch, tokenStore: store });
    const expired = vi.fn();
    v4h.on('authExpired', expired);
    await v4h.login('alice', 'pw');
    server.answer('down');
    await vi.advanceTimersByTimeAsync(48_000);
    expect(server.refreshes).toEqual(['r1']);
    expect(store.get()?.refreshToken).toBe('r1');
    server.answer('ok');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(server.refreshes).toEqual(['r1', 'r1']);
    expect(store.get()?.refreshToken).toBe('r2');
    expect(expired).not.toHaveBeenCalled();
  });

  it('signals authExpired once and clears the tokens when renewal is refused', async () => {
    const server = scriptedFetch(60);
    const store = memoryTokenStore();
    const v4h = new V4H({ baseUrl: 'http://v4h.test', fetch: server.fetch, tokenStore: store });
    const expired = vi.fn();
    v4h.on('authExpired', expired);
    await v4h.login('alice', 'pw');
    server.answer('refused');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(server.refreshes).toEqual(['r1']);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(expired.mock.calls[0][0].error).toMatchObject({ code: 'session_expired', status: 401 });
    expect(store.get()).toBeNull();
  });

  it('picks up a stored session (page reload) and schedules its renewal', async () => {
    const server = scriptedFetch(300);
    const store = memoryTokenStore();
    store.set({ accessToken: 'old', refreshToken: 'r-old', expiresAt: Date.now() + 10_000 });
    new V4H({ baseUrl: 'http://v4h.test', fetch: server.fetch, tokenStore: store });
    await vi.advanceTimersByTimeAsync(7_000);
    expect(server.refreshes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.refreshes).toEqual(['r-old']);
  });

  it('renews a token already known to be stale before using it', async () => {
    const server = scriptedFetch(300);
    const store = memoryTokenStore();
    store.set({ accessToken: 'stale', refreshToken: 'r-old', expiresAt: Date.now() - 1 });
    const seen: string[] = [];
    const fetch = async (url: string, init?: RequestInit) => {
      seen.push(String((init?.headers as Record<string, string>)?.authorization ?? ''));
      return url.endsWith('/api/conferences') ? new Response('{"sessionId":"s"}', { status: 201 }) : server.fetch(url, init);
    };
    const v4h = new V4H({ baseUrl: 'http://v4h.test', fetch, tokenStore: store, autoRefresh: false });
    expect(await v4h.requestConference()).toBe('s');
    expect(seen).toEqual(['', 'Bearer a1']);
  });
});

describe('sessionStorage store', () => {
  it('keeps tokens under its key and forgets them on clear', () => {
    const data = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => data.set(k, v),
      removeItem: (k: string) => data.delete(k),
    });
    try {
      const store = sessionTokenStore('v4h.test');
      expect(store.get()).toBeNull();
      store.set({ accessToken: 'a', refreshToken: 'r', expiresAt: 1 });
      expect(JSON.parse(data.get('v4h.test')!)).toEqual({ accessToken: 'a', refreshToken: 'r', expiresAt: 1 });
      expect(store.get()).toEqual({ accessToken: 'a', refreshToken: 'r', expiresAt: 1 });
      data.set('v4h.test', 'not json');
      expect(store.get()).toBeNull();
      store.set(null);
      expect(data.has('v4h.test')).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('is refused where there is no sessionStorage (Node)', () => {
    expect(() => new V4H({ baseUrl: 'http://v4h.test', tokenStore: 'session' })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});
