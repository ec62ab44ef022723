// The SDK driving jitsi-meet's REAL external_api.js (from @jitsi/react-native-sdk) in Chromium: the iframe URL for a
// sub-path, a tenant and JaaS, the guest link agreeing with it, the events the real class emits, and its dispose().
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic } from './support/clinic.js';
import { startRealJitsiOrigin, type RealJitsiOrigin } from './support/real-jitsi/origin.js';
import { call, openClinic, startServer, waitForEvent, type E2EWorld } from './support/suite.js';

type W = Window & Record<string, any>;
const APP_SECRET = 'real-jitsi-app-secret-0123456789abcdef';
const JAAS_APP = 'vpaas-magic-cookie-0123456789abcdef';

/** Starts a call as a new owner; resolves the session id and the iframe's src. */
async function startCall(world: E2EWorld, options: object = {}): Promise<{ page: Page; sessionId: string; src: string; username: string }> {
  const { page, username } = await openClinic(world);
  await page.evaluate(() => {
    const w = window as unknown as W;
    w.v4h.on('error', (e: { error: { code: string; message: string } }) => w.log.push(['error', { code: e.error.code, message: e.error.message }]));
  });
  const sessionId = (await call(page, 'requestConference')).value as string;
  const started = await call(page, 'startConference', sessionId, '#call', '100%', '480', 'Dr. Real', '', options);
  expect(started).toEqual({ value: 'ok' });
  const src = (await page.locator('#call iframe').getAttribute('src'))!;
  return { page, sessionId, src, username };
}

