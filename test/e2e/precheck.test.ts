// v4h.precheck() in Chromium with fake devices: devices, the loopback through the server's ICE servers (direct, then a
// real coturn relay-only), and a refused camera, each classified as docs/visit.md says.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startCoturn, type Coturn } from './support/coturn.js';
import { REFUSE_CAMERA } from './support/refuse-camera.js';

type W = Window & Record<string, any>;

const SECRET = randomBytes(24).toString('base64url');
let browser: Browser;
let turn: Coturn;
let direct: TestApp;
let relayed: TestApp;

beforeAll(async () => {
  ensureClientBuilt();
  turn = await startCoturn(SECRET);
  [direct, relayed] = await Promise.all([createTestApp(), createTestApp({ env: { V4H_TURN_URLS: turn.url, V4H_TURN_SECRET: SECRET } })]);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await direct?.close();
  await relayed?.close();
  await turn?.stop();
});

/** The demo page of `server` (it loads /v4h.js), signed in; `initScript` runs before the page's own scripts. */
async function signedIn(server: TestApp, initScript?: string): Promise<Page> {
  const context = await browser.newContext();
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  await page.goto(`${server.baseUrl}/`);
  const { username, password } = await server.createUser();
  await page.evaluate(
    async ({ username, password }) => {
      const w = window as unknown as W;
      w.checker = new w.V4H();
      await w.checker.login(username, password);
    },
    { username, password },
  );
  return page;
}

const precheck = (page: Page, options: object = {}) =>
  page.evaluate(async (o) => {
    const { stream, ...report } = await (window as unknown as W).checker.precheck({ seconds: 3, ...o });
    return { ...report, kept: stream ? stream.getTracks().map((t: MediaStreamTrack) => t.readyState) : null };
  }, options);

describe('v4h.precheck() in Chromium', () => {
  it('passes with fake devices over the direct path: a frame, a moving sound level, media measured', async () => {
    const page = await signedIn(direct);
    const report = await precheck(page);
    console.log('precheck, direct path:', JSON.stringify(report.network), 'mic level', report.microphone.level);
    expect(report.camera).toMatchObject({ state: 'ok', width: expect.any(Number), height: expect.any(Number) });
    expect(report.camera.width).toBeGreaterThan(0);
    expect(report.camera.deviceId).toBeTruthy();
    expect(report.microphone.state).toBe('ok');
    expect(report.microphone.level).toBeGreaterThan(0);
    expect(report.network.connectivity).toBe('direct');
    expect(report.network.packetLoss).toBe(0);
    expect(report.network.rttMs).toEqual(expect.any(Number));
    expect(report.network.bitrateKbps).toBeGreaterThan(0);
    expect(report).toMatchObject({ result: 'good', reasons: [], kept: null });
    await page.context().close();
  });

  it('with a TURN server, sends the media through it alone, with the credentials GET /api/ice-servers minted', async () => {
    const page = await signedIn(relayed);
    const report = await precheck(page, { keepStream: true });
    expect(report.network.connectivity).toBe('relay');
    expect(report.network.packetLoss).toBe(0);
    expect(report.result).toBe('good');
    // keepStream: camera and microphone are still open for the page.
    expect(report.kept).toEqual(['live', 'live']);
    expect(turn.log()).toMatch(/:check-u-/);
    await page.context().close();
  });

  it('a refused camera is a warning with its reason; the microphone and the network are still checked', async () => {
    const page = await signedIn(direct, REFUSE_CAMERA);
    const report = await precheck(page);
    expect(report.camera).toMatchObject({ state: 'denied', deviceId: null });
    expect(report.microphone.state).toBe('ok');
    expect(report.network.connectivity).toBe('direct');
    expect(report).toMatchObject({ result: 'warning', reasons: ['camera_denied'] });
    await page.context().close();
  });

  it('refuses nonsense before asking for any device', async () => {
    const page = await signedIn(direct);
    const error = await page.evaluate(() => (window as unknown as W).checker.precheck({ seconds: 0 }).catch((e: { code: string }) => e.code));
    expect(error).toBe('invalid_argument');
    await page.context().close();
  });
});
