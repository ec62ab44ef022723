// The waiting room with the SDK in Chromium, on both engines (issue 20): a guest's joinAsGuest knocks, the owner's page
// (in its call) gets `knocking` with the guest's name within a second, admits, and the guest enters the call: in the
// built-in room both see each other's video; with the stand-in Jitsi the guest's token (issued only now) is valid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import type { TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic, type Clinic } from './support/clinic.js';
import { builtinRoomEngine, standInJitsiEngine, type E2EEngine } from './support/engines.js';
import { call, openClinic, startServer, waitForEvent, type E2EWorld } from './support/suite.js';

type W = Window & Record<string, any>;

for (const [label, startEngine] of [
  ['built-in room', builtinRoomEngine],
  ['stand-in Jitsi', standInJitsiEngine],
] as const) {
  describe(`waiting room with joinAsGuest — ${label}`, () => {
    const world = { contexts: [] as BrowserContext[] } as E2EWorld;
    let browser: Browser;
    let engine: E2EEngine;
    let clinic: Clinic;
    let server: TestApp;

    beforeAll(async () => {
      ensureClientBuilt();
      engine = await startEngine();
      clinic = await startClinic();
      server = await startServer(engine, clinic, { V4H_WAITING_ROOM: 'on', V4H_JITSI_LOBBY: 'on' });
      browser = await launchChromium();
      Object.assign(world, { browser, engine, clinic, server });
    });
    afterAll(async () => {
      await Promise.all(world.contexts.splice(0).map((c) => c.close()));
      await browser?.close();
      await server?.close();
      await clinic?.close();
      await engine?.close();
    });

    it('the guest knocks, the owner gets knocking within 1 s and admits, and the guest enters the call', async () => {
      const owner = await openClinic(world);
      await owner.page.evaluate(() => {
        const w = window as unknown as W;
        for (const event of ['knocking', 'waitingChanged']) w.v4h.on(event, (payload: unknown) => w.log.push([event, payload, Date.now()]));
      });
      const sessionId = (await call(owner.page, 'requestConference')).value as string;
      expect((await call(owner.page, 'startConference', sessionId, '#call', 480, 360, 'Dr. Ana')).value).toBe('ok');
      await waitForEvent(owner.page, 'joined');
      const link = (await call(owner.page, 'getGuestUrl', sessionId, null)).value as { jwt: string; url: string };
      expect(link.url).toContain('/visit/#');

      // The guest: the clinic's page without an account, running the visit with the SDK (no V4H guest page).
      const guest = await openClinic(world, { login: false });
      const knockedAt = await guest.page.evaluate((token) => {
        const w = window as unknown as W;
        w.states = [];
        w.joined = w.v4h
          .joinAsGuest(token, document.querySelector('#call'), 480, 360, { name: 'Maria Silva', onState: (s: { state: string }) => w.states.push(s.state) })
          .then(
            (v: string) => v,
            (e: { code: string }) => `error:${e.code}`,
          );
        return Date.now();
      }, link.jwt);
      await waitForEvent(owner.page, 'knocking');
      const [, knocking, receivedAt] = (await owner.page.evaluate(() => (window as unknown as W).log.find((e: [string]) => e[0] === 'knocking'))) as [
        string,
        { sessionId: string; participantId: string; name: string },
        number,
      ];
      expect(knocking).toMatchObject({ sessionId, name: 'Maria Silva', participantId: expect.stringMatching(/^w-/) });
      expect(receivedAt - knockedAt).toBeLessThan(1000 + 500); // the knock's own request included; clocks of one machine
      await guest.page.waitForFunction(() => (window as unknown as W).states.includes('waiting'));
      // Not admitted yet: nothing was embedded.
      expect(await guest.page.locator('#call iframe').count()).toBe(0);

      expect((await call(owner.page, 'admit', sessionId, knocking.participantId)).value).toMatchObject({ state: 'admitted' });
      expect(await guest.page.evaluate(() => (window as unknown as W).joined)).toBe('ok');
      expect(await guest.page.evaluate(() => (window as unknown as W).states)).toEqual(['new', 'waiting', 'admitted']);

      if (engine.reportsPresence) {
        // The built-in room: each sees the other's video.
        for (const page of [owner.page, guest.page]) {
          // The room's page is on the V4H origin: evaluated in its own frame.
          const frame = await (await page.locator('#call > iframe').elementHandle()).contentFrame();
          await frame!.waitForFunction(
            () => {
              const videos = [...document.querySelectorAll('video')];
              return videos.length >= 2 && videos.every((v) => v.readyState >= 2 && v.videoWidth > 0);
            },
            null,
            { timeout: 60_000 },
          );
        }
      } else {
        // V4H_JITSI_LOBBY=on: the owner's SDK turned on Jitsi's own lobby once in the call (the guest's did not).
        await expect.poll(() => owner.page.frameLocator('#call > iframe').locator('main').getAttribute('data-lobby'), { timeout: 10_000 }).toBe('true');
        expect(await guest.page.frameLocator('#call > iframe').locator('main').getAttribute('data-lobby')).toBeNull();
        // Jitsi: the guest's token, issued on admission, is valid for the room, names the guest and is no moderator's.
        const main = guest.page.frameLocator('#call > iframe').locator('main');
        await expect.poll(() => main.getAttribute('data-token'), { timeout: 30_000 }).toBe('valid');
        expect(await main.getAttribute('data-token-moderator')).toBe('false');
        expect(await main.getAttribute('data-token-name')).toBe('Maria Silva (guest)');
      }
      await call(owner.page, 'endConference');
    });

    it('a denied guest is turned away with the reason', async () => {
      const owner = await openClinic(world);
      const sessionId = (await call(owner.page, 'requestConference', undefined, { waitingRoom: true })).value as string;
      await owner.page.evaluate(() => {
        const w = window as unknown as W;
        w.v4h.on('knocking', (p: unknown) => w.log.push(['knocking', p]));
      });
      const link = (await call(owner.page, 'getGuestUrl', sessionId, 'Pat')).value as { jwt: string };
      const guest = await openClinic(world, { login: false });
      await guest.page.evaluate((token) => {
        const w = window as unknown as W;
        w.joined = w.v4h.joinAsGuest(token, document.querySelector('#call')).then(
          (v: string) => v,
          (e: { code: string; message: string }) => `${e.code}:${e.message}`,
        );
      }, link.jwt);
      await waitForEvent(owner.page, 'knocking');
      const [, knocking] = (await owner.page.evaluate(() => (window as unknown as W).log.find((e: [string]) => e[0] === 'knocking'))) as [
        string,
        { participantId: string; name: string },
      ];
      expect(knocking.name).toBe('Pat');
      await call(owner.page, 'deny', sessionId, knocking.participantId, 'Please book another time');
      expect(await guest.page.evaluate(() => (window as unknown as W).joined)).toBe('forbidden:Please book another time');
      expect(await guest.page.locator('#call iframe').count()).toBe(0);
    });
  });
}
