// Webhooks across a crash: the server is killed with -9 while deliveries are in flight (the receiver holds them
// unanswered); after a restart on the same data every event is delivered, in order per conference, none lost.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { call, deployment, login, type Dialect } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A receiver that holds requests unanswered while `holding`, and records what it answered 200. */
async function receiver() {
  const state = { holding: true, seen: 0, delivered: [] as { sessionId: string; eventSeq: number; type: string }[] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      state.seen++;
      if (state.holding) return; // in flight until the sender gives up or dies
      state.delivered.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { state, url };
}

describe('webhooks and kill -9', () => {
  for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
    it(`${dialect}: deliveries in flight when the server dies are delivered after the restart, in order`, async () => {
      const admin = { username: 'root', password: 'a long admin passphrase' };
      const d = await deployment(dialect, {
        V4H_ADMIN_USERNAME: admin.username,
        V4H_ADMIN_PASSWORD: admin.password,
        V4H_WEBHOOKS_ALLOW_HTTP: 'true',
        V4H_WEBHOOKS_TIMEOUT: '1',
        V4H_WEBHOOKS_RETRY_BASE_MS: '50',
        V4H_WEBHOOKS_POLL_INTERVAL_MS: '50',
        V4H_CONFERENCE_ID_REQUESTS_PER_MINUTE: '1000000',
      });
      cleanups.push(() => d.destroy());
      const hook = await receiver();
      let server = await d.start();
      let token = (await login(server.url, admin)).accessToken;
      const created = await call(server.url, 'POST', '/api/webhooks', {
        token,
        body: { url: hook.url, events: ['conference.requested', 'conference.started', 'conference.ended'] },
      });
      expect(created.status).toBe(201);
      const sessions: string[] = [];
      for (let i = 0; i < 12; i++) {
        const conference = await call(server.url, 'POST', '/api/conferences', { token, body: {} });
        expect(conference.status).toBe(201);
        sessions.push(conference.body.sessionId);
        await call(server.url, 'POST', `/api/conferences/${conference.body.sessionId}/start`, { token, body: {} });
        await call(server.url, 'POST', `/api/conferences/${conference.body.sessionId}/end`, { token, body: {} });
      }
      // Deliveries are out and unanswered: kill the server in the middle of them.
      const until = Date.now() + 10_000;
      while (hook.state.seen < 3 && Date.now() < until) await sleep(20);
      expect(hook.state.seen, 'deliveries in flight at the kill').toBeGreaterThan(0);
      await server.kill();
      expect(hook.state.delivered).toHaveLength(0);

      hook.state.holding = false;
      server = await d.start();
      token = (await login(server.url, admin)).accessToken;
      const expected = sessions.length * 3;
      const deadline = Date.now() + 60_000;
      const distinct = () => new Set(hook.state.delivered.map((e) => `${e.sessionId}/${e.eventSeq}`)).size;
      while (distinct() < expected && Date.now() < deadline) await sleep(50);
      expect(distinct(), 'every event delivered').toBe(expected);
      // Per conference, first deliveries arrive in the order of the events (a repeat may follow: at least once).
      for (const sessionId of sessions) {
        const firsts: number[] = [];
        for (const e of hook.state.delivered) if (e.sessionId === sessionId && !firsts.includes(e.eventSeq)) firsts.push(e.eventSeq);
        expect(hook.state.delivered.filter((e) => e.sessionId === sessionId).map((e) => e.type)[0]).toBe('conference.requested');
        expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
      }
      // The worker records a delivery once the receiver has answered: the last ones' status follows within moments.
      const undelivered = async () =>
        (await call(server.url, 'GET', `/api/webhooks/${created.body.id}/deliveries?limit=200`, { token })).body.items.filter(
          (x: { status: string }) => x.status !== 'delivered',
        );
      await expect.poll(undelivered, { timeout: 15_000, interval: 200 }).toEqual([]);
      await server.stop();
    });
  }
});
