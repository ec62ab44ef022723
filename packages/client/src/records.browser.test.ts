// The shared verifier in real Chromium (WebCrypto SHA-256 and Ed25519): a genuine record passes, a tampered one fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildBundle, publicKey } from '../test-support/records-fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let server: http.Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  // The verifier as a browser would load it (src/verify.ts: @v4h/protocol/verify bundled): one IIFE exposing V4HVerify.
  const script = await build({
    entryPoints: [path.join(here, 'verify.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'V4HVerify',
    platform: 'browser',
    target: 'es2022',
  });
  const js = script.outputFiles[0].text;
  server = http.createServer((req, res) => {
    if (req.url === '/verify.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/verify.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

describe('verifyBundle in Chromium', () => {
  it('passes a genuine record and names the failed check of a tampered one', async () => {
    const bundle = buildBundle();
    const tampered = structuredClone(bundle);
    tampered.manifests[0].manifest.events[0].data = { note: 'inserted later' };
    const forgedKey = Buffer.alloc(32, 7).toString('hex');
    // Plain JSON in, plain JSON out (also keeps TypeScript from unfolding the record types).
    const args: { bundle: unknown; tampered: unknown; publicKey: string; forgedKey: string } = { bundle, tampered, publicKey, forgedKey };
    const results = await page.evaluate(async ({ bundle, tampered, publicKey, forgedKey }) => {
      const v = (globalThis as any).V4HVerify;
      const key = v.fromBase64(publicKey);
      const run = async (b: unknown, k: Uint8Array) => {
        const r = await v.verifyBundle(b, { ledgerKey: k });
        return { ok: r.ok, failure: r.failure?.name ?? null, checks: r.checks.length };
      };
      return { good: await run(bundle, key), tampered: await run(tampered, key), wrongKey: await run(bundle, v.fromHex(forgedKey)), secure: isSecureContext };
    }, args);
    expect(results).toEqual({
      good: { ok: true, failure: null, checks: 10 },
      tampered: { ok: false, failure: 'event-hash', checks: 3 },
      wrongKey: { ok: false, failure: 'ledger-signature', checks: 10 },
      secure: true,
    });
  });
});
