// A call's life against the stand-in Jitsi (whose dispose() removes the iframe at once, like the real one): the
// owner's end reaches everyone in Jitsi, a breakout move is not an end, and Jitsi's refusal surfaces as an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic } from './support/clinic.js';
import { startStandInJitsi, type StandInJitsi } from './support/stand-in-jitsi/server.js';
import { call, events, openClinic, startServer, waitForEvent, type E2EWorld } from './support/suite.js';

type W = Window & Record<string, any>;
const auth = { appId: 'v4h-life', appSecret: 'e2e-jitsi-app-secret-0123456789abcdef' };

const recordErrors = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as W;
    w.v4h.on('error', (e: { error: { code: string; message: string } }) => w.log.push(['error', { code: e.error.code, message: e.error.message }]));
  });

describe('Jitsi call lifecycle in Chromium (stand-in Jitsi)', () => {
  const world = { contexts: [] } as unknown as E2EWorld;
  let jitsi: StandInJitsi;
  beforeAll(async () => {
    ensureClientBuilt();
    jitsi = await startStandInJitsi(auth);
    world.engine = { env: { V4H_JITSI_URL: jitsi.url, V4H_JITSI_APP_ID: auth.appId, V4H_JITSI_APP_SECRET: auth.appSecret }, close: () => jitsi.close() };
    world.clinic = await startClinic();
    world.server = await startServer(world.engine, world.clinic);
    world.browser = await launchChromium();
  });
  afterAll(async () => {
    await world.browser?.close();
    await world.server?.close();
    await world.clinic?.close();
    await world.engine?.close();
  });

  async function twoInACall() {
    const owner = await openClinic(world);
    const sessionId = (await call(owner.page, 'requestConference')).value as string;
    await call(owner.page, 'startConference', sessionId, '#call', '100%', 400, 'Dr. Ana');
    await waitForEvent(owner.page, 'joined');
    const second = await openClinic(world);
    await call(second.page, 'joinConference', sessionId, '#call', 640, 480, 'Bea');
    await waitForEvent(second.page, 'joined');
    return { owner, second, sessionId };
  }

  it("the owner's endConference reaches Jitsi before the iframe goes, so the other participant's call ends too", async () => {
    const { owner, second, sessionId } = await twoInACall();
    expect((await call(owner.page, 'endConference')).value).toMatchObject({ state: 'ended' });
    // The stand-in's dispose() is synchronous: the iframe is gone as soon as the call is over for the owner.
    expect(await owner.page.locator('#call iframe').count()).toBe(0);
    // Jitsi ended the conference for everyone: the second participant's SDK saw it leave and ended its call.
    await waitForEvent(second.page, 'endedListener');
    expect(await events(second.page, 'endedListener')).toEqual([['endedListener', sessionId]]);
    expect(await second.page.locator('#call iframe').count()).toBe(0);
  });

  it('a participant moved to a breakout room (left, then joined) stays in the call', async () => {
    const { owner, second } = await twoInACall();
    const room = new URL((await second.page.locator('#call iframe').getAttribute('src'))!).pathname.slice(1);
    for (const { page } of [owner, second]) {
      await page.evaluate(() => {
        const w = window as unknown as W;
        w.v4h.jApi.on('videoConferenceJoined', (info: { breakoutRoom?: boolean }) => info.breakoutRoom && w.log.push(['breakoutJoined', {}]));
      });
    }
    // The stand-in moves everyone in the room to a breakout room (Jitsi: videoConferenceLeft, then videoConferenceJoined).
    await second.page.evaluate((url) => fetch(url, { method: 'POST', mode: 'no-cors' }), `${jitsi.url}/_stand-in/rooms/${encodeURIComponent(room)}/breakout`);
    await waitForEvent(owner.page, 'breakoutJoined');
    await waitForEvent(second.page, 'breakoutJoined');
    // Past the SDK's 5 s re-join window, both are still in the call.
    await owner.page.waitForTimeout(7_000);
    for (const { page } of [owner, second]) {
      expect(await page.locator('#call iframe').count()).toBe(1);
      expect(await events(page, 'ended')).toEqual([]);
    }
    expect(await call(owner.page, 'endConference')).toMatchObject({ value: { state: 'ended' } });
  });

  it('Jitsi refusing the token (a fatal errorOccurred) is an SDK error event with code jitsi_error', async () => {
    const clinic = await startClinic();
    // A V4H whose Jitsi secret does not match the deployment's: Jitsi refuses its tokens.
    const server = await startServer(world.engine, clinic, { V4H_JITSI_APP_SECRET: 'a-wrong-secret-0123456789abcdef-xyz' });
    try {
      const { page } = await openClinic({ ...world, clinic, server });
      await recordErrors(page);
      const sessionId = (await call(page, 'requestConference')).value as string;
      expect(await call(page, 'startConference', sessionId, '#call', 640, 480, 'Dr. Ana')).toEqual({ value: 'ok' });
      await waitForEvent(page, 'error');
      const [, error] = (await events(page, 'error'))[0] as [string, { code: string; message: string }];
      expect(error.code).toBe('jitsi_error');
      expect(error.message).toContain('conference.connectionError.notAllowed');
    } finally {
      await server.close();
      await clinic.close();
    }
  });
});
