// The guest page (/visit/#<guest token>) in Chromium with fake devices: the check passes, the guest knocks, the owner
// admits through the API and the call opens in the page; a refused camera is explained; denied and ended visits; screenshots of each state at 390×844 and 1280×800 in English
// and pt-BR (committed in artifacts/, looked at by eye).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { REFUSE_CAMERA } from './support/refuse-camera.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const SIZES = { 390: { width: 390, height: 844 }, 1280: { width: 1280, height: 800 } } as const;
let browser: Browser;
let server: TestApp;
let owner: { authorization: string };

beforeAll(async () => {
  ensureClientBuilt();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await createTestApp({ env: { V4H_WAITING_ROOM: 'on', V4H_WAITING_ROOM_GRACE: '2', V4H_BRAND_NAME: 'Clínica Sol' } });
  owner = (await server.userSession('dr.ana')).auth;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function rest(method: string, path: string, body?: object) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { ...owner, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A started conference with a waiting room (the owner named "Dr. Ana" in the call) and a guest link for Maria. */
async function visitLink() {
  const { sessionId } = await rest('POST', '/api/conferences', { waitingRoom: true });
  await rest('POST', `/api/conferences/${sessionId}/start`, { displayName: 'Dr. Ana' });
  const link = await rest('POST', `/api/conferences/${sessionId}/guest-url`, { name: 'Maria Silva' });
  return { sessionId, url: link.url as string };
}

/** The link opened in a fresh phone-sized context, in `lang` (as `?lang=` before the fragment). */
async function openVisit(url: string, lang: 'en' | 'pt-BR', initScript?: string): Promise<Page> {
  const context = await browser.newContext({ viewport: SIZES[390], locale: lang === 'en' ? 'en-US' : 'pt-BR' });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const at = new URL(url);
  at.search = `?lang=${lang}`;
  await page.goto(at.toString());
  return page;
}

const screen = (page: Page, name: string) => page.waitForSelector(`body[data-screen="${name}"]`, { timeout: 30_000 });

/** Screenshots at both sizes; nothing may be wider than the phone. */
async function shoot(page: Page, state: string, lang: string) {
  for (const [label, size] of Object.entries(SIZES)) {
    await page.setViewportSize(size);
    await page.waitForTimeout(200);
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(fits, `${state} ${lang} ${label}: wider than the window`).toBe(true);
    await page.screenshot({ path: new URL(`visit-${state}-${lang}-${label}.png`, ARTIFACTS).pathname, fullPage: true });
  }
  await page.setViewportSize(SIZES[390]);
}

async function waitingEntry(sessionId: string) {
  for (let i = 0; i < 100; i++) {
    const { items } = await rest('GET', `/api/conferences/${sessionId}/waiting`);
    const entry = items.find((e: { state: string }) => e.state === 'waiting');
    if (entry) return entry as { participantId: string; name: string };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the guest never knocked');
}

describe('the guest page', () => {
  it('passes the check with fake devices, knocks, leaves and comes back, is admitted by the owner and sees the call', async () => {
    const { sessionId, url } = await visitLink();
    const page = await openVisit(url, 'en');
    await screen(page, 'welcome');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#welcome-title')).toBe('Your visit with Dr. Ana');
    expect(await page.textContent('#brand-name')).toBe('Clínica Sol');
    expect(await page.inputValue('#guest-name')).toBe('Maria Silva');
    // The label names the field for assistive technology.
    expect(await page.getAttribute('#guest-name-label', 'for')).toBe('guest-name');
    await shoot(page, 'welcome', 'en');

    await page.click('#welcome-submit');
    await screen(page, 'waiting');
    expect(await page.textContent('#waiting-title')).toBe('Waiting for Dr. Ana');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('waiting-title');
    const entry = await waitingEntry(sessionId);
    expect(entry.name).toBe('Maria Silva');
    await page.waitForSelector('#check-result[data-result="good"]', { timeout: 30_000 });
    for (const item of ['camera', 'microphone', 'connection']) expect(await page.getAttribute(`#check-${item}`, 'data-state')).toBe('good');
    expect(await page.textContent('#check-summary')).toBe('Everything works. You are ready for your visit.');
    await shoot(page, 'waiting', 'en');

    // Leaving the waiting room leaves the queue; the same link takes the patient back.
    await page.click('#leave');
    await screen(page, 'end');
    expect(await page.getAttribute('body', 'data-end')).toBe('left');
    const { items } = await rest('GET', `/api/conferences/${sessionId}/waiting`);
    expect(items.filter((e: { state: string }) => e.state === 'waiting')).toEqual([]);
    await page.click('#back');
    await screen(page, 'waiting');
    expect((await waitingEntry(sessionId)).participantId).toBe(entry.participantId);

    // Let in: the check lets go of the camera, and the SDK's joinAsGuest opens the call in the page.
    await rest('POST', `/api/conferences/${sessionId}/waiting/${entry.participantId}/admit`);
    await screen(page, 'call');
    const frame = await page.waitForSelector('#call iframe', { timeout: 30_000 });
    expect(await frame.getAttribute('src')).toContain(server.baseUrl);
    expect(await page.evaluate(() => (document.getElementById('preview') as HTMLVideoElement).srcObject)).toBeNull();

    await rest('POST', `/api/conferences/${sessionId}/end`);
    await screen(page, 'end');
    expect(await page.textContent('#end-title')).toBe('This visit has ended');

    await page.context().close();
  });

  for (const lang of ['en', 'pt-BR'] as const) {
    it(`${lang}: a refused camera is explained; a denied guest and an ended visit get their end screens`, async () => {
      const refused = await visitLink();
      const page = await openVisit(refused.url, lang, REFUSE_CAMERA);
      await screen(page, 'welcome');
      await page.click('#welcome-submit');
      await page.waitForSelector('#check-result[data-result="warning"]', { timeout: 30_000 });
      expect(await page.getAttribute('#check-camera', 'data-state')).toBe('warning');
      expect(await page.textContent('#check-advice')).toContain(lang === 'en' ? 'Allow the camera in your browser' : 'Permita a câmera no navegador');
      expect(await page.isVisible('#check-again')).toBe(true);
      await shoot(page, 'check', lang);
      const entry = await waitingEntry(refused.sessionId);
      const reason = lang === 'en' ? 'Please call us to book another time.' : 'Por favor, ligue para marcar outro horário.';
      await rest('POST', `/api/conferences/${refused.sessionId}/waiting/${entry.participantId}/deny`, { reason });
      await screen(page, 'end');
      expect(await page.getAttribute('body', 'data-end')).toBe('denied');
      // The clinician's words reach the patient.
      expect(await page.textContent('#end-reason')).toContain(reason);
      await shoot(page, 'denied', lang);
      // The clinician lets the guest knock again: the page goes back to the welcome screen by itself, the name kept.
      await rest('POST', `/api/conferences/${refused.sessionId}/waiting/${entry.participantId}/allow-again`);
      await screen(page, 'welcome');
      expect(await page.inputValue('#guest-name')).not.toBe('');
      await page.context().close();

      const ended = await visitLink();
      const guest = await openVisit(ended.url, lang);
      await screen(guest, 'welcome');
      await guest.click('#welcome-submit');
      await guest.waitForSelector('#check-result[data-result]', { timeout: 30_000 });
      if (lang === 'pt-BR') await shoot(guest, 'waiting', lang);
      await waitingEntry(ended.sessionId);
      await rest('POST', `/api/conferences/${ended.sessionId}/end`);
      await screen(guest, 'end');
      expect(await guest.getAttribute('body', 'data-end')).toBe('ended');
      expect(await guest.textContent('#end-title')).toBe(lang === 'en' ? 'This visit has ended' : 'Esta consulta terminou');
      await shoot(guest, 'ended', lang);
      await guest.context().close();
    });
  }

  it('a link that does not work says so', async () => {
    const page = await openVisit(`${server.baseUrl}/visit/#not-a-token`, 'en');
    await screen(page, 'end');
    expect(await page.getAttribute('body', 'data-end')).toBe('invalid');
    await page.context().close();
  });
});
