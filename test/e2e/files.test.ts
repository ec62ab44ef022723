// The SDK's file functions against a real V4H server: in Node (fetch, streamed progress) and in Chromium (XHR upload progress).
import { createHash, randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { HttpClient, type TokenSource } from '../../packages/client/src/http.js';
import { listFiles, uploadFile, type UploadProgress } from '../../packages/client/src/files.js';
import {
  createFilesTestApp,
  createConference,
  addParticipant,
  fileEvents,
  type FilesTestApp,
  type Session,
} from '../../packages/server/src/test-support/storage.js';
import { launchChromium } from './support/browser.js';

let server: FilesTestApp;
let owner: Session;
let participant: Session;

beforeAll(async () => {
  server = await createFilesTestApp('file', { env: { V4H_MAX_UPLOAD_BYTES: String(64 * 1024 * 1024) } });
  [owner, participant] = await Promise.all([server.userSession(), server.userSession()]);
});
afterAll(() => server?.close());

function sdkDeps(token: string, refreshed?: string) {
  let current = token;
  const tokens: TokenSource = {
    accessToken: async () => current,
    canRefresh: () => refreshed !== undefined,
    refresh: async () => (current = refreshed!),
  };
  return { http: new HttpClient(server.baseUrl, fetch, tokens), tokens, fetch };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as { code: string; status: number; name: string },
  );
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('SDK files in Node', () => {
  it('uploads a Blob with progress, then lists it', async () => {
    const { sessionId } = await createConference(server, owner);
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const progress: UploadProgress[] = [];
    const deps = sdkDeps(owner.accessToken);
    const stored = await uploadFile(deps, sessionId, new Blob([bytes], { type: 'video/webm;codecs=vp8' }), {
      name: 'visit.webm',
      onProgress: (p) => progress.push(p),
    });
    expect(stored).toMatchObject({ sessionId, kind: 'recording', name: 'visit.webm', size: bytes.length, sha256: sha256(bytes), contentType: 'video/webm' });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual({ loaded: bytes.length, total: bytes.length });
    expect(progress.every((p, i) => i === 0 || p.loaded >= progress[i - 1].loaded)).toBe(true);
    const listed = await listFiles(deps.http, sessionId);
    expect(listed.map((f) => f.fileId)).toEqual([stored.fileId]);
    expect(Buffer.from(await (await fetch(listed[0].url)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('sends a known SHA-256 (refused when it does not match), renews an expired token, maps errors', async () => {
    const { sessionId } = await createConference(server, owner);
    await addParticipant(server, sessionId, participant);
    const bytes = randomBytes(1000);
    const deps = sdkDeps(owner.accessToken);
    expect((await uploadFile(deps, sessionId, bytes, { contentType: 'audio/ogg', sha256: sha256(bytes) })).sha256).toBe(sha256(bytes));
    expect(await failure(uploadFile(deps, sessionId, bytes, { contentType: 'audio/ogg', sha256: sha256(randomBytes(4)) }))).toMatchObject({
      code: 'digest_mismatch',
      status: 400,
    });
    const renewed = await uploadFile(sdkDeps('stale-token', owner.accessToken), sessionId, bytes, { contentType: 'audio/ogg' });
    expect(renewed.uploader).toBe(`user:${owner.username}`);
    const asParticipant = sdkDeps(participant.accessToken);
    expect(await failure(uploadFile(asParticipant, sessionId, bytes, { contentType: 'video/webm' }))).toMatchObject({ code: 'forbidden', status: 403 });
    expect((await uploadFile(asParticipant, sessionId, bytes, { kind: 'attachment', contentType: 'application/pdf', name: 'exam.pdf' })).kind).toBe(
      'attachment',
    );
    expect(await failure(uploadFile(deps, sessionId, bytes, { contentType: 'text/html' }))).toMatchObject({ code: 'unsupported_media_type', status: 415 });
    expect(await failure(uploadFile(deps, sessionId, bytes))).toMatchObject({ code: 'invalid_argument' });
    expect(await failure(listFiles(sdkDeps((await server.userSession()).accessToken).http, sessionId))).toMatchObject({ code: 'forbidden' });
  });

  it('cancels with an AbortSignal and the server keeps nothing', async () => {
    const { sessionId } = await createConference(server, owner);
    const controller = new AbortController();
    const bytes = randomBytes(20 * 1024 * 1024);
    const result = failure(
      uploadFile(sdkDeps(owner.accessToken), sessionId, new Blob([bytes], { type: 'video/mp4' }), {
        onProgress: (p) => p.loaded > 2 * 1024 * 1024 && controller.abort(),
        signal: controller.signal,
      }),
    );
    expect((await result)?.name).toBe('AbortError');
    // The server notices the aborted body on its own schedule (slow on a busy machine): wait for the partial object to
    // go, then check that nothing was recorded.
    await expect.poll(() => server.storedObjects().filter((name) => name.includes('.partial')), { timeout: 15_000 }).toEqual([]);
    expect(await fileEvents(server, sessionId)).toEqual([]);
  });
});

describe('SDK files in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it('reports XMLHttpRequest upload progress and stores the bytes', async () => {
    const { sessionId } = await createConference(server, owner);
    // The file functions bundled on their own: the page is on the server's origin, so no CORS is involved.
    const bundle = await build({
      stdin: {
        contents: `import { HttpClient } from './http.ts'; import { uploadFile, listFiles } from './files.ts';
          window.v4hFiles = { HttpClient, uploadFile, listFiles };`,
        resolveDir: new URL('../../packages/client/src/', import.meta.url).pathname,
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      write: false,
      logLevel: 'silent',
    });
    const page = await browser.newPage();
    try {
      await page.goto(`${server.baseUrl}/healthz`);
      await page.addScriptTag({ content: bundle.outputFiles[0].text });
      const result = await page.evaluate(
        async ({ baseUrl, token, sessionId }) => {
          const { HttpClient, uploadFile, listFiles } = (window as any).v4hFiles;
          const tokens = { accessToken: async () => token, canRefresh: () => false, refresh: async () => token };
          const http = new HttpClient(baseUrl, fetch.bind(window), tokens);
          const bytes = new Uint8Array(8 * 1024 * 1024);
          for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
          const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
          const progress: Array<{ loaded: number; total: number }> = [];
          const file = new File([bytes], 'consultation.webm', { type: 'video/webm;codecs=vp8,opus' });
          const stored = await uploadFile({ http, tokens, fetch }, sessionId, file, { onProgress: (p: { loaded: number; total: number }) => progress.push(p) });
          const listed = await listFiles(http, sessionId);
          const video = document.createElement('video');
          return {
            stored,
            digest,
            progress,
            listed: listed.length,
            usedXhr: typeof XMLHttpRequest === 'function',
            videoCanPlay: video.canPlayType('video/webm'),
          };
        },
        { baseUrl: server.baseUrl, token: owner.accessToken, sessionId },
      );
      expect(result.usedXhr).toBe(true);
      expect(result.stored).toMatchObject({ name: 'consultation.webm', size: 8 * 1024 * 1024, sha256: result.digest });
      expect(result.progress.length).toBeGreaterThan(0);
      expect(result.progress.at(-1)).toEqual({ loaded: 8 * 1024 * 1024, total: 8 * 1024 * 1024 });
      expect(result.listed).toBe(1);
    } finally {
      await page.close();
    }
  });
});
