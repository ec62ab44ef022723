// The request log carries no personal data: no file names, guest names or query strings; probes are logged at debug.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { buildApp } from '../app.js';
import { AuthService } from '../auth/service.js';
import { loggerOptions } from '../logging.js';
import { systemClock } from '../lib/clock.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../test-support/test-app.js';

let database: MigratedTestDatabase | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  await database?.destroy();
  app = undefined;
  database = undefined;
});

async function loggedApp() {
  database = await createMigratedTestDatabase('logs');
  const config = resolveSecrets(loadConfig({ V4H_DATA_DIR: database.dir, V4H_DATABASE_URL: database.url, V4H_LOG_LEVEL: 'info' }));
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write: (chunk, _e, cb) => (
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      ),
      cb()
    ),
  });
  app = await buildApp({ config, db: database.db, logger: { ...loggerOptions('info'), stream } });
  await new AuthService({ db: database.db, clock: systemClock, config }).createUser('doctor', 'doctor-password');
  const { accessToken } = (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'doctor', password: 'doctor-password' } })).json();
  return { app, lines, auth: { authorization: `Bearer ${accessToken}` } };
}

describe('request log privacy', () => {
  // Issue 15 item 14: `…&name=HIV%20test%20result…` was written in the request line of an upload.
  it('an upload, a guest link and its opening leave no file name, guest name or query string in the log', async () => {
    const { app, lines, auth } = await loggedApp();
    const { sessionId } = (await app.inject({ method: 'POST', url: '/api/conferences', headers: auth, payload: {} })).json();
    const uploaded = await app.inject({
      method: 'POST',
      url: `/api/conferences/${sessionId}/files?kind=attachment&name=HIV%20test%20result.pdf`,
      headers: { ...auth, 'content-type': 'application/pdf' },
      payload: Buffer.from('%PDF-1.4 result'),
    });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const guest = await app.inject({ method: 'POST', url: `/api/conferences/${sessionId}/guest-url`, headers: auth, payload: { name: 'Maria Guestname' } });
    expect(guest.statusCode, guest.body).toBe(200);
    const link = new URL(guest.json().url);
    await app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    const { items } = (await app.inject({ method: 'GET', url: `/api/conferences/${sessionId}/files`, headers: auth })).json();
    const download = new URL(items[0].url);
    expect((await app.inject({ method: 'GET', url: `${download.pathname}${download.search}` })).statusCode).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));

    const text = JSON.stringify(lines);
    expect(lines.filter((l) => l.msg === 'request completed').length).toBeGreaterThanOrEqual(6);
    for (const secret of ['HIV', 'test%20result', 'Maria', 'Guestname', 'name=', 'jwt=', 'signature=', 'expires=']) expect(text).not.toContain(secret);
    const uploadLine = lines.find((l) => (l.req as { url?: string } | undefined)?.url?.endsWith('/files?[redacted]'));
    expect(uploadLine, 'the upload is logged by path, its query redacted').toBeDefined();
  });

  // Issue 16: a probe every few seconds filled the info log.
  it('/healthz and /readyz answers are logged at debug, not info', async () => {
    const { app, lines } = await loggedApp();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    const urls = lines.filter((l) => l.msg === 'request completed').map((l) => (l.req as { url: string }).url);
    expect(urls).toContain('/openapi.json');
    expect(urls).not.toContain('/healthz');
    expect(urls).not.toContain('/readyz');
  });
});
