// Appointment links on the guest page (/visit/) in Chromium: before the slot the page says when it opens (and in the
// guest's language), after it that the link has expired; screenshots at 390×844 and 1280×800, English and pt-BR.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const SIZES = { 390: { width: 390, height: 844 }, 1280: { width: 1280, height: 800 } } as const;
let browser: Browser;
let server: TestApp;
let owner: { authorization: string };

beforeAll(async () => {
  ensureClientBuilt();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await createTestApp({ env: { V4H_WAITING_ROOM: 'on', V4H_BRAND_NAME: 'Clínica Sol' } });
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

/**
 * An appointment link for the slot given (ms from now): a guest's, of a conference with a waiting room (the guest page),
 * or a participant's of one without (`/join?token=…`).
 */
async function appointmentLink(opensIn: number, closesIn: number, waitingRoom = true): Promise<string> {
  const { sessionId } = await rest('POST', '/api/conferences', { waitingRoom });
  const now = Date.now();
  const link = await rest('POST', `/api/conferences/${sessionId}/join-links`, {
    externalId: 'patient-123',
    name: 'Maria Silva',
    role: waitingRoom ? 'guest' : 'participant',
    notBefore: new Date(now + opensIn).toISOString(),
    expiresAt: new Date(now + closesIn).toISOString(),
  });
  expect(link.url).toContain(waitingRoom ? '/visit/#' : '/join?token=');
  return link.url as string;
}

async function openVisit(url: string, lang: 'en' | 'pt-BR'): Promise<Page> {
  const context = await browser.newContext({ viewport: SIZES[390], locale: lang === 'en' ? 'en-US' : 'pt-BR', timezoneId: 'America/Sao_Paulo' });
  const page = await context.newPage();
  const at = new URL(url);
  at.search = `?lang=${lang}`;
  await page.goto(at.toString());
  await page.waitForSelector('body[data-screen="end"]', { timeout: 30_000 });
  return page;
}

async function shoot(page: Page, state: string, lang: string) {
  for (const [label, size] of Object.entries(SIZES)) {
    await page.setViewportSize(size);
    await page.waitForTimeout(200);
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(fits, `${state} ${lang} ${label}: wider than the window`).toBe(true);
    await page.screenshot({ path: new URL(`visit-${state}-${lang}-${label}.png`, ARTIFACTS).pathname, fullPage: true });
  }
}

describe('appointment links on the guest page', () => {
  for (const lang of ['en', 'pt-BR'] as const) {
    it(`${lang}: before the slot it says when it opens; after it, that the link expired`, async () => {
      const early = await openVisit(await appointmentLink(3 * 3600_000, 4 * 3600_000), lang);
      expect(await early.getAttribute('body', 'data-end')).toBe('early');
      expect(await early.textContent('#end-title')).toBe(lang === 'en' ? 'Your visit has not opened yet' : 'Sua consulta ainda não começou');
      expect(await early.textContent('#end-lead')).toMatch(lang === 'en' ? /^It opens on .+\d/ : /^Ela abre em .+\d/);
      await shoot(early, 'appointment-early', lang);
      await early.context().close();

      const url = await appointmentLink(0, 1500);
      await new Promise((r) => setTimeout(r, 2000));
      const late = await openVisit(url, lang);
      expect(await late.getAttribute('body', 'data-end')).toBe('expired');
      expect(await late.textContent('#end-title')).toBe(lang === 'en' ? 'This link has expired' : 'Este link expirou');
      await shoot(late, 'appointment-expired', lang);
      await late.context().close();
    });
  }
});

// Links without a waiting room (`/join?token=…`): inside the slot straight into the call; outside it the browser is
// sent to the guest page, which says why (and, before the slot, enters by itself once it opens).
describe('appointment links without a waiting room, opened in a browser', () => {
  async function openIn(lang: 'en' | 'pt-BR', url: string): Promise<Page> {
    const context = await browser.newContext({ viewport: SIZES[390], locale: lang === 'en' ? 'en-US' : 'pt-BR', timezoneId: 'America/Sao_Paulo' });
    const page = await context.newPage();
    await page.goto(url);
    return page;
  }

  for (const lang of ['en', 'pt-BR'] as const) {
    it(`${lang}: early, the page says when it opens and enters the call by itself then; expired says so`, async () => {
      const early = await openIn(lang, await appointmentLink(4000, 3600_000, false));
      await early.waitForSelector('body[data-end="early"]', { timeout: 30_000 });
      expect(new URL(early.url()).pathname).toBe('/visit/');
      expect(await early.textContent('#end-title')).toBe(lang === 'en' ? 'Your visit has not opened yet' : 'Sua consulta ainda não começou');
      await shoot(early, 'join-link-early', lang);
      // The slot opens: the page asks again by itself and lands in the call.
      await early.waitForURL((u) => !u.pathname.startsWith('/visit'), { timeout: 30_000 });
      expect(new URL(early.url()).searchParams.get('jwt')).toBeTruthy();
      await early.context().close();

      const url = await appointmentLink(0, 1500, false);
      await new Promise((r) => setTimeout(r, 2000));
      const late = await openIn(lang, url);
      await late.waitForSelector('body[data-end="expired"]', { timeout: 30_000 });
      expect(await late.textContent('#end-title')).toBe(lang === 'en' ? 'This link has expired' : 'Este link expirou');
      await shoot(late, 'join-link-expired', lang);
      await late.context().close();
    });
  }
});
