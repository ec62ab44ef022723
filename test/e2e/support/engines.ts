// Video engines the client suite runs against: the stand-in Jitsi origin (a Prosody-token deployment) or the
// server's built-in room (V4H_JITSI_URL unset).
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { startStandInJitsi } from './stand-in-jitsi/server.js';

export interface E2EEngine {
  /** Environment for the V4H server under test. */
  env: Record<string, string>;
  /** Selector of the in-room hang-up control, when known (else the suite hangs up through v4h.jApi). */
  hangUpButton?: string;
  /** Asserts that a page opened on a guest URL joined the room as `name`, admitted by its token. */
  expectGuestJoined?(page: Page, name: string): Promise<void>;
  /**
   * Jitsi shows only a name, so V4H puts the account in it: `name (username)`, `name (guest)` for a guest link
   * (docs/jitsi.md, "Names in the call"). The built-in room shows the account beside the name instead.
   */
  marksAccounts?: boolean;
  /** Asserts that the call in `#call` shows `name`, and that its token carries that same name. */
  expectShownName?(page: Page, name: string): Promise<void>;
  /** True when the engine reports joins and leaves to V4H itself (the SDK then sends no presence reports). */
  reportsPresence?: boolean;
  /** Holds back /external_api.js (to exercise the SDK's load timeout); absent when the engine cannot. */
  stallScript?(on: boolean): void;
  /** Deploys or removes Jitsi's recorder (Jibri) for calls opened from now on; absent when the engine cannot. */
  recorder?(on: boolean): void;
  close(): Promise<void>;
}

/** The stand-in Jitsi origin with Prosody-style token auth: the server issues HS256 tokens it verifies. */
export async function standInJitsiEngine(): Promise<E2EEngine> {
  const auth = { appId: 'v4h-e2e', appSecret: 'e2e-jitsi-app-secret-0123456789abcdef' };
  const jitsi = await startStandInJitsi(auth);
  return {
    env: { V4H_JITSI_URL: jitsi.url, V4H_JITSI_APP_ID: auth.appId, V4H_JITSI_APP_SECRET: auth.appSecret },
    hangUpButton: '#hangup',
    marksAccounts: true,
    async expectShownName(page, name) {
      const main = page.frameLocator('#call > iframe').locator('main');
      await expect.poll(() => main.getAttribute('data-name')).toBe(name);
      expect(await main.getAttribute('data-token-name')).toBe(name);
    },
    async expectGuestJoined(page, name) {
      const main = page.locator('main');
      await expect.poll(() => main.getAttribute('data-state')).toBe('joined');
      expect(await main.getAttribute('data-token')).toBe('valid');
      expect(await main.getAttribute('data-token-name')).toBe(name);
      expect(await main.getAttribute('data-token-moderator')).toBe('false');
      expect(await page.locator('#status').textContent()).toContain(name);
    },
    stallScript: (on) => void (jitsi.stallScript = on),
    recorder: (on) => void (jitsi.recorder = on),
    close: () => jitsi.close(),
  };
}

/**
 * The server's own room (served at the V4H origin when V4H_JITSI_URL is unset). It records presence itself too and
 * keeps a dropped connection for a grace period: 1 s here, so that a closed page ends a call within the tests' wait.
 */
export async function builtinRoomEngine(): Promise<E2EEngine> {
  // The room's browser assets come from the server's build (build-room.js, owned by the room area).
  const buildRoom = new URL('../../../packages/server/build-room.js', import.meta.url).href;
  const { buildRoomAssets } = (await import(buildRoom)) as { buildRoomAssets: () => Promise<string> };
  await buildRoomAssets();
  return { env: { V4H_ROOM_GRACE_PERIOD: '1' }, reportsPresence: true, close: async () => {} };
}
