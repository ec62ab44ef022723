// Argument checks (before any request), construction rules and the error guard.
import { describe, expect, it, vi } from 'vitest';
import { V4H } from './V4H.js';
import { V4HError, isV4HError } from './errors.js';
import { checkSize } from './checks.js';

const element = { nodeType: 1, appendChild() {}, contains: () => true } as unknown as Element;

function signedIn() {
  const fetch = vi.fn(async () => new Response('{}', { status: 500 }));
  const v4h = new V4H({
    baseUrl: 'http://v4h.test',
    fetch,
    tokenStore: { get: () => ({ accessToken: 'a', refreshToken: null, expiresAt: Date.now() + 60_000 }), set() {} },
  });
  return { v4h, fetch };
}

async function codeOf(call: () => unknown): Promise<string> {
  try {
    await call();
  } catch (error) {
    return isV4HError(error) ? error.code : `not a V4HError: ${String(error)}`;
  }
  return 'resolved';
}

describe('argument checks', () => {
  it.each([
    ['parentNode not an Element', (v: V4H) => v.startConference('s1', {} as Element, 640, 480, 'Ana', undefined)],
    ['parentNode missing', (v: V4H) => v.joinConference('s1', null as unknown as Element, 640, 480, 'Ana', undefined)],
    ['negative width', (v: V4H) => v.startConference('s1', element, -5, 480, 'Ana', undefined)],
    ['width NaN', (v: V4H) => v.startConference('s1', element, Number.NaN, 480, 'Ana', undefined)],
    ['width not a CSS length', (v: V4H) => v.startConference('s1', element, 'wide', 480, 'Ana', undefined)],
    ['height in an unknown unit', (v: V4H) => v.joinConference('s1', element, 640, '10furlongs', 'Ana', undefined)],
    ['missing session id (start)', (v: V4H) => v.startConference(undefined as unknown as string, element, 640, 480, 'Ana', undefined)],
    ['empty session id (join)', (v: V4H) => v.joinConference('  ', element, 640, 480, 'Ana', undefined)],
    ['missing session id (details)', (v: V4H) => v.getConference('')],
    ['missing session id (guest)', (v: V4H) => v.getGuestUrl(undefined as unknown as string, 'Guest', undefined)],
    // '' or null is "no name" (a waiting room's guest gives it when knocking; without one the server refuses).
    ['guest name not a string', (v: V4H) => v.getGuestUrl('s1', 42 as unknown as string, undefined)],
    ['guest token missing', (v: V4H) => v.joinAsGuest('', element)],
    ['guest without a parent node', (v: V4H) => v.joinAsGuest('token', null as unknown as Element)],
    ['admit without a participant', (v: V4H) => v.admit('s1', '')],
    ['deny without a session id', (v: V4H) => v.deny('', 'w-1')],
    ['avatar not a URL', (v: V4H) => v.startConference('s1', element, 640, 480, 'Ana', 'javascript:alert(1)')],
    ['endConference with no call and no id', (v: V4H) => v.endConference()],
    ['empty password', (v: V4H) => v.login('alice', '')],
    ['refresh token not a string', (v: V4H) => v.refreshToken(42 as unknown as string)],
    ['unknown join policy', (v: V4H) => v.requestConference(undefined, { joinPolicy: 'FRIENDS' as 'ORG' })],
    ['users not an array', (v: V4H) => v.requestConference(undefined, { joinPolicy: 'RESTRICT', users: 'bob' as unknown as string[] })],
    ['unknown list policy', (v: V4H) => v.requestConference(undefined, { listPolicy: 'FRIENDS' as 'ORG' })],
    ['units with an empty name', (v: V4H) => v.requestConference(undefined, { joinPolicy: 'ORGUNIT', units: ['cardiology', ''] })],
    ['empty conference password', (v: V4H) => v.joinConference('s1', element, 640, 480, 'Ana', undefined, { password: '' })],
    ['shareFile without a file id', (v: V4H) => v.shareFile('s1', '')],
  ])('%s → invalid_argument, no request', async (_label, call) => {
    const { v4h, fetch } = signedIn();
    expect(await codeOf(() => call(v4h))).toBe('invalid_argument');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('registerEndedListener takes a function and answers ok', () => {
    const { v4h } = signedIn();
    expect(v4h.registerEndedListener(() => {})).toBe('ok');
    expect(() => v4h.registerEndedListener('nope' as unknown as () => void)).toThrow(V4HError);
  });

  it('accepts pixel numbers and the CSS lengths Jitsi understands', () => {
    expect(checkSize(640, 'width', 1)).toBe(640);
    expect(checkSize('480', 'height', 1)).toBe(480);
    expect(checkSize('100%', 'width', 1)).toBe('100%');
    expect(checkSize('50vh', 'height', 1)).toBe('50vh');
    expect(checkSize('37.5em', 'width', 1)).toBe('37.5em');
    expect(checkSize(undefined, 'width', 640)).toBe(640);
    expect(checkSize('0px', 'width', 1)).toBe('0px');
    for (const length of ['10px', '2.5em', '12pt', '50%', '100vh', '100vw', '100dvh', '100lvw', '100svh', '.5em'])
      expect(checkSize(length, 'width', 1)).toBe(length);
    // Not given: '' and null as well as undefined.
    expect(checkSize('', 'width', 640)).toBe(640);
    expect(checkSize(null, 'width', 640)).toBe(640);
    // What Jitsi would silently ignore is refused.
    for (const bad of ['2rem', 'auto', '100', 'px', '10 px', '1e3', {}, NaN, -1, Infinity].filter((v) => v !== '100')) {
      expect(() => checkSize(bad, 'width', 1)).toThrow(/width must be/);
    }
  });

  it('start/join outside a browser fail as invalid_argument (no DOM Element exists)', async () => {
    const { v4h } = signedIn();
    expect(await codeOf(() => v4h.startConference('s1', 'div#call' as unknown as Element, 640, 480, 'Ana', undefined))).toBe('invalid_argument');
  });
});

describe('construction', () => {
  it('requires baseUrl in Node', () => {
    expect(() => new V4H()).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => new V4H({ baseUrl: 'not a url' })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('answers not_signed_in before login without a request', async () => {
    const fetch = vi.fn();
    const v4h = new V4H({ baseUrl: 'http://v4h.test', fetch });
    expect(await codeOf(() => v4h.requestConference())).toBe('not_signed_in');
    expect(fetch).not.toHaveBeenCalled();
    expect(v4h.jApi).toBeNull();
  });
});

describe('isV4HError', () => {
  it('recognises V4H errors, also from another copy of the SDK, and nothing else', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('v4h.error')]: true, code: 'not_found' });
    expect(isV4HError(new V4HError('network_error', 'down'))).toBe(true);
    expect(isV4HError(foreign)).toBe(true);
    expect(isV4HError(new Error('plain'))).toBe(false);
    expect(isV4HError({ code: 'not_found' })).toBe(false);
    expect(isV4HError(null)).toBe(false);
  });

  it('carries code, status, message and cause', () => {
    const cause = new TypeError('fetch failed');
    const error = new V4HError('network_error', 'GET /x failed', 0, cause);
    expect(error).toMatchObject({ name: 'V4HError', code: 'network_error', status: 0, message: 'GET /x failed', cause });
  });
});

