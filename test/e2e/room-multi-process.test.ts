// Two V4H processes on one PostgreSQL database and one Redis (V4H_REDIS_URL), two Chromium participants each on its
// own process: they see and hear each other (video decoded both ways); when one process is killed, the other
// participant sees the leave. Needs PostgreSQL and Redis at 127.0.0.1 (fails, never skips, when they are down).
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
import { call, createUsers, freshDatabase, login } from '../../bench/lib/fixtures.js';

const REDIS_URL = process.env.V4H_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// Long enough that a page opened slowly on a busy machine finds its call still on (the sweeper ends a started call
// whose room stays empty for the grace period).
const GRACE_SECONDS = 10;
let browser: Browser;
let hostServer: http.Server;
let hostUrl: string;
let dataDir: string;
let database: { url: string; destroy(): Promise<void> };

beforeAll(async () => {
  if (!fs.existsSync(new URL('../../packages/server/dist/server.js', import.meta.url))) throw new Error('run `npm run build` first');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-room-mp-'));
  database = await freshDatabase('postgres', dataDir);
  hostServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HOST_PAGE));
  await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
  hostUrl = `http://127.0.0.1:${(hostServer.address() as AddressInfo).port}/host.html`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => hostServer?.close(resolve));
  await database?.destroy();
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

/**
 * Two server processes on the shared database and Redis, each at its own address (as a load balancer would send each
 * page to either), an owner signed in on the first and another user on the second, and a conference the owner started
 * on the first and the other joined on the second.
 */
async function twoProcessesInOneCall(prefix: string) {
  const shared = {
    V4H_DATA_DIR: dataDir,
    V4H_DATABASE_URL: database.url,
    V4H_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    V4H_REDIS_URL: REDIS_URL,
    V4H_ROOM_GRACE_PERIOD: String(GRACE_SECONDS),
    V4H_LOG_LEVEL: 'warn',
  };
  const [owner, other] = await createUsers(database.url, dataDir, 2, prefix);
  const ports = [await freePort(), await freePort()];
  const one = await startServerProcess({ env: { ...shared, V4H_PUBLIC_URL: `http://127.0.0.1:${ports[0]}` }, port: ports[0] });
  const two = await startServerProcess({ env: { ...shared, V4H_PUBLIC_URL: `http://127.0.0.1:${ports[1]}` }, port: ports[1] });
  const stop = async () => {
    await one.kill().catch(() => {});
    await two.kill().catch(() => {});
  };
  try {
    const ownerTokens = await login(one.url, owner);
    const otherTokens = await login(two.url, other);
    const { sessionId } = (await call(one.url, 'POST', '/api/conferences', { token: ownerTokens.accessToken, body: {} })).body;
    const started = await call(one.url, 'POST', `/api/conferences/${sessionId}/start`, { token: ownerTokens.accessToken, body: {} });
    const joined = await call(two.url, 'POST', `/api/conferences/${sessionId}/join`, { token: otherTokens.accessToken, body: {} });
    return { one, two, ports, started, joined, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

describe('built-in room across two processes (Redis)', () => {
  it('participants on different processes decode each other’s video; killing one process, the other sees the leave', async () => {
    const { two, ports, started, joined, stop } = await twoProcessesInOneCall('room-mp-');
    try {
      expect(new URL(started.body.scriptUrl).port).toBe(String(ports[0]));
      expect(new URL(joined.body.scriptUrl).port).toBe(String(ports[1]));
      const a = await open(started.body, 'Dr A');
      const b = await open(joined.body, 'Pat B');
      const aJoined = await a.waitForEvent('videoConferenceJoined');
      const bJoined = await b.waitForEvent('videoConferenceJoined');
      expect((await a.waitForEvent('participantJoined')).data.id).toBe(bJoined.data.id);
      expect((await b.waitForEvent('participantJoined')).data.id).toBe(aJoined.data.id);
      for (const p of [a, b]) {
        const { first, later } = await p.expectVideoFlowing();
        expect(later.frames).toBeGreaterThan(first.frames);
      }

      // The patient's process is killed (SIGKILL): the doctor's page sees the patient leave after the grace period.
      await two.kill();
      const left = await a.waitForEvent('participantLeft', (e) => e.data.id === bJoined.data.id, (GRACE_SECONDS + 20) * 1000);
      expect(left.data.id).toBe(bJoined.data.id);
      expect((await a.events()).map((e) => e.name)).not.toContain('videoConferenceLeft');
      for (const p of [a, b]) await p.context.close();
    } finally {
      await stop();
    }
  }, 300_000);

  it('the owner’s page on one process kicks a participant on the other: that page is told and leaves, and its token stays out of both', async () => {
    const { started, joined, stop } = await twoProcessesInOneCall('room-mp-kick-');
    try {
      const a = await open(started.body, 'Dr A');
      const b = await open(joined.body, 'Col B');
      const aJoined = await a.waitForEvent('videoConferenceJoined', undefined, 30_000);
      const bJoined = await b.waitForEvent('videoConferenceJoined', undefined, 30_000);
      await a.waitForEvent('participantJoined', (e) => e.data.id === bJoined.data.id, 30_000);

      await a.command('kickParticipant', bJoined.data.id);
      const told = await b.waitForEvent('participantKickedOut', undefined, 30_000);
      expect(told.data).toEqual({ kicked: { id: bJoined.data.id, local: true }, kicker: { id: aJoined.data.id } });
      await b.waitForEvent('videoConferenceLeft', undefined, 30_000);
      const seen = await a.waitForEvent('participantKickedOut', undefined, 30_000);
      expect(seen.data).toEqual({ kicked: { id: bJoined.data.id, local: false }, kicker: { id: aJoined.data.id } });
      await a.waitForEvent('participantLeft', (e) => e.data.id === bJoined.data.id, 30_000);

      // The same token on either process: refused (the meeting page reports it as Jitsi would).
      for (const embed of [joined.body, { ...joined.body, scriptUrl: started.body.scriptUrl, domain: started.body.domain }]) {
        const again = await open(embed, 'Col B');
        const refused = await again.waitForEvent('errorOccurred', undefined, 30_000);
        expect(JSON.stringify(refused.data)).toContain('removed');
        expect((await again.events()).map((e) => e.name)).not.toContain('videoConferenceJoined');
        await again.context.close();
      }
      expect(await a.call('getNumberOfParticipants')).toBe(1);
      for (const p of [a, b]) await p.context.close();
    } finally {
      await stop();
    }
  }, 300_000);
});
