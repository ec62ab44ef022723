// An organisation's API key in the SDK: sent as the bearer on every request in Node, refused in a browser-like global.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { V4H } from './V4H.js';
import { isV4HError } from './errors.js';

const KEY = `v4hk_0123456789abcdef_${'k'.repeat(43)}`;

afterEach(() => {
  delete (globalThis as { document?: unknown }).document;
});

describe('new V4H({ apiKey })', () => {
  it('sends the key as the bearer, with no sign-in', async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response('{"sessionId":"s1"}', { status: 201 }));
    const v4h = new V4H({ baseUrl: 'http://v4h.test', fetch, apiKey: KEY });
    expect(await v4h.requestConference()).toBe('s1');
    expect((fetch.mock.calls[0][1]!.headers as Record<string, string>).authorization).toBe(`Bearer ${KEY}`);
  });

  it('refuses a key where a document exists (a web page): invalid_argument, before any request', () => {
    (globalThis as { document?: unknown }).document = {};
    const fetch = vi.fn();
    let error: unknown;
    try {
      new V4H({ baseUrl: 'http://v4h.test', fetch, apiKey: KEY });
    } catch (e) {
      error = e;
    }
    expect(isV4HError(error) && error.code).toBe('invalid_argument');
    expect((error as Error).message).toContain('leak');
    expect(fetch).not.toHaveBeenCalled();
    // Without a key the same page constructs fine.
    expect(() => new V4H({ baseUrl: 'http://v4h.test', fetch })).not.toThrow();
  });
});
