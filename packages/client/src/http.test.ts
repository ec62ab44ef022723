// HTTP behaviour against a real local server: error mapping, 401 → one refresh + one retry, single flight.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { V4H } from './V4H.js';
import { isV4HError, type V4HError } from './errors.js';
import { memoryTokenStore } from './tokens.js';
import { startStubServer, type StubServer } from '../test-support/stub-server.js';

let stub: StubServer;
beforeEach(async () => {
  stub = await startStubServer();
});
afterEach(() => stub.close());

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: V4HError) => error,
  );

describe('V4H over HTTP', () => {
  it('logs in and uses the access token', async () => {
    const v4h = new V4H({ baseUrl: stub.baseUrl });
    const tokens = await v4h.login('alice', 'secret');
    expect(Object.keys(tokens).sort()).toEqual(['accessToken', 'refreshToken']);
    const sessionId = await v4h.requestConference('room-1');
    expect(sessionId).toBe('room-1');
    expect((await v4h.getConference('room-1')).owner).toBe('alice');
  });

  it('maps a wrong password to invalid_credentials without trying to refresh', async () => {
    const v4h = new V4H({ baseUrl: stub.baseUrl });
    const error = await caught(v4h.login('alice', 'wrong'));
    expect(isV4HError(error)).toBe(true);
    expect([error.code, error.status]).toEqual(['invalid_credentials', 401]);
    expect(error.message).toContain('POST /api/auth/login');
    expect(stub.count('POST /api/auth/refresh')).toBe(0);
  });

  it('maps an unknown conference to not_found', async () => {
    const v4h = new V4H({ baseUrl: stub.baseUrl });
    await v4h.login('alice', 'secret');
    expect((await caught(v4h.getConference('nope'))).code).toBe('not_found');
  });

  it('refreshes once after a 401 and retries the request once', async () => {
    const v4h = new V4H({ baseUrl: stub.baseUrl, autoRefresh: false });
    await v4h.login('alice', 'secret');
    stub.expireAccessTokens();
    expect(await v4h.requestConference('r2')).toBe('r2');
    expect(stub.count('POST /api/auth/refresh')).toBe(1);
    expect(stub.count('POST /api/conferences')).toBe(2);
  });

  it('does not loop when the retried request is refused again', async () => {
    const v4h = new V4H({ baseUrl: stub.baseUrl, autoRefresh: false });
    await v4h.login('alice', 'secret');
    stub.alwaysUnauthorized = true;
    const error = await caught(v4h.requestConference());
    expect([error.code, error.status]).toEqual(['unauthorized', 401]);
    expect(stub.count('POST /api/conferences')).toBe(2);
    expect(stub.count('POST /api/auth/refresh')).toBe(1);
  });

  it('shares one refresh between concurrent 401s (single flight)', async () => {
    const v4h = new V4H({ baseUrl: stub.baseUrl, autoRefresh: false });
    await v4h.login('alice', 'secret');
    stub.expireAccessTokens();
    stub.refreshDelay = 50;
    const ids = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => v4h.requestConference(id)));
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(stub.count('POST /api/auth/refresh')).toBe(1);
  });

  it('refreshToken() renews with the stored token, rotates it, and concurrent calls share the request', async () => {
    const v4h = new V4H({ baseUrl: stub.baseUrl, autoRefresh: false });
    const { accessToken } = await v4h.login('alice', 'secret');
    stub.refreshDelay = 30;
    const [first, second] = await Promise.all([v4h.refreshToken(), v4h.refreshToken()]);
    expect(first).toBe(second);
    expect(first).not.toBe(accessToken);
    expect(stub.count('POST /api/auth/refresh')).toBe(1);
    // The rotated refresh token replaced the old one: a second renewal succeeds.
    expect(await v4h.refreshToken()).not.toBe(first);
  });

  it('refreshToken(rt) with a spent token gives session_expired', async () => {
    const v4h = new V4H({ baseUrl: stub.baseUrl, autoRefresh: false });
    const { refreshToken } = await v4h.login('alice', 'secret');
    await v4h.refreshToken(); // rotates: the original refresh token is now spent
    const other = new V4H({ baseUrl: stub.baseUrl });
    const error = await caught(other.refreshToken(refreshToken));
    expect([error.code, error.status]).toEqual(['session_expired', 401]);
  });

  it('emits authExpired once and forgets the tokens when renewal fails during a request', async () => {
    const store = memoryTokenStore();
    const v4h = new V4H({ baseUrl: stub.baseUrl, autoRefresh: false, tokenStore: store });
    await v4h.login('alice', 'secret');
    const expired: string[] = [];
    v4h.on('authExpired', ({ error }) => expired.push(error.code));
    // Another tab spends the refresh token, then the access token expires.
    const spent = await fetch(`${stub.baseUrl}/api/auth/refresh`, { method: 'POST', body: JSON.stringify({ refreshToken: store.get()!.refreshToken }) });
    expect(spent.status).toBe(200);
    stub.expireAccessTokens();
    expect((await caught(v4h.requestConference())).code).toBe('session_expired');
    expect(expired).toEqual(['session_expired']);
    expect(store.get()).toBeNull();
    expect((await caught(v4h.requestConference())).code).toBe('not_signed_in');
  });

  it('loginWithToken validates the token with the server and adopts it', async () => {
    const owner = new V4H({ baseUrl: stub.baseUrl });
    const { accessToken } = await owner.login('alice', 'secret');
    const v4h = new V4H({ baseUrl: stub.baseUrl });
    expect(await v4h.loginWithToken(accessToken)).toBe('ok');
    expect(await v4h.requestConference('via-token')).toBe('via-token');
    expect((await caught(new V4H({ baseUrl: stub.baseUrl }).loginWithToken('forged'))).code).toBe('unauthorized');
  });

  it('loginWithToken also takes a refresh token: it is renewed and the new pair adopted', async () => {
    const { refreshToken } = await new V4H({ baseUrl: stub.baseUrl }).login('alice', 'secret');
    const v4h = new V4H({ baseUrl: stub.baseUrl });
    expect(await v4h.loginWithToken(refreshToken)).toBe('ok');
    expect(await v4h.requestConference('via-refresh')).toBe('via-refresh');
    // '' and null are "not given", as the seed's example passes an empty input field: a new conference.
    expect(await v4h.requestConference('')).toMatch(/^c-/);
    expect(await v4h.requestConference(null as unknown as string)).toMatch(/^c-/);
    // A used refresh token is not taken twice.
    expect((await caught(new V4H({ baseUrl: stub.baseUrl }).loginWithToken(refreshToken))).code).toBe('unauthorized');
  });

  it('reports an unreachable server as network_error', async () => {
    const url = stub.baseUrl;
    await stub.close();
    stub = await startStubServer();
    const error = await caught(new V4H({ baseUrl: url }).login('alice', 'secret'));
    expect([error.code, error.status]).toEqual(['network_error', 0]);
    expect(error.message).not.toContain('CORS');
  });
});
