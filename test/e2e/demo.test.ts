// The demo page served at / driven through its UI in Chromium (stand-in Jitsi), with screenshots as artifacts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic, type Clinic } from './support/clinic.js';
import { standInJitsiEngine, type E2EEngine } from './support/engines.js';
import { startServer, writeArtifact } from './support/suite.js';
import { en } from '../../packages/client/demo/lang/en.js';
import { ptBR } from '../../packages/client/demo/lang/pt-BR.js';

let engine: E2EEngine;
let clinic: Clinic;
let server: TestApp;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  engine = await standInJitsiEngine();
  clinic = await startClinic();
  server = await startServer(engine, clinic);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await clinic?.close();
  await engine?.close();
});

/** Opens the demo (an English browser unless told), collecting page errors and CSP violations. */
async function openDemo(viewport: { width: number; height: number }, { locale = 'en-US', query = '' } = {}) {
  const context = await browser.newContext({ viewport, locale, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/401|404|409/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${server.baseUrl}/${query}`);
  return { page, context, problems };
}

const shot = async (page: Page, name: string) => writeArtifact(`${name}.png`, await page.screenshot({ fullPage: true }));

describe('demo page', () => {
  it('signs in, requests, starts, copies a guest link, shows the record, ends the call and shows the ended state', async () => {
    const { page, context, problems } = await openDemo({ width: 1100, height: 900 });
    const { username, password } = await server.createUser('dr.demo');
    await shot(page, 'demo-1-sign-in');

    // Every control has an accessible name.
    for (const field of await page.locator('input').all())
      expect(await field.evaluate((el) => (el as HTMLInputElement).labels?.length ?? 0)).toBeGreaterThan(0);

    await page.getByLabel('Password').fill('wrong');
    await page.getByLabel('Username').fill(username);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toContain('invalid_credentials');

    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#conference').isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Request' }).click();
    await expect.poll(() => page.getByLabel(/Session id/).inputValue()).not.toBe('');
    const sessionId = await page.getByLabel(/Session id/).inputValue();
    await expect.poll(() => page.locator('dd[data-field="state"]').textContent()).toBe('requested');
    for (const field of ['sessionId', 'owner', 'created', 'ended', 'state', 'urlStorage', 'hash', 'hashType', 'DLTId', 'DLTType']) {
      expect(await page.locator(`dd[data-field="${field}"]`).count()).toBe(1);
    }
    expect(await page.locator('dd[data-field="owner"]').textContent()).toBe('dr.demo');
    await shot(page, 'demo-2-requested');

    // A reload keeps the session (tokens in sessionStorage, renewed with the server on load).
    await page.reload();
    await expect.poll(() => page.locator('#conference').isVisible()).toBe(true);
    expect(await page.locator('#signed-in').textContent()).toContain('dr.demo');
    await page.getByLabel(/Session id/).fill(sessionId);

    await page.getByRole('button', { name: 'Start' }).click();
    const frame = page.frameLocator('#call iframe');
    await expect.poll(() => frame.locator('main').getAttribute('data-state'), { timeout: 20_000 }).toBe('joined');
    await expect.poll(() => page.locator('dd[data-field="state"]').textContent()).toBe('started');
    expect(await frame.locator('main').getAttribute('data-token')).toBe('valid');

    await page.getByLabel("Guest's name").fill('Guest Gil');
    await page.getByRole('button', { name: 'Copy guest link' }).click();
    await expect.poll(() => page.getByLabel('Guest link').inputValue()).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v4h-/); // the stand-in Jitsi is https, like real Jitsi
    const link = await page.getByLabel('Guest link').inputValue();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await shot(page, 'demo-3-in-call');
    writeArtifact('demo-3-call-frame.png', await page.locator('#call').screenshot());

    await page.getByRole('button', { name: 'End call for everyone' }).click();
    await expect.poll(() => page.locator('#ended').isVisible()).toBe(true);
    expect(await page.locator('#ended-id').textContent()).toBe(sessionId);
    // Hidden at once; the built-in room removes its iframe once its page hung up (at most 3 s).
    expect(await page.locator('#call iframe').isVisible()).toBe(false);
    await expect.poll(() => page.locator('#call iframe').count(), { timeout: 5_000 }).toBe(0);
    await expect.poll(() => page.locator('dd[data-field="state"]').textContent()).toBe('ended');
    expect(await page.locator('dd[data-field="ended"]').textContent()).toMatch(/^\d{4}-\d\d-\d\dT/);
    await shot(page, 'demo-4-ended');

    expect(problems).toEqual([]);
    await context.close();
  });

  it('is usable on a phone-sized screen', async () => {
    const { page, context, problems } = await openDemo({ width: 390, height: 844 });
    const { username, password } = await server.createUser();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Request' }).click();
    await expect.poll(() => page.locator('dd[data-field="state"]').textContent()).toBe('requested');
    const id = await page.locator('#session-id').inputValue();
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    await page.getByRole('button', { name: 'Start' }).click();
    // Issue 16 item 12: the call opened ~1,000 px down and the page stayed where it was.
    await expect.poll(() => page.locator('#call-section').evaluate((el) => Math.round(el.getBoundingClientRect().top))).toBeLessThan(100);
    expect(await page.locator('#call-section').evaluate((el) => el.getBoundingClientRect().top)).toBeGreaterThanOrEqual(-1);
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(500);
    await expect.poll(() => page.frameLocator('#call iframe').locator('main').getAttribute('data-state'), { timeout: 20_000 }).toBe('joined');
    writeArtifact('demo-6-phone-call-in-view.png', await page.screenshot());
    // Nothing wider than the screen, and the call fits in it.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect((await page.locator('#call iframe').boundingBox())!.width).toBeLessThanOrEqual(390);
    for (const button of await page.getByRole('button').all()) {
      if (await button.isVisible()) expect((await button.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
    await shot(page, 'demo-5-phone');
    await page.getByRole('button', { name: 'Leave' }).click();
    await expect.poll(() => page.locator('#ended').isVisible()).toBe(true);
    // The session id survives a reload (issue 16 item 12: the demo forgot it).
    await page.reload();
    await expect.poll(() => page.locator('#conference').isVisible()).toBe(true);
    expect(await page.locator('#session-id').inputValue()).toBe(id);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.locator('#signin').isVisible()).toBe(true);
    await page.reload();
    await page.waitForTimeout(300);
    expect(await page.locator('#conference').isVisible()).toBe(false);
    expect(await page.evaluate(() => localStorage.getItem('v4h.demo.sessionId'))).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  });
});

/** Every string of a language table as shown (`code` marks dropped; of a function, the parts around its argument). */
function tableStrings(table: typeof en): string[] {
  const strings = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : typeof value === 'function'
        ? String(value('\u0000')).split('\u0000')
        : value && typeof value === 'object'
          ? Object.values(value).flatMap(strings)
          : [];
  const shown = (s: string) => s.replaceAll('`', '').trim();
  // Language tags and fragments too short to be words tell nothing (a string copied untranslated still counts).
  return [...new Set(strings(table).map(shown))].filter((s) => s.length > 2 && !/^[a-z]{2}(-[A-Z]{2})?$/.test(s));
}

/** What a person sees or hears of the page: visible text, the title, and accessible names set by attribute. */
const visibleWords = (page: Page) =>
  page.evaluate(() =>
    [
      document.title,
      document.body.innerText,
      ...[...document.querySelectorAll('[aria-label], [placeholder], [title]')]
        .filter((el) => (el as HTMLElement).offsetParent !== null)
        .flatMap((el) => ['aria-label', 'placeholder', 'title'].map((a) => el.getAttribute(a) ?? '')),
    ].join('\n'),
  );

/** The English (or Portuguese) table strings found in the page's visible words, as whole words. */
async function stringsShown(page: Page, table: typeof en): Promise<string[]> {
  const text = await visibleWords(page);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return tableStrings(table).filter((s) => new RegExp(`(^|[^\\p{L}])${escape(s)}($|[^\\p{L}])`, 'u').test(text));
}

const noSideScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe('demo page languages', () => {
  it('speaks pt-BR with ?lang=pt-BR, signed out and signed in, on a phone and a desktop, without English', async () => {
    for (const viewport of [
      { width: 390, height: 844 },
      { width: 1280, height: 800 },
    ]) {
      const { page, context, problems } = await openDemo(viewport, { query: '?lang=pt-BR' });
      const size = `${viewport.width}x${viewport.height}`;
      expect(await page.getAttribute('html', 'lang')).toBe('pt-BR');
      expect(await page.title()).toBe('Demonstração do V4H — consulta incorporada');
      expect(await page.locator('#signin-title').textContent()).toBe('Entrar');
      expect(await page.locator('#first-run-lead').textContent()).toBe('Ainda não tem conta? Crie uma no servidor e depois entre:');
      expect(await page.locator('#first-run-env code').allTextContents()).toEqual(['V4H_ADMIN_USERNAME', 'V4H_ADMIN_PASSWORD']);
      expect(await page.locator('#lang-switch').textContent()).toBe('English');
      expect(await stringsShown(page, ptBR)).toContain('Nome de usuário');
      expect(await stringsShown(page, en)).toEqual([]);
      expect(await noSideScroll(page)).toBe(true);
      await shot(page, `demo-lang-pt-BR-${size}-1-sign-in`);

      // An SDK error: a Portuguese sentence, its code kept.
      const { username, password } = await server.createUser();
      await page.getByLabel('Nome de usuário').fill(username);
      await page.getByLabel('Senha').fill('wrong');
      await page.locator('#signin-submit').click();
      await expect.poll(() => page.locator('#status').textContent()).toBe('Nome de usuário ou senha incorretos. (invalid_credentials)');
      expect(await stringsShown(page, en)).toEqual([]);

      await page.getByLabel('Senha').fill(password);
      await page.getByRole('button', { name: 'Entrar', exact: true }).click();
      await expect.poll(() => page.locator('#conference').isVisible()).toBe(true);
      expect(await page.locator('#signed-in').textContent()).toBe(`Conectado como ${username}.`);
      await page.getByRole('button', { name: 'Solicitar' }).click();
      await expect.poll(() => page.locator('dd[data-field="state"]').textContent()).toBe('requested');
      const id = await page.getByLabel(/ID da sessão/).inputValue();
      expect(await page.locator('#status').textContent()).toBe(`Consulta ${id} solicitada.`);
      expect(await page.locator('#details-list dt').first().textContent()).toBe('ID da sessão sessionId');
      expect(await stringsShown(page, en)).toEqual([]);
      expect(await noSideScroll(page)).toBe(true);
      await shot(page, `demo-lang-pt-BR-${size}-2-signed-in`);
      expect(problems).toEqual([]);
      await context.close();
    }
  });

  it('follows a pt-BR browser (and a pt-PT one), while ?lang=en wins over the browser', async () => {
    for (const locale of ['pt-BR', 'pt-PT']) {
      const { page, context } = await openDemo({ width: 390, height: 844 }, { locale });
      expect(await page.getAttribute('html', 'lang')).toBe('pt-BR');
      expect(await page.locator('#heading').textContent()).toBe('Demonstração do V4H');
      expect(await page.getByLabel('Senha').count()).toBe(1);
      expect(await stringsShown(page, en)).toEqual([]);
      await context.close();
    }
    const { page, context } = await openDemo({ width: 390, height: 844 }, { locale: 'pt-BR', query: '?lang=en' });
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('#signin-title').textContent()).toBe('Sign in');
    expect(await stringsShown(page, ptBR)).toEqual([]);
    await context.close();
  });

  it('speaks English by default (also to a browser in a language it does not speak), without Portuguese, and fits 390 px', async () => {
    for (const [locale, viewport] of [
      ['en-US', { width: 390, height: 844 }],
      ['de-DE', { width: 1280, height: 800 }],
    ] as const) {
      const { page, context, problems } = await openDemo(viewport, { locale });
      const size = `${viewport.width}x${viewport.height}`;
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      expect(await page.title()).toBe('V4H demo — embedded consultation');
      expect(await page.locator('#first-run-lead').textContent()).toBe('No account yet? Create one on the server, then sign in:');
      expect(await page.locator('#lang-switch').textContent()).toBe('Português');
      expect(await stringsShown(page, en)).toContain('Password');
      expect(await stringsShown(page, ptBR)).toEqual([]);
      expect(await noSideScroll(page)).toBe(true);
      await shot(page, `demo-lang-en-${size}-1-sign-in`);

      const { username, password } = await server.createUser();
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Request' }).click();
      await expect.poll(() => page.locator('dd[data-field="state"]').textContent()).toBe('requested');
      expect(await stringsShown(page, ptBR)).toEqual([]);
      expect(await noSideScroll(page)).toBe(true);
      await shot(page, `demo-lang-en-${size}-2-signed-in`);
      expect(problems).toEqual([]);
      await context.close();
    }
  });

  it('switches language with its link, keeping the session, and opens the call in the page language', async () => {
    const { page, context, problems } = await openDemo({ width: 390, height: 844 });
    // Records the options the SDK gives the Jitsi IFrame API (the stand-in Jitsi ignores `lang`).
    await page.addInitScript(() => {
      let real: (new (domain: string, options: { lang?: string }) => object) | undefined;
      const spy = function (domain: string, options: { lang?: string }) {
        (window as unknown as { jitsiLang?: string }).jitsiLang = options.lang;
        return new real!(domain, options);
      };
      Object.defineProperty(window, 'JitsiMeetExternalAPI', { configurable: true, get: () => real && spy, set: (v) => (real = v) });
    });
    const { username, password } = await server.createUser();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Request' }).click();
    await expect.poll(() => page.locator('dd[data-field="state"]').textContent()).toBe('requested');
    const id = await page.locator('#session-id').inputValue();

    await page.locator('#lang-switch').click();
    await page.waitForURL(/\?lang=pt-BR$/);
    await expect.poll(() => page.locator('#conference').isVisible()).toBe(true);
    expect(await page.locator('#session-id').inputValue()).toBe(id);
    expect(await page.locator('#conference-title').textContent()).toBe('Consulta');
    expect(await page.locator('#lang-switch').textContent()).toBe('English');
    await page.getByRole('button', { name: 'Iniciar' }).click();
    await expect.poll(() => page.frameLocator('#call iframe').locator('main').getAttribute('data-state'), { timeout: 20_000 }).toBe('joined');
    expect(await page.evaluate(() => (window as unknown as { jitsiLang?: string }).jitsiLang)).toBe('pt-BR');
    expect(await page.locator('#call').getAttribute('aria-label')).toBe('Chamada de vídeo');
    expect(await stringsShown(page, en)).toEqual([]);
    expect(await noSideScroll(page)).toBe(true);
    await shot(page, 'demo-lang-pt-BR-390x844-3-in-call');
    await page.getByRole('button', { name: 'Encerrar a chamada para todos' }).click();
    await expect.poll(() => page.locator('#ended').isVisible()).toBe(true);
    expect(await page.locator('#ended p').textContent()).toBe(`A consulta ${id} terminou para você.`);
    await shot(page, 'demo-lang-pt-BR-390x844-4-ended');

    await page.locator('#lang-switch').click();
    await page.waitForURL(/\?lang=en$/);
    expect(await page.locator('#signin-title').isVisible()).toBe(false);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(problems).toEqual([]);
    await context.close();
  });
});
