// The SDK's end-to-end suite in Chromium, as a function of the video engine, so that it runs against the
// stand-in Jitsi origin and the built-in room alike. A clinic page on a third origin embeds /v4h.js.
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './browser.js';
import { ensureClientBuilt } from './build-client.js';
import { startClinic, type Clinic } from './clinic.js';
import type { E2EEngine } from './engines.js';

type W = Window & Record<string, any>;
const EVENTS = ['joined', 'left', 'ended', 'participantJoined', 'participantLeft', 'authExpired'];

export interface E2EWorld {
  browser: Browser;
  engine: E2EEngine;
  clinic: Clinic;
  server: TestApp;
  contexts: BrowserContext[];
}

/** Starts a V4H server for `engine` with extra env, the clinic page pointing at it. */
export async function startServer(engine: E2EEngine, clinic: Clinic, env: Record<string, string> = {}): Promise<TestApp> {
  const server = await createTestApp({ env: { ...engine.env, V4H_CORS_ORIGINS: clinic.origin, ...env } });
  clinic.v4hUrl = server.baseUrl;
  return server;
}

/** A fresh browser context on the clinic page, signed in as a new user; `window.v4h` and `window.log` are set. */
export async function openClinic(
  world: E2EWorld,
  options: { login?: boolean; v4hOptions?: object } = {},
): Promise<{ page: Page; username: string; accessToken: string }> {
  const context = await world.browser.newContext({ viewport: { width: 1000, height: 800 } });
  world.contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${world.clinic.origin}/`);
  const { username, password } = await world.server.createUser();
  const accessToken = await page.evaluate(
    async ({ events, v4hOptions, creds }) => {
      const w = window as unknown as W;
      w.log = [];
      w.v4h = new w.V4H(v4hOptions);
      w.v4h.registerEndedListener((id: string) => w.log.push(['endedListener', id]));
      for (const event of events) w.v4h.on(event, (payload: unknown) => w.log.push([event, payload]));
      return creds ? ((await w.v4h.login(creds.username, creds.password)).accessToken as string) : '';
    },
    { events: EVENTS, v4hOptions: options.v4hOptions ?? {}, creds: options.login === false ? null : { username, password } },
  );
  return { page, username, accessToken };
}

/** Runs `v4h.<method>(...args)` in the page ("#id" arguments become that element); resolves `{ value }` or `{ error }`. */
export function call(page: Page, method: string, ...args: unknown[]) {
  return page.evaluate(
    async ({ method, args }) => {
      const w = window as unknown as W;
      const resolved = args.map((a) => (typeof a === 'string' && a.startsWith('#') ? document.querySelector(a) : a));
      try {
        return { value: await w.v4h[method](...resolved) };
      } catch (e) {
        const error = e as { code: string; status: number; message: string };
        return { error: { code: error.code, status: error.status, message: error.message, isV4HError: w.V4H.isV4HError(e) } };
      }
    },
    { method, args },
  );
}

export const events = (page: Page, name: string) => page.evaluate((n) => (window as unknown as W).log.filter((e: [string]) => e[0] === n), name);
export const waitForEvent = (page: Page, name: string, count = 1) =>
  page.waitForFunction(({ n, c }) => (window as unknown as W).log.filter((e: [string]) => e[0] === n).length >= c, { n: name, c: count }, { timeout: 20_000 });

/** Defines the client suite against one engine. */
export function defineClientE2E(label: string, startEngine: () => Promise<E2EEngine>): void {
  describe(`client SDK in Chromium — ${label}`, () => {
    const world = { contexts: [] } as unknown as E2EWorld;

    beforeAll(async () => {
      ensureClientBuilt();
      world.engine = await startEngine();
      world.clinic = await startClinic();
      world.server = await startServer(world.engine, world.clinic);
      world.browser = await launchChromium();
    });
    afterEach(async () => {
      await Promise.all(world.contexts.splice(0).map((context) => context.close()));
    });
    afterAll(async () => {
      await world.browser?.close();
      await world.server?.close();
      await world.clinic?.close();
      await world.engine?.close();
    });

    /** The name the engine shows for `name` typed by `username`'s account, or given to a guest link (null). */
    const shown = (name: string, username: string | null) => (world.engine.marksAccounts ? `${name} (${username ?? 'guest'})` : name);
    const conferenceState = async (page: Page, id: string) => ((await call(page, 'getConference', id)).value as { state: string }).state;

    it('owner flow: login → request → start → iframe in the node at the size → joined → hang-up → ended once → server ended', async () => {
      const { page, username } = await openClinic(world);
      const sessionId = (await call(page, 'requestConference')).value as string;
      expect(sessionId).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(await conferenceState(page, sessionId)).toBe('requested');

      expect(await call(page, 'startConference', sessionId, '#call', 480, 360, 'Dr. Ana', 'https://example.org/ana.png')).toEqual({ value: 'ok' });
      const iframe = page.locator('#call > iframe');
      await expect.poll(() => iframe.count()).toBe(1);
      expect(await page.locator('#other iframe').count()).toBe(0);
      const box = (await iframe.boundingBox())!;
      expect([Math.round(box.width), Math.round(box.height)]).toEqual([480, 360]);
      const src = new URL((await iframe.getAttribute('src'))!);
      expect(src.origin).not.toBe(world.clinic.origin);
      expect(await page.evaluate(() => typeof (window as unknown as W).v4h.jApi?.executeCommand)).toBe('function');

      await waitForEvent(page, 'joined');
      expect((await events(page, 'joined'))[0][1]).toMatchObject({ sessionId, displayName: shown('Dr. Ana', username) });
      await world.engine.expectShownName?.(page, shown('Dr. Ana', username));
      expect(await conferenceState(page, sessionId)).toBe('started');

      if (world.engine.hangUpButton) await page.frameLocator('#call > iframe').locator(world.engine.hangUpButton).click();
      else await page.evaluate(() => (window as unknown as W).v4h.jApi.executeCommand('hangup'));
      await waitForEvent(page, 'endedListener');
      await page.waitForTimeout(500); // a second ended call would come from the second of videoConferenceLeft/readyToClose
      expect(await events(page, 'endedListener')).toEqual([['endedListener', sessionId]]);
      expect(await events(page, 'ended')).toHaveLength(1);
      expect(await iframe.count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as W).v4h.jApi)).toBeNull();
      await expect.poll(() => conferenceState(page, sessionId), { timeout: 10_000 }).toBe('ended');
      const details = (await call(page, 'getConference', sessionId)).value as Record<string, unknown>;
      expect(Object.keys(details).sort()).toEqual(['DLTId', 'DLTType', 'created', 'ended', 'hash', 'hashType', 'owner', 'sessionId', 'state', 'urlStorage']);
      expect(details.ended).toEqual(expect.any(String));
    });

    it('a second user joins: both see each other; the owner ends the call for everyone', async () => {
      const owner = await openClinic(world);
      const sessionId = (await call(owner.page, 'requestConference')).value as string;
      await call(owner.page, 'startConference', sessionId, '#call', '100%', 400, 'Dr. Ana');
      await waitForEvent(owner.page, 'joined');

      const second = await openClinic(world);
      expect(await call(second.page, 'joinConference', sessionId, '#call', 640, 480, 'Bea', undefined)).toEqual({ value: 'ok' });
      await waitForEvent(second.page, 'joined');
      await waitForEvent(owner.page, 'participantJoined');
      expect((await events(owner.page, 'participantJoined'))[0][1]).toMatchObject({ sessionId, displayName: shown('Bea', second.username) });
      await waitForEvent(second.page, 'participantJoined');
      const ownerBox = (await owner.page.locator('#call > iframe').boundingBox())!;
      expect(Math.round(ownerBox.width)).toBe(Math.round((await owner.page.locator('#call').boundingBox())!.width));

      expect(await call(second.page, 'leaveConference')).toEqual({ value: 'ok' });
      await waitForEvent(second.page, 'endedListener');
      await waitForEvent(owner.page, 'participantLeft');
      expect(await conferenceState(owner.page, sessionId)).toBe('started');

      const ended = await call(owner.page, 'endConference');
      expect((ended.value as { state: string }).state).toBe('ended');
      await waitForEvent(owner.page, 'endedListener');
      // The call is hidden at once; the built-in room's dispose() removes the iframe once its page hung up (at most 3 s).
      expect(await owner.page.locator('#call iframe').isVisible()).toBe(false);
      await expect.poll(() => owner.page.locator('#call iframe').count(), { timeout: 5_000 }).toBe(0);
      const late = await call(second.page, 'joinConference', sessionId, '#call', 640, 480, 'Bea', undefined);
      expect(late.error).toMatchObject({ code: 'conference_ended', status: 409, isV4HError: true });
      await expect.poll(() => second.page.locator('#call iframe').count(), { timeout: 5_000 }).toBe(0);
    });

    it('a conference ended on the server (the owner from another device) reaches the second participant within 5 s', async () => {
      const owner = await openClinic(world);
      const sessionId = (await call(owner.page, 'requestConference')).value as string;
      await call(owner.page, 'startConference', sessionId, '#call', 480, 360, 'Dr. Ana');
      await waitForEvent(owner.page, 'joined');
      const second = await openClinic(world);
      expect(await call(second.page, 'joinConference', sessionId, '#call', 480, 360, 'Bea')).toEqual({ value: 'ok' });
      await waitForEvent(second.page, 'joined');

      // Ended by REST, as another device of the owner would: neither page's SDK did it.
      const res = await fetch(`${world.server.baseUrl}/api/conferences/${sessionId}/end`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.accessToken}` },
      });
      expect(res.status).toBe(200);
      const endedAt = Date.now();
      await Promise.all(
        [second.page, owner.page].map((page) =>
          page.waitForFunction(() => (window as unknown as W).log.some((e: [string]) => e[0] === 'endedListener'), undefined, { timeout: 5_000 }),
        ),
      );
      expect(Date.now() - endedAt).toBeLessThan(5_000);
      expect(await events(second.page, 'endedListener')).toEqual([['endedListener', sessionId]]);
      expect(await events(second.page, 'ended')).toHaveLength(1);
      await expect.poll(() => second.page.locator('#call iframe').count(), { timeout: 5_000 }).toBe(0);
    });

    it('starting a second call leaves the first', async () => {
      const { page } = await openClinic(world);
      const first = (await call(page, 'requestConference')).value as string;
      const second = (await call(page, 'requestConference')).value as string;
      await call(page, 'startConference', first, '#call', 320, 240, 'Dr. Ana');
      await waitForEvent(page, 'joined');
      expect(await call(page, 'startConference', second, '#other', 320, 240, 'Dr. Ana')).toEqual({ value: 'ok' });
      expect(await events(page, 'endedListener')).toEqual([['endedListener', first]]);
      // The built-in room's dispose() lets its page hang up before the iframe goes (at most 3 s).
      await expect.poll(() => page.locator('#call iframe').count(), { timeout: 5_000 }).toBe(0);
      expect(await page.locator('#other > iframe').count()).toBe(1);
      await waitForEvent(page, 'joined', 2);
      await expect.poll(() => conferenceState(page, first), { timeout: 10_000 }).toBe('ended');
      expect(await conferenceState(page, second)).toBe('started');
      await call(page, 'endConference');
      expect(await events(page, 'endedListener')).toEqual([
        ['endedListener', first],
        ['endedListener', second],
      ]);
    });

    it('a guest URL opens the room with its token', async () => {
      const owner = await openClinic(world);
      const sessionId = (await call(owner.page, 'requestConference')).value as string;
      await call(owner.page, 'startConference', sessionId, '#call', 480, 360, 'Dr. Ana');
      await waitForEvent(owner.page, 'joined');
      const guest = (await call(owner.page, 'getGuestUrl', sessionId, 'Guest Gil', undefined)).value as { jwt: string | null; url: string };
      expect(Object.keys(guest).sort()).toEqual(['guestId', 'jwt', 'url']);

      const context = await world.browser.newContext();
      world.contexts.push(context);
      const page = await context.newPage();
      const response = await page.goto(guest.url);
      expect(response?.status()).toBe(200);
      await world.engine.expectGuestJoined?.(page, shown('Guest Gil', null));
      await waitForEvent(owner.page, 'participantJoined');
      expect((await events(owner.page, 'participantJoined'))[0][1]).toMatchObject({ displayName: shown('Guest Gil', null) });
      await call(owner.page, 'endConference');
    });

    it('renews the access token automatically across its expiry (server with a 3 s token TTL)', async () => {
      const server = await startServer(world.engine, world.clinic, { V4H_ACCESS_TOKEN_TTL: '3' });
      try {
        const { page } = await openClinic({ ...world, server });
        const statuses: Array<[string, number]> = [];
        page.on('response', (r) => {
          if (r.url().startsWith(server.baseUrl) && r.request().method() !== 'OPTIONS') statuses.push([new URL(r.url()).pathname, r.status()]);
        });
        await page.waitForTimeout(7_000);
        expect((await call(page, 'requestConference')).value).toEqual(expect.any(String));
        const refreshes = statuses.filter(([p]) => p === '/api/auth/refresh');
        expect(refreshes.length).toBeGreaterThanOrEqual(2);
        expect(refreshes.every(([, s]) => s === 200)).toBe(true);
        // Renewed ahead of time: no request was refused for an expired token.
        expect(statuses.filter(([, s]) => s === 401)).toEqual([]);
        expect(await events(page, 'authExpired')).toEqual([]);
      } finally {
        await server.close();
        world.clinic.v4hUrl = world.server.baseUrl;
      }
    });

    it('a wrong password is invalid_credentials (401), a V4HError', async () => {
      const { page, username } = await openClinic(world, { login: false });
      const result = await call(page, 'login', username, 'not-the-password');
      expect(result.error).toMatchObject({ code: 'invalid_credentials', status: 401, isV4HError: true });
      expect((await call(page, 'requestConference')).error).toMatchObject({ code: 'not_signed_in' });
    });

    it('an unknown session is not_found, and no iframe appears', async () => {
      const { page } = await openClinic(world);
      expect((await call(page, 'getConference', 'no-such-session')).error).toMatchObject({ code: 'not_found', status: 404 });
      expect((await call(page, 'joinConference', 'no-such-session', '#call', 640, 480, 'Ana')).error).toMatchObject({ code: 'not_found', status: 404 });
      expect(await page.locator('#call iframe').count()).toBe(0);
      expect((await call(page, 'startConference', 'x', '#nowhere', 640, 480, 'Ana')).error).toMatchObject({ code: 'invalid_argument' });
    });

    it('an unreachable Jitsi script is jitsi_unavailable', async () => {
      const closedPort = await import('node:net').then(
        (net) =>
          new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, '127.0.0.1', () => {
              const p = (s.address() as { port: number }).port;
              s.close(() => resolve(p));
            });
          }),
      );
      const server = await startServer(world.engine, world.clinic, {
        ...world.engine.env,
        V4H_JITSI_URL: `https://127.0.0.1:${closedPort}`,
        V4H_JITSI_APP_ID: 'x',
        V4H_JITSI_APP_SECRET: 'y'.repeat(32),
      });
      try {
        const { page } = await openClinic({ ...world, server });
        const sessionId = (await call(page, 'requestConference')).value as string;
        const started = Date.now();
        const result = await call(page, 'startConference', sessionId, '#call', 640, 480, 'Ana');
        expect(result.error).toMatchObject({ code: 'jitsi_unavailable', isV4HError: true });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(await page.locator('#call iframe').count()).toBe(0);
      } finally {
        await server.close();
        world.clinic.v4hUrl = world.server.baseUrl;
      }
    });

    it('a Jitsi script that never loads times out as jitsi_unavailable, and the failure is not cached', async (ctx) => {
      if (!world.engine.stallScript) return ctx.skip();
      const { page } = await openClinic(world, { v4hOptions: { jitsiTimeout: 1_000 } });
      const sessionId = (await call(page, 'requestConference')).value as string;
      world.engine.stallScript(true);
      try {
        const result = await call(page, 'startConference', sessionId, '#call', 640, 480, 'Ana');
        expect(result.error).toMatchObject({ code: 'jitsi_unavailable' });
        expect(result.error!.message).toContain('1000 ms');
      } finally {
        world.engine.stallScript(false);
      }
      expect(await call(page, 'startConference', sessionId, '#call', 640, 480, 'Ana')).toEqual({ value: 'ok' });
      await waitForEvent(page, 'joined');
      await call(page, 'endConference');
    });

    it('the page going away during a call reports the leave (SDK beacon, or the engine itself)', async () => {
      const { page, accessToken } = await openClinic(world);
      const sessionId = (await call(page, 'requestConference')).value as string;
      await call(page, 'startConference', sessionId, '#call', 640, 480, 'Ana');
      await waitForEvent(page, 'joined');
      // Record beacons in sessionStorage (it outlives the page within the tab), then let the real one go out.
      await page.evaluate(() => {
        const send = navigator.sendBeacon.bind(navigator);
        navigator.sendBeacon = (url, data) => {
          const sent = send(url, data);
          sessionStorage.setItem('beacons', JSON.stringify([...JSON.parse(sessionStorage.getItem('beacons') ?? '[]'), { url, data, sent }]));
          return sent;
        };
      });
      await page.goto('about:blank');
      // The owner was the only participant: the leave ends the conference.
      const state = async () => {
        const res = await fetch(`${world.server.baseUrl}/api/conferences/${sessionId}`, { headers: { authorization: `Bearer ${accessToken}` } });
        return ((await res.json()) as { state: string }).state;
      };
      await expect.poll(state, { timeout: 10_000 }).toBe('ended');
      await page.goto(`${world.clinic.origin}/`);
      const beacons = await page.evaluate(() => JSON.parse(sessionStorage.getItem('beacons') ?? '[]'));
      if (world.engine.reportsPresence) {
        // The built-in room saw the socket go (after its grace period); a beacon would count the leave twice.
        expect(beacons).toHaveLength(0);
        return;
      }
      expect(beacons).toHaveLength(1);
      expect(beacons[0]).toMatchObject({ url: `${world.server.baseUrl}/api/conferences/${sessionId}/presence`, sent: true });
      expect(JSON.parse(beacons[0].data)).toMatchObject({ event: 'left', presenceToken: expect.any(String) });
    });
  });
}

export const writeArtifact = (name: string, data: Buffer) => {
  const dir = new URL('../artifacts/', import.meta.url);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(new URL(name, dir), data);
};
