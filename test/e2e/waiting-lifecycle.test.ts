// The waiting room's comings and goings in Chromium, on both engines (issue 20): a guest who closes the tab while
// waiting leaves the owner's list (waitingChanged) within the grace period and takes the same place when back with the
// same link; ending the conference turns a waiting guest away (joinAsGuest rejects conference_ended, the guest page
// shows the ended screen).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic, type Clinic } from './support/clinic.js';
import { builtinRoomEngine, standInJitsiEngine, type E2EEngine } from './support/engines.js';
import { call, openClinic, startServer, waitForEvent, type E2EWorld } from './support/suite.js';

type W = Window & Record<string, any>;
const GRACE_SECONDS = 2;
let browser: Browser;
beforeAll(async () => {
  ensureClientBuilt();
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

/** A guest's joinAsGuest in a fresh clinic page without an account; `window.joined` settles as 'ok' or 'error:<code>'. */
async function guestJoins(world: E2EWorld, token: string): Promise<Page> {
  const { page } = await openClinic(world, { login: false });
  await page.evaluate((t) => {
    const w = window as unknown as W;
    w.joined = w.v4h.joinAsGuest(t, document.querySelector('#call'), 320, 240).then(
      (v: string) => v,
      (e: { code: string }) => `error:${e.code}`,
    );
  }, token);
  return page;
}

/** The owner's latest waitingChanged list. */
const waitingNow = (owner: Page) =>
  owner.evaluate(
    () => (window as unknown as W).log.filter((e: [string]) => e[0] === 'waitingChanged').at(-1)?.[1].waiting as { participantId: string; state: string }[],
  );

for (const [label, startEngine] of [
  ['built-in room', builtinRoomEngine],
  ['stand-in Jitsi', standInJitsiEngine],
] as const) {
  describe(`waiting room comings and goings — ${label}`, () => {
    const world = { contexts: [] as BrowserContext[] } as E2EWorld;
    let engine: E2EEngine;
    let clinic: Clinic;
    let server: TestApp;
    let owner: Page;
    let sessionId: string;

    beforeAll(async () => {
      engine = await startEngine();
      clinic = await startClinic();
      server = await startServer(engine, clinic, { V4H_WAITING_ROOM: 'on', V4H_WAITING_ROOM_GRACE: String(GRACE_SECONDS) });
      Object.assign(world, { browser, engine, clinic, server });
      owner = (await openClinic(world)).page;
      await owner.evaluate(() => {
        const w = window as unknown as W;
        for (const event of ['knocking', 'waitingChanged']) w.v4h.on(event, (payload: unknown) => w.log.push([event, payload]));
      });
      sessionId = (await call(owner, 'requestConference', undefined, { waitingRoom: true })).value as string;
    });
    afterAll(async () => {
      await Promise.all(world.contexts.splice(0).map((c) => c.close()));
      await server?.close();
      await clinic?.close();
      await engine?.close();
    });

    it('a guest who closes the tab leaves the list within the grace period; the same link takes the same place', async () => {
      const link = (await call(owner, 'getGuestUrl', sessionId, 'Maria')).value as { jwt: string };
      const first = await guestJoins(world, link.jwt);
      await waitForEvent(owner, 'knocking');
      const [, knocking] = (await owner.evaluate(() => (window as unknown as W).log.find((e: [string]) => e[0] === 'knocking'))) as [
        string,
        { participantId: string },
      ];
      await expect.poll(() => waitingNow(owner)).toEqual([expect.objectContaining({ participantId: knocking.participantId, state: 'waiting' })]);

      const closedAt = Date.now();
      await first.context().close();
      await expect.poll(() => waitingNow(owner), { timeout: (GRACE_SECONDS + 3) * 1000, interval: 100 }).toEqual([]);
      const gone = Date.now() - closedAt;
      // Kept for the grace period (a reload comes back), gone soon after it.
      expect(gone).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000);
      expect(gone).toBeLessThan((GRACE_SECONDS + 2.5) * 1000);

      const again = await guestJoins(world, link.jwt);
      await waitForEvent(owner, 'knocking', 2);
      const knocks = (await owner.evaluate(() => (window as unknown as W).log.filter((e: [string]) => e[0] === 'knocking'))) as [
        string,
        { participantId: string },
      ][];
      expect(knocks[1][1].participantId).toBe(knocking.participantId);
      await again.context().close();
    });

    it('ending the conference turns a waiting guest away: joinAsGuest rejects, the guest page shows the end', async () => {
      const viaSdk = (await call(owner, 'getGuestUrl', sessionId, 'Pat')).value as { jwt: string };
      const viaPage = (await call(owner, 'getGuestUrl', sessionId, 'Lia')).value as { url: string };
      const guest = await guestJoins(world, viaSdk.jwt);
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
      world.contexts.push(context);
      const page = await context.newPage();
      await page.goto(viaPage.url);
      await page.waitForSelector('body[data-screen="welcome"]');
      await page.click('#welcome-submit');
      await page.waitForSelector('body[data-screen="waiting"]');
      await expect.poll(async () => (await waitingNow(owner))?.filter((e) => e.state === 'waiting').length, { timeout: 10_000 }).toBe(2);

      expect((await call(owner, 'endConference', sessionId)).value).toMatchObject({ state: 'ended' });
      expect(await guest.evaluate(() => (window as unknown as W).joined)).toBe('error:conference_ended');
      expect(await guest.locator('#call iframe').count()).toBe(0);
      await page.waitForSelector('body[data-screen="end"][data-end="ended"]', { timeout: 10_000 });
      expect(await page.textContent('#end-title')).toBe('This visit has ended');
    });
  });
}
