// followConference against a real local SSE server: events in order, reconnect with Last-Event-ID and a renewed
// token after a drop, a 401 renews the token, a 403 stops for good.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { followConference } from './server-events.js';

const servers: http.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.closeAllConnections?.() ?? s.close()));

function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/events`)));
}

it('reconnects after a drop with Last-Event-ID and the current token; renews after a 401; stops on 403', async () => {
  const seen: { auth?: string; lastId?: string }[] = [];
  let token = 't1';
  const got: [string, unknown][] = [];
  const url = await serve((req, res) => {
    seen.push({ auth: req.headers.authorization, lastId: req.headers['last-event-id'] as string | undefined });
    const n = seen.length;
    if (n === 1) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Split across writes mid-event: the parser must wait for the blank line.
      res.write('retry: 2000\n\nid: 4\nevent: joined\ndata: {"seq":4}\n\nid: 5\nevent: le');
      setTimeout(() => res.end('ft\ndata: {"seq":5}\n\n'), 50);
    } else if (n === 2) {
      res.writeHead(401).end();
    } else if (n === 3) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(': keep-alive\n\nid: 6\nevent: ended\ndata: {"seq":6,"data":{"reason":"owner"}}\n\n');
    } else {
      res.writeHead(403).end();
    }
  });
  const tokens = {
    accessToken: async () => token,
    canRefresh: () => true,
    refresh: async () => (token = 't2'),
  };
  followConference(url, fetch, tokens, (type, event) => got.push([type, event]));
  await expect.poll(() => seen.length, { timeout: 15_000 }).toBe(4);
  expect(got).toEqual([
    ['joined', { seq: 4 }],
    ['left', { seq: 5 }],
    ['ended', { seq: 6, data: { reason: 'owner' } }],
  ]);
  expect(seen).toEqual([
    { auth: 'Bearer t1', lastId: undefined },
    { auth: 'Bearer t1', lastId: '5' },
    { auth: 'Bearer t2', lastId: '5' },
    { auth: 'Bearer t2', lastId: '6' },
  ]);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(seen).toHaveLength(4); // 403: no further attempt
}, 30_000);

it('stops when told to', async () => {
  let requests = 0;
  const url = await serve((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': hello\n\n');
  });
  const stop = followConference(url, fetch, { accessToken: async () => 'x', canRefresh: () => false, refresh: async () => 'x' }, () => {});
  await expect.poll(() => requests).toBe(1);
  stop();
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(requests).toBe(1);
});
