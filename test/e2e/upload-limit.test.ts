// Uploads over V4H_MAX_UPLOAD_BYTES are payload_too_large every time — in Node (the SDK's ESM build) and in Chromium,
// also on a kept-alive connection after an earlier upload — and the SDK refuses early once it knows the limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';
import { startClinic, type Clinic } from './support/clinic.js';
import type { Browser } from 'playwright-core';

type Sdk = typeof import('../../packages/client/src/index.js');
const LIMIT = 256 * 1024;
let sdk: Sdk;
let server: TestApp;

beforeAll(async () => {
  ensureClientBuilt();
  sdk = (await import(new URL('../../packages/client/dist/index.js', import.meta.url).href)) as Sdk;
  server = await createTestApp({ env: { V4H_MAX_UPLOAD_BYTES: String(LIMIT) } });
});
afterAll(() => server?.close());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as { code: string; status: number; message: string },
  );

describe('upload limit in Node', () => {
  it('is payload_too_large every time, with and without progress, after a good upload on the same connection', async () => {
    const { username, password } = await server.createUser();
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const v4h = new sdk.V4H({ baseUrl: server.baseUrl, fetch: counting });
    await v4h.login(username, password);
    const sessionId = await v4h.requestConference();
    const video = (size: number) => new Blob([new Uint8Array(size)], { type: 'video/webm' });
    // A first good upload keeps a connection alive for the next ones.
    expect((await v4h.uploadRecording(sessionId, video(1000))).size).toBe(1000);
    // A second instance has not learnt the limit yet: each refusal comes from the server, answered before the body.
    for (let i = 0; i < 5; i++) {
      const fresh = new sdk.V4H({ baseUrl: server.baseUrl });
      await fresh.loginWithToken((await v4h.login(username, password)).refreshToken);
      expect((await fresh.uploadRecording(sessionId, video(500))).size).toBe(500);
      const refused = await failure(fresh.uploadRecording(sessionId, video(LIMIT * 3), i % 2 ? { onProgress: () => {} } : {}));
      expect(refused).toMatchObject({ code: 'payload_too_large', status: 413 });
    }
    // Once the limit is known, the SDK refuses before sending anything.
    expect(await failure(v4h.uploadRecording(sessionId, video(LIMIT * 2)))).toMatchObject({ code: 'payload_too_large', status: 413 });
    const before = requests;
    const early = await failure(v4h.uploadRecording(sessionId, video(LIMIT + 1)));
    expect(early).toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(early!.message).toContain(String(LIMIT));
    expect(requests).toBe(before);
    expect((await v4h.listFiles(sessionId)).map((f) => f.size).sort()).toEqual([1000, 500, 500, 500, 500, 500].sort());
  });
});

describe('upload limit in Chromium', () => {
  let browser: Browser;
  let clinic: Clinic;
  beforeAll(async () => {
    clinic = await startClinic();
    await server.close();
    server = await createTestApp({ env: { V4H_MAX_UPLOAD_BYTES: String(LIMIT), V4H_CORS_ORIGINS: clinic.origin } });
    clinic.v4hUrl = server.baseUrl;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await clinic?.close();
  });

  it('is payload_too_large every time, also after a good upload', async () => {
    const { username, password } = await server.createUser();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${clinic.origin}/`);
    const codes = await page.evaluate(
      async ({ username, password, limit }) => {
        const w = window as unknown as { V4H: new () => Record<string, (...a: unknown[]) => Promise<unknown>> };
        const out: string[] = [];
        for (let i = 0; i < 3; i++) {
          const v4h = new w.V4H();
          await v4h.login(username, password);
          const id = await v4h.requestConference();
          await v4h.uploadRecording(id, new Blob([new Uint8Array(100)], { type: 'video/webm' }));
          for (const size of [limit * 4, limit + 1]) {
            out.push(
              await v4h.uploadRecording(id, new Blob([new Uint8Array(size)], { type: 'video/webm' })).then(
                () => 'stored',
                (e: { code: string; status: number }) => `${e.code} ${e.status}`,
              ),
            );
          }
        }
        return out;
      },
      { username, password, limit: LIMIT },
    );
    expect(codes).toEqual(Array(6).fill('payload_too_large 413'));
  });
});
