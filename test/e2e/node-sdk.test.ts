// The SDK's ESM build in Node against a real V4H server: the seed's methods that need no DOM, and their errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../packages/server/src/test-support/test-app.js';
import { ensureClientBuilt } from './support/build-client.js';

type Sdk = typeof import('../../packages/client/src/index.js');
let sdk: Sdk;
let server: TestApp;

beforeAll(async () => {
  ensureClientBuilt();
  sdk = (await import(new URL('../../packages/client/dist/index.js', import.meta.url).href)) as Sdk;
  server = await createTestApp({
    env: { V4H_JITSI_URL: 'https://meet.example.org', V4H_JITSI_APP_ID: 'v4h-node', V4H_JITSI_APP_SECRET: 'node-sdk-app-secret-0123456789abcdef' },
  });
});
afterAll(() => server?.close());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as { code: string; status: number },
  );

describe('SDK in Node against the real server', () => {
  it('runs the seed flow without a DOM', async () => {
    const { username, password } = await server.createUser();
    const v4h = new sdk.V4H({ baseUrl: server.baseUrl });
    const tokens = await v4h.login(username, password);
    expect(Object.keys(tokens).sort()).toEqual(['accessToken', 'refreshToken']);

    const sessionId = await v4h.requestConference();
    expect(await v4h.requestConference(sessionId)).toBe(sessionId);
    const details = await v4h.getConference(sessionId);
    expect(details).toMatchObject({ sessionId, owner: username, state: 'requested', ended: null, hash: null, DLTId: null });

    const guest = await v4h.getGuestUrl(sessionId, 'Guest Gil', 'https://example.org/gil.png');
    expect(guest.url.startsWith('https://meet.example.org/')).toBe(true);
    expect(guest.url).toContain(`jwt=${guest.jwt}`);

    const renewed = await v4h.refreshToken();
    expect(renewed).not.toBe(tokens.accessToken);
    expect((await v4h.endConference(sessionId)).state).toBe('ended');
    expect(await failure(v4h.getGuestUrl(sessionId, 'Late', undefined))).toMatchObject({ code: 'conference_ended', status: 409 });

    // The original refresh token was rotated away: using it again is reuse, the server refuses it and revokes the
    // whole family, so the SDK's own session ends too (authExpired, then not_signed_in).
    const expired: string[] = [];
    v4h.on('authExpired', ({ error }) => expired.push(error.code));
    expect(await failure(new sdk.V4H({ baseUrl: server.baseUrl }).refreshToken(tokens.refreshToken))).toMatchObject({ code: 'session_expired', status: 401 });
    expect(await failure(v4h.requestConference())).toMatchObject({ code: 'session_expired' });
    expect(expired).toEqual(['session_expired']);
    expect(await failure(v4h.requestConference())).toMatchObject({ code: 'not_signed_in' });
  });

  it('listConferences pages through what the list policies show, newest first, typed as the wire says', async () => {
    const [me, colleague] = [await server.userSession(), await server.userSession()];
    const v4h = new sdk.V4H({ baseUrl: server.baseUrl });
    await v4h.loginWithToken(me.accessToken);
    const theirs = new sdk.V4H({ baseUrl: server.baseUrl });
    await theirs.loginWithToken(colleague.accessToken);
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      mine.push(await v4h.requestConference());
      await new Promise((r) => setTimeout(r, 5)); // newest first is by creation time: no two in the same millisecond
    }
    const shown = await theirs.requestConference(undefined, { listPolicy: 'PUBLIC' });
    await new Promise((r) => setTimeout(r, 5));
    const hidden = await theirs.requestConference();
    const first: import('../../packages/client/src/index.js').ConferenceList = await v4h.listConferences({ limit: 3 });
    expect(first.items.map((c) => c.sessionId)).toEqual([shown, mine[2], mine[1]]);
    expect(first.items[1]).toMatchObject({ owner: me.username, state: 'requested', ended: null });
    expect(first.nextCursor).toEqual(expect.any(String));
    const rest = await v4h.listConferences({ limit: 3, cursor: first.nextCursor });
    expect(rest.items.map((c) => c.sessionId)).toEqual([mine[0]]);
    expect(rest.nextCursor).toBeNull();
    expect((await v4h.listConferences()).items.map((c) => c.sessionId)).not.toContain(hidden);
    // The server's refusals, typed: a cursor it did not make; a limit the SDK already refuses.
    expect(await failure(v4h.listConferences({ cursor: 'not-a-cursor' }))).toMatchObject({ status: 400 });
    expect(await failure(v4h.listConferences({ limit: 500 }))).toMatchObject({ code: 'invalid_argument' });
  });

  it('loginWithToken adopts a valid token; a forged one is unauthorized', async () => {
    const { accessToken } = await server.userSession();
    const v4h = new sdk.V4H({ baseUrl: server.baseUrl });
    expect(await v4h.loginWithToken(accessToken)).toBe('ok');
    expect(typeof (await v4h.requestConference())).toBe('string');
    expect(await failure(new sdk.V4H({ baseUrl: server.baseUrl }).loginWithToken('eyJ.forged.token'))).toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('maps server errors to V4HError codes', async () => {
    const { username } = await server.createUser();
    const v4h = new sdk.V4H({ baseUrl: server.baseUrl });
    const wrong = await failure(v4h.login(username, 'wrong-password'));
    expect(sdk.isV4HError(wrong)).toBe(true);
    expect(wrong).toMatchObject({ code: 'invalid_credentials', status: 401 });

    const owner = await server.userSession();
    const other = await server.userSession();
    const ownerSdk = new sdk.V4H({ baseUrl: server.baseUrl });
    await ownerSdk.loginWithToken(owner.accessToken);
    const otherSdk = new sdk.V4H({ baseUrl: server.baseUrl });
    await otherSdk.loginWithToken(other.accessToken);
    const sessionId = await ownerSdk.requestConference();
    expect(await failure(otherSdk.requestConference(sessionId))).toMatchObject({ code: 'conflict', status: 409 });
    expect(await failure(otherSdk.getConference(sessionId))).toMatchObject({ status: 403 });
    expect(await failure(ownerSdk.getConference('no-such-session'))).toMatchObject({ code: 'not_found', status: 404 });
    expect(await failure(ownerSdk.requestConference('bad id!'))).toMatchObject({ code: 'validation_failed', status: 400 });
  });

  it('logout revokes the session on the server', async () => {
    const { username, password } = await server.createUser();
    const v4h = new sdk.V4H({ baseUrl: server.baseUrl });
    const { refreshToken } = await v4h.login(username, password);
    expect(await v4h.logout()).toBe('ok');
    expect(await failure(v4h.requestConference())).toMatchObject({ code: 'not_signed_in' });
    expect(await failure(new sdk.V4H({ baseUrl: server.baseUrl }).refreshToken(refreshToken))).toMatchObject({ code: 'session_expired' });
  });
});