describe('join policies and file sharing on the wire', () => {
  it('sends the policy with requestConference and the file id with shareFile', async () => {
    const fetch = vi.fn(
      async (_url: string, _init?: RequestInit) => new Response('{"sessionId":"s9"}', { status: 201, headers: { 'content-type': 'application/json' } }),
    );
    const v4h = new V4H({
      baseUrl: 'http://v4h.test',
      fetch,
      tokenStore: { get: () => ({ accessToken: 'a', refreshToken: null, expiresAt: Date.now() + 60_000 }), set() {} },
    });
    expect(await v4h.requestConference('s9', { joinPolicy: 'SESSIONPWD', password: 'heron' })).toBe('s9');
    expect(JSON.parse(fetch.mock.calls[0][1]!.body as string)).toEqual({ sessionId: 's9', joinPolicy: 'SESSIONPWD', password: 'heron' });
    expect(await v4h.requestConference('', { joinPolicy: 'ORGUNIT', listPolicy: 'ORG', units: ['cardiology'] })).toBe('s9');
    expect(JSON.parse(fetch.mock.calls[1][1]!.body as string)).toEqual({ joinPolicy: 'ORGUNIT', listPolicy: 'ORG', units: ['cardiology'] });
    await v4h.shareFile('s9', 'f1');
    expect(fetch.mock.calls[2][0]).toBe('http://v4h.test/api/conferences/s9/files/f1/share');
  });
});
