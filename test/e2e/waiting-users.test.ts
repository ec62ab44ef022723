// Users who wait too (waitingRoomForUsers, issue 20), with the SDK in Chromium on both engines: a colleague's
// joinConference knocks and waits (onState, no iframe), the owner's page gets `knocking` with their username and
// admits, and joinConference then embeds the call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import type { TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic, type Clinic } from './support/clinic.js';
import { builtinRoomEngine, standInJitsiEngine, type E2EEngine } from './support/engines.js';
import { call, openClinic, startServer, waitForEvent, type E2EWorld } from './support/suite.js';

type W = Window & Record<string, any>;
let browser: Browser;
beforeAll(async () => {
  ensureClientBuilt();
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

for (const [label, startEngine] of [
  ['built-in room', builtinRoomEngine],
  ['stand-in Jitsi', standInJitsiEngine],
] as const) {
  describe(`users wait too (joinConference) — ${label}`, () => {
    const world = { contexts: [] as BrowserContext[] } as E2EWorld;
    let engine: E2EEngine;
    let clinic: Clinic;
    let server: TestApp;

    beforeAll(async () => {
      engine = await startEngine();
      clinic = await startClinic();
      server = await startServer(engine, clinic);
      Object.assign(world, { browser, engine, clinic, server });
    });
    afterAll(async () => {
      await Promise.all(world.contexts.splice(0).map((c) => c.close()));
      await server?.close();
      await clinic?.close();
      await engine?.close();
    });

    it('joinConference knocks, waits without an iframe, and enters the call once the owner admits', async () => {
      const owner = await openClinic(world);
      await owner.page.evaluate(() => {
        const w = window as unknown as W;
        w.v4h.on('knocking', (payload: unknown) => w.log.push(['knocking', payload]));
      });
      const sessionId = (await call(owner.page, 'requestConference', undefined, { waitingRoomForUsers: true })).value as string;
      expect((await call(owner.page, 'startConference', sessionId, '#call', 320, 240, 'Dr. Ana')).value).toBe('ok');

      const colleague = await openClinic(world);
      await colleague.page.evaluate((id) => {
        const w = window as unknown as W;
        w.states = [];
        w.joined = w.v4h
          .joinConference(id, document.querySelector('#call'), 320, 240, 'Dr. Bruno', null, {
            onState: (s: { state: string; hostName: string }) => w.states.push(`${s.state}:${s.hostName}`),
          })
          .then(
            (v: string) => v,
            (e: { code: string }) => `error:${e.code}`,
          );
      }, sessionId);
      await waitForEvent(owner.page, 'knocking');
      const [, knocking] = (await owner.page.evaluate(() => (window as unknown as W).log.find((e: [string]) => e[0] === 'knocking'))) as [
        string,
        { participantId: string; name: string },
      ];
      expect(knocking.name).toBe(colleague.username);
      await colleague.page.waitForFunction(() => (window as unknown as W).states.includes('waiting:Dr. Ana'));
      expect(await colleague.page.locator('#call iframe').count()).toBe(0);

      expect((await call(owner.page, 'admit', sessionId, knocking.participantId)).value).toMatchObject({ state: 'admitted', guestId: null });
      expect(await colleague.page.evaluate(() => (window as unknown as W).joined)).toBe('ok');
      expect(await colleague.page.evaluate(() => (window as unknown as W).states)).toEqual(['waiting:Dr. Ana', 'admitted:Dr. Ana']);
      await expect.poll(() => colleague.page.locator('#call > iframe').count()).toBe(1);
      await waitForEvent(colleague.page, 'joined');
      await call(owner.page, 'endConference');
    });
  });
}
