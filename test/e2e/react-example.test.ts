// examples/react (Vite, development React so StrictMode double-mounts) in Chromium against a real V4H server with
// the built-in room: one start request, the call in the component's div, joined, and gone from the room on unmount.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../../packages/server/src/test-support/test-app.js';
import { parsePrometheusText, valueOf } from '../../packages/server/src/test-support/prometheus-text.js';
import { launchChromium } from './support/browser.js';
import { builtinRoomEngine } from './support/engines.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/react/', import.meta.url));
const OUT = path.join(EXAMPLE, 'dist-e2e');
const TOKEN = 'react-example-metrics-token';
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

let site: http.Server;
let origin: string;
let server: TestApp;
let browser: Browser;

beforeAll(async () => {
  // A development build: React's StrictMode then mounts every effect twice, as in `vite dev`.
  const { build } = await import('vite');
  await build({
    root: EXAMPLE,
    logLevel: 'warn',
    mode: 'development',
    define: { 'process.env.NODE_ENV': '"development"' },
    build: { outDir: OUT, emptyOutDir: true, minify: false },
  });
  site = http.createServer((req, res) => {
    const file = path.join(OUT, path.normalize(decodeURIComponent(req.url!.split('?')[0])).replace(/^(\.\.[/\\])+/, ''));
    const target = file.endsWith(path.sep) ? path.join(file, 'index.html') : file;
    if (!target.startsWith(OUT) || !fs.existsSync(target) || !fs.statSync(target).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(target)] ?? 'application/octet-stream' }).end(fs.readFileSync(target));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const engine = await builtinRoomEngine();
  server = await createTestApp({ env: { ...engine.env, V4H_CORS_ORIGINS: origin, V4H_METRICS: 'on', V4H_METRICS_TOKEN: TOKEN } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  site?.closeAllConnections();
  await new Promise((resolve) => site?.close(resolve));
  fs.rmSync(OUT, { recursive: true, force: true });
});

async function gauge(name: string): Promise<number> {
  const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return valueOf(parsePrometheusText(await res.text()), name);
}
const roomParticipants = () => gauge('v4h_room_participants');
const signalingSockets = () => gauge('v4h_signaling_sockets');

it('signs in, starts one call in the built-in room under StrictMode, and leaves the room on unmount', async () => {
  const { username, password } = await server.createUser();
  const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  try {
    const page = await context.newPage();
    const starts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && /\/api\/conferences\/[^/]+\/start$/.test(request.url())) starts.push(request.url());
    });
    await page.goto(`${origin}/?server=${encodeURIComponent(server.baseUrl)}`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.click('text=New consultation');

    const iframe = page.locator('div[data-v4h-conference] > iframe');
    await expect.poll(() => iframe.count(), { timeout: 20_000 }).toBe(1);
    await page.locator('#in-call').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('#state').textContent(), { timeout: 20_000 }).toBe('started');
    expect(new URL((await iframe.getAttribute('src'))!).origin).toBe(server.baseUrl);
    await expect.poll(roomParticipants, { timeout: 20_000 }).toBe(1);
    expect(await signalingSockets()).toBe(1);
    await page.waitForTimeout(500); // a second mount's start would have been sent by now
    expect(starts).toHaveLength(1);
    expect(await page.locator('iframe').count()).toBe(1);
    await page.screenshot({ path: new URL('./artifacts/react-example-390.png', import.meta.url).pathname });

    await page.click('text=Leave');
    await expect.poll(() => page.locator('iframe').count()).toBe(0);
    await expect.poll(roomParticipants, { timeout: 20_000 }).toBe(0);
    await expect.poll(signalingSockets, { timeout: 20_000 }).toBe(0);
    expect(starts).toHaveLength(1);
  } finally {
    await context.close();
  }
});
