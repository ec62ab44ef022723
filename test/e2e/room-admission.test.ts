// A user disabled during a built-in room call is removed from it within the account check interval, and her page
// says so in pt-BR and English, on a 390×844 phone (screenshots as artifacts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { AuthService } from '../../packages/server/src/auth/service.js';
import { RoomHarness } from './support/room-harness.js';

const h = new RoomHarness();
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await h.start({ V4H_ROOM_ACCOUNT_CHECK_INTERVAL: '1' });
});
afterAll(async () => {
  await h.stop();
});

describe('built-in room: a disabled user is removed from the call', () => {
  for (const [lang, title] of [
    ['pt-BR', 'Você não pode mais participar desta chamada'],
    ['en', 'You can no longer take part in this call'],
  ] as const) {
    it(`shows the removal in ${lang} on a phone; the owner stays in the call`, async () => {
      const { embed } = await h.startConference();
      const patient = await h.joinAs(embed.sessionId, 'Pat Patient');
      const phone = await h.openDirect(patient.embed, { viewport: { width: 390, height: 844 }, locale: lang });
      const desktop = await h.openDirect(embed, { viewport: { width: 1280, height: 800 }, locale: lang });
      for (const page of [phone, desktop]) await page.waitForSelector('main[data-state="in-call"]');
      // What `v4h user disable` does.
      await new AuthService({ db: h.app.db, clock: { now: () => Date.now() }, config: h.app.config }).disableUser(patient.user.username);
      await phone.waitForSelector('#refused:not([hidden])', { timeout: 15_000 });
      expect(await phone.textContent('#refused-title')).toBe(title);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: new URL(`room-${lang}-phone-access-revoked.png`, ARTIFACTS).pathname });
      await desktop.waitForSelector('main[data-state="waiting"]', { timeout: 15_000 });
    }, 120_000);
  }
});
