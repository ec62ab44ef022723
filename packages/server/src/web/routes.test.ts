// Web delivery: the SDK script and demo with ETag/304, cache headers, CSP, and a clear 503 when the client is not built.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../errors.js';
import { webRoutes } from './routes.js';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

let dist: string;
let app: FastifyInstance;

async function appWith(clientDist: string) {
  const instance = Fastify({ logger: false });
  instance.setErrorHandler(errorHandler);
  await instance.register(webRoutes, { jitsiUrl: 'https://meet.example.org:8443', clientDist });
  return instance;
}

beforeAll(async () => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-web-'));
  fs.mkdirSync(path.join(dist, 'demo'));
  fs.writeFileSync(path.join(dist, 'v4h.js'), 'var V4H=1;\n//# sourceMappingURL=v4h.js.map\n');
  fs.writeFileSync(path.join(dist, 'v4h.js.map'), '{"version":3}');
  fs.writeFileSync(path.join(dist, 'features.js'), 'export const listFiles=1;\n');
  fs.writeFileSync(path.join(dist, 'demo/index.html'), '<!doctype html><title>demo</title>');
  fs.writeFileSync(path.join(dist, 'demo/demo.js'), 'void 0');
  fs.writeFileSync(path.join(dist, 'demo/demo.css'), 'body{}');
  fs.mkdirSync(path.join(dist, 'visit'));
  fs.writeFileSync(path.join(dist, 'visit/index.html'), '<!doctype html><title>visit</title>');
  fs.writeFileSync(path.join(dist, 'visit/visit.js'), 'void 2');
  fs.writeFileSync(path.join(dist, 'visit/visit.css'), 'main{}');
  app = await appWith(dist);
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dist, { recursive: true, force: true });
});

describe('web routes', () => {
  // Issue 16 item 12: /favicon.ico was a 404 on every page view.
  it('answers /favicon.ico with 204 and a day of caching, not 404', async () => {
    const res = await app.inject('/favicon.ico');
    expect(res.statusCode).toBe(204);
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
  });

  it('serves /v4h.js with a strong ETag, a revalidating cache policy and open CORS', async () => {
    const res = await app.inject('/v4h.js');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('var V4H=1');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers.etag).toMatch(/^"[\w-]{27}"$/);
    expect(res.headers['cache-control']).toBe('public, max-age=300, must-revalidate');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const again = await app.inject({ url: '/v4h.js', headers: { 'if-none-match': `W/"other", ${res.headers.etag}` } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await app.inject({ url: '/v4h.js', headers: { 'if-none-match': '"stale"' } })).statusCode).toBe(200);
  });

  it('serves the source map and answers HEAD', async () => {
    const map = await app.inject('/v4h.js.map');
    expect([map.statusCode, map.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
    expect((await app.inject({ method: 'HEAD', url: '/v4h.js' })).statusCode).toBe(200);
  });

  it('serves the lazily loaded features module as /v4h-features.js (importable from any origin)', async () => {
    const res = await app.inject('/v4h-features.js');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body).toContain('listFiles');
  });

  it('picks up a rebuilt file (new ETag)', async () => {
    const before = (await app.inject('/demo/demo.js')).headers.etag;
    fs.writeFileSync(path.join(dist, 'demo/demo.js'), 'void 1; // rebuilt');
    const after = await app.inject('/demo/demo.js');
    expect(after.body).toContain('rebuilt');
    expect(after.headers.etag).not.toBe(before);
  });

  it('serves the demo page with a CSP allowing only itself and the Jitsi origin', async () => {
    const res = await app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self' https://meet.example.org:8443");
    expect(csp).toContain('frame-src https://meet.example.org:8443');
    expect(csp).toContain("connect-src 'self'");
    expect((await app.inject('/demo/demo.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('serves the guest page at /visit/ with the CSP of the demo, and sends /visit there with its query', async () => {
    const res = await app.inject('/visit/');
    expect([res.statusCode, res.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(res.body).toContain('<title>visit</title>');
    expect(String(res.headers['content-security-policy'])).toContain('frame-src https://meet.example.org:8443');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const bare = await app.inject('/visit?lang=pt-BR');
    expect([bare.statusCode, bare.headers.location]).toEqual([301, '/visit/?lang=pt-BR']);
    expect((await app.inject('/visit/visit.js')).body).toBe('void 2');
    expect((await app.inject('/visit/visit.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 503 with a clear message when the client is not built', async () => {
    const empty = await appWith(path.join(dist, 'missing'));
    const res = await empty.inject('/v4h.js');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'service_unavailable', message: expect.stringContaining('npm run build') });
    await empty.close();
  });
});

describe('web routes in the real app', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(() => testApp.close());

  it('are registered: the SDK is served over HTTP (or 503 when packages/client is not built)', async () => {
    const res = await fetch(`${testApp.baseUrl}/v4h.js`);
    const built = fs.existsSync(path.resolve(import.meta.dirname, '../../../client/dist/v4h.js'));
    expect(res.status).toBe(built ? 200 : 503);
    if (built) expect(await res.text()).toContain('JitsiMeetExternalAPI');
  });
});
