// The meeting page in pt-BR and English (IFrame `lang`, ?lang=, browser language) and usable on a 390×844 phone; screenshots as artifacts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { RoomHarness } from './support/room-harness.js';

const h = new RoomHarness();
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '4', V4H_ROOM_GRACE_PERIOD: '3' });
});
afterAll(async () => {
  await h.stop();
});

/** Nothing wider than the viewport, and every control inside it. */
async function expectFits(page: Page) {
  const box = await page.evaluate(() => {
    const controls = [...document.querySelectorAll('.toolbar button:not([hidden])')].map((b) => b.getBoundingClientRect());
    return {
      scrollWidth: document.documentElement.scrollWidth,
      width: window.innerWidth,
      height: window.innerHeight,
      controls: controls.map((r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height })),
    };
  });
  expect(box.scrollWidth).toBeLessThanOrEqual(box.width);
  expect(box.controls.length).toBeGreaterThan(0);
  for (const c of box.controls) {
    expect(c.left).toBeGreaterThanOrEqual(0);
    expect(c.right).toBeLessThanOrEqual(box.width);
    expect(c.bottom).toBeLessThanOrEqual(box.height);
    // Big enough for a thumb.
    expect(c.height).toBeGreaterThanOrEqual(36);
  }
}

describe('meeting page language and phone layout', () => {
  it('speaks pt-BR from the IFrame lang option and English from the browser language', async () => {
    const { embed } = await h.startConference();
    const pt = await h.open(embed, 'Dra. Ana', { extra: { lang: 'pt-BR' } });
    await pt.waitForEvent('videoConferenceJoined');
    const frame = pt.meeting();
    expect(frame.url()).toContain('?lang=pt-BR');
    await frame.waitForSelector('main[data-state="waiting"]');
    expect(await frame.getAttribute('html', 'lang')).toBe('pt-BR');
    expect(await frame.textContent('#status')).toBe('Aguardando os outros participantes…');
    expect(await frame.textContent('#hangup')).toBe('Sair da chamada');
    await pt.command('toggleAudio');
    await pt.waitForEvent('audioMuteStatusChanged');
    expect(await frame.textContent('#mic')).toBe('Ativar som');

    // No lang option: the browser's language decides (a pt-PT browser gets pt-BR, an en-GB one English).
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const en = await h.open(second.embed, 'Pat', { locale: 'en-GB' });
    await en.waitForEvent('videoConferenceJoined');
    await en.meeting().waitForSelector('main[data-state="in-call"]');
    expect(await en.meeting().getAttribute('html', 'lang')).toBe('en');
    expect(await en.meeting().textContent('#hangup')).toBe('Leave call');
    expect(await en.meeting().getAttribute('.tile.local', 'aria-label')).toBe(`Pat (you), account ${second.user.username}`);
    const third = await h.joinAs(embed.sessionId, 'Zé');
    const ptBrowser = await h.open(third.embed, 'Zé', { locale: 'pt-PT' });
    await ptBrowser.waitForEvent('videoConferenceJoined');
    expect(await ptBrowser.meeting().textContent('#hangup')).toBe('Sair da chamada');
    expect(await ptBrowser.meeting().getAttribute('.tile.local', 'aria-label')).toBe(`Zé (você), conta ${third.user.username}`);
  });

  it('takes ?lang= over the browser language and translates refusals', async () => {
    const { embed } = await h.startConference();
    const page = await h.openDirect({ ...embed, jwt: 'not-a-token' }, { locale: 'en-US', lang: 'pt-br' });
    await page.waitForSelector('#refused:not([hidden])');
    expect(await page.textContent('#refused-title')).toBe('Este link da chamada não é válido');
    const english = await h.openDirect({ ...embed, jwt: 'not-a-token' }, { locale: 'pt-BR', lang: 'en' });
    await english.waitForSelector('#refused:not([hidden])');
    expect(await english.textContent('#refused-title')).toBe('This call link is not valid');
  });

  // Issue 16 item 12: the ended page said "This call has ended" and then "this conference has ended" (in English on a
  // pt-BR page too).
  for (const [lang, title, hint] of [
    ['pt-BR', 'Esta chamada foi encerrada', 'Peça um novo link a quem convidou você.'],
    ['en', 'This call has ended', 'Ask whoever invited you for a new link.'],
  ] as const) {
    it(`an ended call's page says it once, in ${lang}, at 390 px (screenshot)`, async () => {
      const { owner, embed } = await h.startConference();
      expect((await h.api('POST', `/api/conferences/${embed.sessionId}/end`, owner.auth, {})).status).toBe(200);
      const page = await h.openDirect(embed, { viewport: { width: 390, height: 844 }, locale: lang });
      await page.waitForSelector('#refused:not([hidden])');
      expect(await page.textContent('#refused-title')).toBe(title);
      expect(await page.isVisible('#refused-message')).toBe(false);
      const visible = (await page.locator('body').innerText())
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      expect(visible).toContain(hint);
      expect(visible.join(' ')).not.toMatch(/conference has ended/i);
      expect(new Set(visible).size).toBe(visible.length); // no line twice
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: new URL(`room-ended-${lang}-phone.png`, ARTIFACTS).pathname });
    });
  }

  for (const lang of ['pt-BR', 'en']) {
    it(`fits a 390×844 phone and a desktop in ${lang}, two in the call (screenshots)`, async () => {
      const { embed } = await h.startConference();
      const second = await h.joinAs(embed.sessionId, 'Pat Patient');
      const phone = await h.openDirect(second.embed, { viewport: { width: 390, height: 844 }, locale: lang });
      const desktop = await h.openDirect(embed, { viewport: { width: 1280, height: 800 }, locale: lang });
      for (const page of [phone, desktop]) await page.waitForSelector('main[data-state="in-call"]');
      for (const page of [phone, desktop]) await page.waitForFunction(() => [...document.querySelectorAll('video')].every((v) => v.readyState >= 2));
      for (const [name, page] of [
        ['phone', phone],
        ['desktop', desktop],
      ] as const) {
        await expectFits(page);
        await page.screenshot({ path: new URL(`room-${lang}-${name}.png`, ARTIFACTS).pathname });
      }
      // The chat panel on the phone covers the stage, with its input and the toolbar still on screen.
      await phone.click('#chat-toggle');
      await phone.fill('#chat-input', lang === 'en' ? 'Hello doctor' : 'Olá, doutora');
      await phone.press('#chat-input', 'Enter');
      await desktop.waitForSelector('#chat-unread:not([hidden])');
      await desktop.click('#chat-toggle');
      await expectFits(phone);
      const input = await phone.locator('#chat-input').boundingBox();
      expect(input!.x + input!.width).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: new URL(`room-${lang}-phone-chat.png`, ARTIFACTS).pathname });
      await desktop.screenshot({ path: new URL(`room-${lang}-desktop-chat.png`, ARTIFACTS).pathname });
    }, 300_000);
  }
});
