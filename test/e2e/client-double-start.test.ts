// startConference/joinConference called twice (a double click, a component rendered twice) in Chromium, built-in room.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic } from './support/clinic.js';
import { builtinRoomEngine } from './support/engines.js';
import { call, events, openClinic, startServer, waitForEvent, type E2EWorld } from './support/suite.js';

type W = Window & Record<string, any>;
const world = { contexts: [] } as unknown as E2EWorld;

beforeAll(async () => {
  ensureClientBuilt();
  world.engine = await builtinRoomEngine();
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

const state = async (page: Page, id: string) => ((await call(page, 'getConference', id)).value as { state: string }).state;
const iframes = (page: Page) => page.locator('iframe').count();
/** The meeting page's own state (data-state on its <main>), from the frame of `roomName`. */
const roomState = (page: Page) => page.frameLocator('#call > iframe').locator('main').getAttribute('data-state');
const settle = (page: Page) => page.waitForTimeout(1500);

describe('startConference twice', () => {
  it('for the call already open: resolves ok and leaves the call alone (the doctor alone keeps the conference)', async () => {
    const { page } = await openClinic(world);
    const id = (await call(page, 'requestConference')).value as string;
    expect(await call(page, 'startConference', id, '#call', 480, 360, 'Dr. Ana')).toEqual({ value: 'ok' });
    await waitForEvent(page, 'joined');
    const src = await page.locator('#call > iframe').getAttribute('src');
    expect(await call(page, 'startConference', id, '#call', 480, 360, 'Dr. Ana')).toEqual({ value: 'ok' });
    expect(await call(page, 'joinConference', id, '#call', 480, 360, 'Dr. Ana')).toEqual({ value: 'ok' });
    await settle(page);
    expect(await events(page, 'ended')).toEqual([]);
    expect(await events(page, 'endedListener')).toEqual([]);
    expect(await events(page, 'joined')).toHaveLength(1);
    expect(await iframes(page)).toBe(1);
    expect(await page.locator('#call > iframe').getAttribute('src')).toBe(src);
    expect(await roomState(page)).toBe('waiting');
    expect(await state(page, id)).toBe('started');
  });

  it('two concurrent starts of one conference: both ok, one call, no ended event while it goes on', async () => {
    const { page } = await openClinic(world);
    const id = (await call(page, 'requestConference')).value as string;
    const results = await page.evaluate(async (sessionId) => {
      const w = window as unknown as W;
      const node = document.querySelector('#call');
      return Promise.all([w.v4h.startConference(sessionId, node, 480, 360, 'Dr. Ana'), w.v4h.startConference(sessionId, node, 480, 360, 'Dr. Ana')]);
    }, id);
    expect(results).toEqual(['ok', 'ok']);
    await waitForEvent(page, 'joined');
    await settle(page);
    expect(await events(page, 'ended')).toEqual([]);
    expect(await events(page, 'endedListener')).toEqual([]);
    expect(await iframes(page)).toBe(1);
    expect(await roomState(page)).toBe('waiting');
    expect(await state(page, id)).toBe('started');
  });

  it('for another conference: the first is left cleanly (ended once, its frame gone, its presence recorded), no hidden live call', async () => {
    const owner = await openClinic(world);
    const first = (await call(owner.page, 'requestConference')).value as string;
    const second = (await call(owner.page, 'requestConference')).value as string;
    expect(await call(owner.page, 'startConference', first, '#call', 480, 360, 'Dr. Ana')).toEqual({ value: 'ok' });
    await waitForEvent(owner.page, 'joined');
    // A patient is in the first call: it goes on for them, without the doctor.
    const patient = await openClinic(world);
    expect(await call(patient.page, 'joinConference', first, '#call', 480, 360, 'Bea')).toEqual({ value: 'ok' });
    await waitForEvent(owner.page, 'participantJoined');

    expect(await call(owner.page, 'startConference', second, '#call', 480, 360, 'Dr. Ana')).toEqual({ value: 'ok' });
    await waitForEvent(owner.page, 'joined', 2);
    await expect.poll(() => iframes(owner.page), { timeout: 10_000 }).toBe(1);
    expect(await events(owner.page, 'endedListener')).toEqual([['endedListener', first]]);
    const src = new URL((await owner.page.locator('#call > iframe').getAttribute('src'))!);
    const secondRoom = (await call(owner.page, 'getConference', second)).value as { sessionId: string };
    expect(secondRoom.sessionId).toBe(second);
    // The patient sees the doctor leave (recorded at once, not after the grace period).
    await waitForEvent(patient.page, 'participantLeft');
    expect(await state(owner.page, first)).toBe('started');
    expect(await state(owner.page, second)).toBe('started');
    expect(src.pathname).not.toBe('');
    await settle(owner.page);
    expect(await events(owner.page, 'ended')).toHaveLength(1);
  });
});