function defineDeployment(label: string, env: (origin: string) => Record<string, string>, expectedPath: (room: string) => string) {
  describe(`real external_api.js — ${label}`, () => {
    const world = { contexts: [] } as unknown as E2EWorld;
    let jitsi: RealJitsiOrigin;
    beforeAll(async () => {
      ensureClientBuilt();
      jitsi = await startRealJitsiOrigin();
      world.engine = { env: env(jitsi.origin), close: () => jitsi.close() };
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

    it('opens the room under the deployment path, the guest link is that URL, and endConference goes through before dispose()', async () => {
      jitsi.behaviour = 'join';
      const { page, sessionId, src, username } = await startCall(world, { lang: 'pt-BR', configOverwrite: { prejoinConfig: { enabled: false } } });
      const url = new URL(src);
      const room = (await call(page, 'getConference', sessionId)).value as { sessionId: string };
      expect(room.sessionId).toBe(sessionId);
      expect(url.origin).toBe(jitsi.origin);
      const roomName = url.pathname.split('/').pop()!;
      expect(url.pathname).toBe(expectedPath(roomName));
      // What the real class puts in the hash: our config (and disableDeepLinking) and the name.
      const hash = new URLSearchParams(url.hash.slice(1));
      expect(hash.get('config.disableDeepLinking')).toBe('true');
      expect(JSON.parse(hash.get('config.prejoinConfig')!)).toEqual({ enabled: false });
      // The real class puts lang (and jwt) in the query.
      expect(url.searchParams.get('lang')).toBe('pt-BR');
      // The name with the account (docs/jitsi.md, "Names in the call"), as the token has it.
      expect(JSON.parse(hash.get('userInfo.displayName')!)).toBe(`Dr. Real (${username})`);
      expect(await page.locator('#call iframe').evaluate((f) => (f as HTMLIFrameElement).style.height)).toBe('480px');
      // The page was served under the path; the script came from the deployment URL.
      await expect.poll(() => jitsi.pages.some((p) => p.startsWith(url.pathname))).toBe(true);
      expect(jitsi.scripts.at(-1)).toBe(`${new URL(env(jitsi.origin).V4H_JITSI_URL).pathname.replace(/\/$/, '')}/external_api.js`);
      await waitForEvent(page, 'joined');

      const guest = (await call(page, 'getGuestUrl', sessionId, 'Zoe')).value as { url: string };
      const link = new URL(guest.url);
      expect(`${link.origin}${link.pathname}`).toBe(`${url.origin}${url.pathname}`);
      expect(new URLSearchParams(link.hash.slice(1)).get('config.disableDeepLinking')).toBe('true');

      await page.evaluate(() => {
        const w = window as unknown as W;
        const frame = document.querySelector('#call iframe') as HTMLIFrameElement;
        w.v4h.jApi.prependListener('videoConferenceLeft', () => w.log.push(['jitsiLeft', frame.isConnected]));
      });
      expect((await call(page, 'endConference')).value).toMatchObject({ state: 'ended' });
      // The real dispose() removes the iframe at once — after the page got the command and confirmed the leave.
      expect(await page.locator('#call iframe').count()).toBe(0);
      await waitForEvent(page, 'endedListener');
      // The meeting page got end-conference and answered videoConferenceLeft while its iframe was still there.
      expect(await page.evaluate(() => (window as unknown as W).log.filter((e: [string]) => e[0] === 'jitsiLeft'))).toEqual([['jitsiLeft', true]]);
      const log = await page.evaluate(() => (window as unknown as W).log.map((e: [string]) => e[0]));
      expect(log.filter((e: string) => e === 'ended')).toHaveLength(1);
    });

    it('leaveConference sends hangup and disposes only after the real class reported videoConferenceLeft', async () => {
      jitsi.behaviour = 'join';
      const { page } = await startCall(world);
      await waitForEvent(page, 'joined');
      // Jitsi's leave must arrive while the iframe is still there; the SDK removes it only then.
      await page.evaluate(() => {
        const w = window as unknown as W;
        const frame = document.querySelector('#call iframe') as HTMLIFrameElement;
        w.v4h.jApi.prependListener('videoConferenceLeft', () => w.log.push(['jitsiLeft', frame.isConnected]));
        w.v4h.on('ended', () => w.log.push(['endedWithFrame', frame.isConnected]));
      });
      expect(await call(page, 'leaveConference')).toEqual({ value: 'ok' });
      const order = await page.evaluate(() => (window as unknown as W).log.filter((e: [string]) => ['jitsiLeft', 'endedWithFrame'].includes(e[0])));
      expect(order).toEqual([
        ['jitsiLeft', true],
        ['endedWithFrame', false],
      ]);
      expect(await page.locator('#call iframe').count()).toBe(0);
    });

    it('a fatal errorOccurred and passwordRequired from the real class become error events (jitsi_error)', async () => {
      jitsi.behaviour = 'fatal';
      const fatal = await startCall(world);
      await waitForEvent(fatal.page, 'error');
      const [, payload] = (await fatal.page.evaluate(() => (window as unknown as W).log.find((e: [string]) => e[0] === 'error'))) as [
        string,
        { code: string; message: string },
      ];
      expect(payload.code).toBe('jitsi_error');
      expect(payload.message).toContain('conference.authenticationRequired');
      jitsi.behaviour = 'password';
      const locked = await startCall(world);
      await waitForEvent(locked.page, 'error');
      expect(JSON.stringify(await locked.page.evaluate(() => (window as unknown as W).log))).toContain('conference.passwordRequired');
    });

    it('a breakout move (left, then joined) does not end the call', async () => {
      jitsi.behaviour = 'breakout';
      const { page } = await startCall(world);
      await waitForEvent(page, 'joined');
      await page.evaluate(() => {
        const w = window as unknown as W;
        w.v4h.jApi.on('videoConferenceJoined', (info: { breakoutRoom?: boolean }) => info.breakoutRoom && w.log.push(['breakoutJoined', {}]));
        // As a moderator's move would: the page leaves the main room, then joins the breakout room.
        w.v4h.jApi.executeCommand('joinBreakoutRoom', 'breakout-1');
      });
      await waitForEvent(page, 'breakoutJoined');
      // Past the re-join window: still in the call.
      await page.waitForTimeout(6_000);
      expect(await page.locator('#call iframe').count()).toBe(1);
      expect(await page.evaluate(() => (window as unknown as W).log.some((e: [string]) => e[0] === 'ended'))).toBe(false);
      await call(page, 'leaveConference');
    });
  });
}

defineDeployment(
  'self-hosted under a sub-path',
  (origin) => ({ V4H_JITSI_URL: `${origin}/jitsi`, V4H_JITSI_APP_ID: 'v4h-real', V4H_JITSI_APP_SECRET: APP_SECRET }),
  (room) => `/jitsi/${room}`,
);

defineDeployment(
  'self-hosted tenant',
  (origin) => ({ V4H_JITSI_URL: `${origin}/clinica`, V4H_JITSI_TENANT: 'clinica', V4H_JITSI_APP_ID: 'v4h-real', V4H_JITSI_APP_SECRET: APP_SECRET }),
  (room) => `/clinica/${room}`,
);

const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-real-jaas-'));
const keyFile = path.join(keyDir, 'jaas.pem');
fs.writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
defineDeployment(
  'JaaS (https://8x8.vc/<AppID>, a local origin standing in for 8x8.vc)',
  (origin) => ({
    V4H_JITSI_URL: `${origin}/${JAAS_APP}`,
    V4H_JAAS_APP_ID: JAAS_APP,
    V4H_JAAS_KEY_ID: `${JAAS_APP}/4f4910`,
    V4H_JAAS_PRIVATE_KEY_FILE: keyFile,
  }),
  (room) => `/${JAAS_APP}/${room}`,
);
