// A graceful restart mid-call (SIGTERM, then a new process on the same port) keeps a built-in room call going.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './support/browser.js';
import { HOST_PAGE, Participant, STATS_HOOK, type Embed } from './support/room-harness.js';
import { freePort, startServerProcess } from '../../bench/lib/processes.js';
import { call, createUsers, login, withDatabase } from '../../bench/lib/fixtures.js';

const GRACE_SECONDS = 6;
const RESTART_DELAY_MS = (GRACE_SECONDS + 2) * 1000;
let browser: Browser;
let hostServer: http.Server;
let hostUrl: string;
let dataDir: string;

beforeAll(async () => {
  if (!fs.existsSync(new URL('../../packages/server/dist/server.js', import.meta.url))) throw new Error('run `npm run build` first');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-restart-'));
  hostServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HOST_PAGE));
  await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
  hostUrl = `http://127.0.0.1:${(hostServer.address() as AddressInfo).port}/host.html`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => hostServer?.close(resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function open(embed: Embed, displayName: string) {
  const context = await browser.newContext();
  await context.addInitScript(STATS_HOOK);
  const page = await context.newPage();
  await page.goto(hostUrl);
  await page.evaluate(([e, n]) => (window as any).openCall(e, n, {}), [embed, displayName] as const);
  return new Participant(page, context);
}

describe('built-in room across a graceful restart', () => {
  it('SIGTERM and a restart slower than the grace period: both pages reconnect, nobody is recorded as left, the conference goes on', async () => {
    const port = await freePort();
    const databaseUrl = `sqlite:${path.join(dataDir, 'v4h.sqlite')}`;
    const env = {
      V4H_DATA_DIR: dataDir,
      V4H_DATABASE_URL: databaseUrl,
      V4H_TOKEN_SECRET: randomBytes(32).toString('base64url'),
      V4H_PUBLIC_URL: `http://127.0.0.1:${port}`,
      V4H_ROOM_GRACE_PERIOD: String(GRACE_SECONDS),
      V4H_LOG_LEVEL: 'info',
    };
    const [doctor, patient] = await createUsers(databaseUrl, dataDir, 2, 'restart-');
    let server = await startServerProcess({ env, port });
    try {
      const doctorTokens = await login(server.url, doctor);
      const patientTokens = await login(server.url, patient);
      const { sessionId } = (await call(server.url, 'POST', '/api/conferences', { token: doctorTokens.accessToken, body: {} })).body;
      const started = await call(server.url, 'POST', `/api/conferences/${sessionId}/start`, { token: doctorTokens.accessToken, body: {} });
      const joined = await call(server.url, 'POST', `/api/conferences/${sessionId}/join`, { token: patientTokens.accessToken, body: {} });
      const a = await open(started.body, 'Dr A');
      const b = await open(joined.body, 'Pat B');
      await a.waitForEvent('participantJoined');
      await b.waitForEvent('participantJoined');
      await a.expectVideoFlowing();

      const first = server;
      for (const p of [a, b]) {
        await p.meeting().evaluate(() => {
          const w = window as any;
          w.__closeCodes = [];
          for (const socket of w.__sockets) socket.addEventListener('close', (e: CloseEvent) => w.__closeCodes.push(e.code));
        });
      }
      const reconnecting = Promise.all([a, b].map((p) => p.meeting().waitForSelector('main[data-state="reconnecting"]', { timeout: 20_000 })));
      await first.stop(); // SIGTERM, waits for the exit
      const firstOutput = first.output();
      await reconnecting;
      // The pages were told to reconnect (1012 Service Restart), not that anyone left.
      for (const p of [a, b]) expect(await p.meeting().evaluate(() => (window as any).__closeCodes)).toContain(1012);
      // A restart slower than the grace period (a deploy, a rebuild): the grace period runs from when the server is back.
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      server = await startServerProcess({ env, port });

      // Back in the call on the new process, with media flowing both ways again.
      for (const p of [a, b]) await p.meeting().waitForSelector('main[data-state="in-call"]', { timeout: 30_000 });
      for (const p of [a, b]) {
        const { first: before, later } = await p.expectVideoFlowing();
        expect(later.frames).toBeGreaterThan(before.frames);
      }
      // Past the grace period (and the orphan sweep after it) the call still goes on.
      await new Promise((resolve) => setTimeout(resolve, (GRACE_SECONDS + 7) * 1000));
      for (const p of [a, b]) {
        expect(await p.meeting().getAttribute('main', 'data-state')).toBe('in-call');
        const names = (await p.events()).map((e) => e.name);
        expect(names).not.toContain('participantLeft');
        expect(names).not.toContain('videoConferenceLeft');
        expect(names.filter((n) => n === 'videoConferenceJoined')).toHaveLength(1);
      }
      const details = await call(server.url, 'GET', `/api/conferences/${sessionId}`, { token: doctorTokens.accessToken });
      expect(details.body.state).toBe('started');
      expect(firstOutput).not.toMatch(/last_participant_left/);
      await server.stop();
      const types = await withDatabase(databaseUrl, async (db: any) =>
        (await db.kysely.selectFrom('conference_events').select('type').where('session_id', '=', sessionId).execute()).map((r: any) => r.type),
      );
      expect(types).not.toContain('left');
      expect(types).not.toContain('ended');
      for (const p of [a, b]) await p.context.close();
    } finally {
      await server.kill().catch(() => {});
    }
  }, 240_000); // fixed waits of ~21 s, two server starts and three media checks: slow on a busy machine
});
