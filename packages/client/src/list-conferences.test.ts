// listConferences: the route's query built from the options (limit, a page's nextCursor), refused before any request
// when they are wrong. Against the real server: test/e2e/node-sdk.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { V4H } from './V4H.js';
import { isV4HError } from './errors.js';

const page = { items: [], nextCursor: null };

function client() {
  const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify(page), { status: 200 }));
  // A key stands in for a signed-in user: the request goes out with a bearer, no login needed here.
  return { v4h: new V4H({ baseUrl: 'http://v4h.test', fetch, apiKey: `v4hk_0123456789abcdef_${'k'.repeat(43)}` }), fetch };
}

describe('v4h.listConferences', () => {
  it('asks GET /api/conferences with the options given, and resolves the page', async () => {
    const { v4h, fetch } = client();
    expect(await v4h.listConferences()).toEqual(page);
    expect(await v4h.listConferences({ limit: 5, cursor: 'abc/+=' })).toEqual(page);
    await v4h.listConferences({ cursor: null });
    expect(fetch.mock.calls.map(([url, init]) => `${init?.method} ${url}`)).toEqual([
      'GET http://v4h.test/api/conferences',
      'GET http://v4h.test/api/conferences?limit=5&cursor=abc%2F%2B%3D',
      'GET http://v4h.test/api/conferences',
    ]);
  });

  it('refuses a wrong limit or cursor with invalid_argument, before any request', async () => {
    const { v4h, fetch } = client();
    for (const options of [{ limit: 0 }, { limit: 101 }, { limit: 2.5 }, { limit: '5' }, { cursor: 7 }, null]) {
      const error = await v4h.listConferences(options as never).catch((e: unknown) => e);
      expect(isV4HError(error) && error.code, JSON.stringify(options)).toBe('invalid_argument');
    }
    expect(fetch).not.toHaveBeenCalled();
  });
});
