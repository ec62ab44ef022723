// The SDK in real Chromium, loaded from the server as /v4h.js: v4h.verifyConference imports /v4h-verify.js and passes.
// Needs the client build (packages/client/dist), like the e2e tests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { endedConference, owner } from '../test-support/records-fixtures.js';

let t: TestApp;
let browser: Browser;
beforeAll(async () => {
  t = await createTestApp({ env: { V4H_SEAL_DELAY: '0' } });
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
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('verifyConference in a browser', () => {
  it('loads the verifier on demand and verifies an anchored conference; v4h.js stays without it', async () => {
    const o = await owner(t);
    const sessionId = await endedConference(t.db.kysely, o.id, Date.now() - 1000);
    await t.app.records.sealer.runOnce();
    await t.app.records.anchorer.runOnce();
    const verifier = await fetch(`${t.baseUrl}/v4h-verify.js`);
    expect(verifier.status).toBe(200);
    expect(verifier.headers.get('content-type')).toContain('javascript');
    expect(await (await fetch(`${t.baseUrl}/v4h.js`)).text()).not.toContain('v4h-ledger-entry');

    const page = await browser.newPage();
    try {
      await page.goto(`${t.baseUrl}/healthz`);
      await page.addScriptTag({ url: `${t.baseUrl}/v4h.js` });
      const result = await page.evaluate(
        async ({ token, sessionId }) => {
          const V4H = (globalThis as any).V4H;
          const v4h = new V4H({ baseUrl: location.origin });
          await v4h.loginWithToken(token);
          const record = await v4h.getManifest(sessionId);
          const report = await v4h.verifyConference(sessionId);
          return { manifests: record.manifests.length, ok: report.ok, last: report.checks.at(-1)?.name };
        },
        { token: o.auth.authorization.slice('Bearer '.length), sessionId },
      );
      expect(result).toEqual({ manifests: 1, ok: true, last: 'ledger-signature' });
    } finally {
      await page.close();
    }
  });
});
