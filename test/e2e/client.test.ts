// The SDK end to end in Chromium against a stand-in Jitsi origin (cross-origin iframe): with Prosody-style tokens, and without.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, defineClientE2E, openClinic, startServer, waitForEvent, type E2EWorld } from './support/suite.js';
import { standInJitsiEngine } from './support/engines.js';
import { startStandInJitsi, type StandInJitsi } from './support/stand-in-jitsi/server.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic } from './support/clinic.js';
import { launchChromium } from './support/browser.js';

defineClientE2E('stand-in Jitsi origin', standInJitsiEngine);

describe('client SDK in Chromium — Jitsi deployment without tokens', () => {
  const world = { contexts: [] } as unknown as E2EWorld;
  let jitsi: StandInJitsi;
  beforeAll(async () => {
    ensureClientBuilt();
    jitsi = await startStandInJitsi();
    world.engine = { env: { V4H_JITSI_URL: jitsi.url }, close: () => jitsi.close() };
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

  it('opens the room without a jwt and sends the avatar with the avatarUrl command after joining', async () => {
    const { page, username } = await openClinic(world);
    const sessionId = (await call(page, 'requestConference')).value as string;
    expect(await call(page, 'startConference', sessionId, '#call', '50vh', '300px', 'Dr. Ana', 'https://example.org/ana.png')).toEqual({ value: 'ok' });
    await waitForEvent(page, 'joined');
    const frame = page.frameLocator('#call > iframe');
    expect(await frame.locator('main').getAttribute('data-token')).toBe('none');
    await expect.poll(() => frame.locator('main').getAttribute('data-avatar')).toBe('https://example.org/ana.png');
    // No token here: the name the SDK passes is the only one, and it carries the account too.
    expect(await frame.locator('main').getAttribute('data-name')).toBe(`Dr. Ana (${username})`);
    const src = (await page.locator('#call > iframe').getAttribute('src'))!;
    expect(src).not.toContain('jwt');
    expect(src).toContain(`userInfo.displayName=${encodeURIComponent(`"Dr. Ana (${username})"`)}`);
    const box = (await page.locator('#call > iframe').boundingBox())!;
    expect(Math.round(box.height)).toBe(300);
    expect(Math.round(box.width)).toBe(Math.round(page.viewportSize()!.height / 2));
    expect((await call(page, 'leaveConference')).value).toBe('ok');
    await waitForEvent(page, 'endedListener');
  });
});
