// V4H.uploadRecording / listFiles as integrators call them: the ESM build in Node, and /v4h.js in Chromium.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createFilesTestApp, createConference, addParticipant, type FilesTestApp } from '../../packages/server/src/test-support/storage.js';
import { ensureClientBuilt } from './support/build-client.js';
import { launchChromium } from './support/browser.js';

type Sdk = typeof import('../../packages/client/src/index.js');
let sdk: Sdk;
let server: FilesTestApp;

beforeAll(async () => {
  ensureClientBuilt();
  sdk = (await import(new URL('../../packages/client/dist/index.js', import.meta.url).href)) as Sdk;
  server = await createFilesTestApp('file', { env: { V4H_MAX_UPLOAD_BYTES: String(16 * 1024 * 1024) } });
});
afterAll(() => server?.close());

describe('V4H file methods', () => {
  it('in Node: uploadRecording with progress, attachments by a participant, listFiles', async () => {
    const owner = await server.userSession();
    const participant = await server.userSession();
    const v4h = new sdk.V4H({ baseUrl: server.baseUrl });
    await v4h.loginWithToken(owner.accessToken);
    const sessionId = await v4h.requestConference();
    await addParticipant(server, sessionId, participant);
    const bytes = randomBytes(1024 * 1024 + 5);
    const seen: number[] = [];
    const stored = await v4h.uploadRecording(sessionId, new Blob([bytes], { type: 'audio/webm' }), { onProgress: ({ loaded }) => seen.push(loaded) });
    expect(stored).toMatchObject({ kind: 'recording', size: bytes.length, contentType: 'audio/webm', uploader: `user:${owner.username}` });
    expect(seen.at(-1)).toBe(bytes.length);
    const asParticipant = new sdk.V4H({ baseUrl: server.baseUrl });
    await asParticipant.loginWithToken(participant.accessToken);
    await asParticipant.uploadRecording(sessionId, new TextEncoder().encode('BP 120/80'), { kind: 'attachment', contentType: 'text/plain', name: 'notes.txt' });
    const failure = await asParticipant.uploadRecording(sessionId, bytes, { contentType: 'video/webm' }).catch((e: unknown) => e);
    expect(sdk.isV4HError(failure) && failure.code).toBe('forbidden');
    expect((await v4h.listFiles(sessionId)).map((f) => f.name)).toEqual([stored.name, 'notes.txt']);
    expect((await v4h.getConference(sessionId)).urlStorage).toContain(`/api/files/${stored.fileId}/content`);
  });

  describe('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser?.close());

    it('uploads a MediaRecorder-style Blob from /v4h.js with XHR progress', async () => {
      const owner = await server.userSession();
      const { sessionId } = await createConference(server, owner);
      const page = await browser.newPage();
      try {
        await page.goto(`${server.baseUrl}/healthz`);
        await page.addScriptTag({ url: `${server.baseUrl}/v4h.js` });
        const result = await page.evaluate(
          async ({ baseUrl, token, sessionId }) => {
            const v4h = new (window as any).V4H({ baseUrl });
            await v4h.loginWithToken(token);
            const blob = new Blob([new Uint8Array(6 * 1024 * 1024).fill(7)], { type: 'video/webm;codecs=vp8,opus' });
            const progress: number[] = [];
            const stored = await v4h.uploadRecording(sessionId, blob, { name: 'call.webm', onProgress: (p: { loaded: number }) => progress.push(p.loaded) });
            return { stored, progress, listed: (await v4h.listFiles(sessionId)).length };
          },
          { baseUrl: server.baseUrl, token: owner.accessToken, sessionId },
        );
        expect(result.stored).toMatchObject({ name: 'call.webm', size: 6 * 1024 * 1024, contentType: 'video/webm' });
        expect(result.progress.at(-1)).toBe(6 * 1024 * 1024);
        expect(result.listed).toBe(1);
      } finally {
        await page.close();
      }
    });
  });
});
