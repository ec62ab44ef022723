// The event channel over real HTTP on both databases: who may follow a conference, what the stream carries,
// resuming with Last-Event-ID, and delivery from a change made by another app on the same database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, createTestDatabase, JITSI_TEST_ENV, type TestApp } from '../test-support/test-app.js';

const env = { ...JITSI_TEST_ENV, V4H_EVENT_POLL_INTERVAL_MS: '100' };
const apps: TestApp[] = [];
const streams: AbortController[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.abort();
  while (apps.length) await apps.pop()!.close();
});

async function post(t: TestApp, auth: Record<string, string>, p: string, body: unknown = {}) {
  const res = await fetch(`${t.baseUrl}${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

interface SseEvent {
  id: string;
  event: string;
  data: { sessionId: string; seq: number; type: string; at: string; hash: string; data: Record<string, unknown> };
}

/** Opens the stream; `events` fills as they arrive. */
async function follow(t: TestApp, sessionId: string, headers: Record<string, string>) {
  const controller = new AbortController();
  streams.push(controller);
  const res = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/events`, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  let ended = false;
  if (res.status === 200) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const field = (name: string) => block.match(new RegExp(`^${name}: ?(.*)$`, 'm'))?.[1];
            const data = field('data');
            if (data) events.push({ id: field('id')!, event: field('event')!, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted
      }
      ended = true;
    })();
  }
  return { res, events, closed: () => ended, close: () => controller.abort() };
}

describe('conference event stream', () => {
  it('answers 401 without a token, 403 to a stranger, 404 for an unknown id, 400 for a bad Last-Event-ID', async () => {
    const t = await createTestApp({ env });
    apps.push(t);
    const ana = await t.userSession();
    const eve = await t.userSession();
    const { body } = await post(t, ana.auth, '/api/conferences');
    expect((await follow(t, body.sessionId, {})).res.status).toBe(401);
    const stranger = await follow(t, body.sessionId, eve.auth);
    expect(stranger.res.status).toBe(403);
    expect((await stranger.res.json()).error).toBe('forbidden');
    expect((await follow(t, 'no-such-conference', ana.auth)).res.status).toBe(404);
    const bad = await follow(t, body.sessionId, { ...ana.auth, 'last-event-id': 'x1' });
    expect(bad.res.status).toBe(400);
    expect((await follow(t, body.sessionId, { ...ana.auth, 'last-event-id': '999' })).res.status).toBe(400);
  });

  it('tells the owner and a participant who joined that the owner ended it, without names', async () => {
    const t = await createTestApp({ env });
    apps.push(t);
    const ana = await t.userSession();
    const bob = await t.userSession();
    const { body } = await post(t, ana.auth, '/api/conferences');
    const id = body.sessionId as string;
    await post(t, ana.auth, `/api/conferences/${id}/start`, { displayName: 'Dr. Ana Lima' });
    const joined = await post(t, bob.auth, `/api/conferences/${id}/join`, { displayName: 'Bob Souza' });
    expect(joined.status).toBe(200);
    // Bob follows right after join, before his presence is reported: the issued token lets him.
    const owner = await follow(t, id, ana.auth);
    const participant = await follow(t, id, bob.auth);
    expect(owner.res.status).toBe(200);
    expect(owner.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(participant.res.status).toBe(200);

    await post(t, ana.auth, `/api/conferences/${id}/guest-url`, { name: 'Carla Guest' });
    await post(t, bob.auth, `/api/conferences/${id}/presence`, { event: 'joined', presenceToken: joined.body.presenceToken });
    expect((await post(t, ana.auth, `/api/conferences/${id}/end`)).status).toBe(200);

    for (const stream of [owner, participant]) {
      await expect.poll(() => stream.events.map((e) => e.event), { timeout: 10_000 }).toEqual(['guest_link_issued', 'joined', 'ended']);
      const ended = stream.events[2];
      expect(ended.data).toMatchObject({ sessionId: id, type: 'ended', data: { reason: 'owner' } });
      expect(ended.id).toBe(String(ended.data.seq));
      expect(ended.data.hash).toMatch(/^[0-9a-f]{64}$/);
      const text = JSON.stringify(stream.events);
      for (const name of ['Ana', 'Bob', 'Carla', ana.username, bob.username]) expect(text).not.toContain(name);
      expect(stream.events[0].data.data).toHaveProperty('guestId');
    }
    // The stored log agrees with what was sent.
    const rows = await t.db.kysely.selectFrom('conference_events').select(['seq', 'hash']).where('session_id', '=', id).orderBy('seq').execute();
    expect(rows.at(-1)).toEqual({ seq: owner.events[2].data.seq, hash: owner.events[2].data.hash });
  });

  it('resumes after Last-Event-ID, and a late subscriber to an ended conference still gets its end', async () => {
    const t = await createTestApp({ env });
    apps.push(t);
    const ana = await t.userSession();
    const { body } = await post(t, ana.auth, '/api/conferences');
    const id = body.sessionId as string;
    await post(t, ana.auth, `/api/conferences/${id}/start`);
    const first = await follow(t, id, ana.auth);
    await post(t, ana.auth, `/api/conferences/${id}/guest-url`, { name: 'x' });
    await expect.poll(() => first.events.length, { timeout: 10_000 }).toBe(1);
    const lastId = first.events[0].id;
    first.close();
    // While nobody listens: two more events.
    await post(t, ana.auth, `/api/conferences/${id}/guest-url`, { name: 'y' });
    await post(t, ana.auth, `/api/conferences/${id}/end`);
    const resumed = await follow(t, id, { ...ana.auth, 'last-event-id': lastId });
    await expect.poll(() => resumed.events.map((e) => e.event), { timeout: 10_000 }).toEqual(['guest_link_issued', 'ended']);
    expect(Number(resumed.events[0].id)).toBe(Number(lastId) + 1);
    const byQuery = await fetch(`${t.baseUrl}/api/conferences/${id}/events?after=${lastId}`, { headers: ana.auth, signal: AbortSignal.timeout(2000) }).catch(
      () => null,
    );
    expect(byQuery?.status).toBe(200);
    const late = await follow(t, id, ana.auth);
    await expect.poll(() => late.events.map((e) => e.event), { timeout: 10_000 }).toEqual(['ended']);
  });

  it('delivers an end made by another app on the same database', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-events-'));
    const database = await createTestDatabase(dataDir);
    // One deployment: one public URL (the tokens' issuer) and one data dir (its secrets).
    const shared = { ...env, V4H_PUBLIC_URL: 'http://v4h.example.test' };
    const a = await createTestApp({ env: shared, dataDir, database });
    apps.push(a);
    const b = await createTestApp({ env: shared, dataDir, database });
    apps.push(b);
    const ana = await a.userSession();
    const bob = await a.userSession();
    const { body } = await post(a, ana.auth, '/api/conferences');
    const id = body.sessionId as string;
    await post(a, ana.auth, `/api/conferences/${id}/start`);
    await post(a, bob.auth, `/api/conferences/${id}/join`);
    const onB = await follow(b, id, bob.auth);
    expect(onB.res.status).toBe(200);
    await post(a, ana.auth, `/api/conferences/${id}/end`);
    await expect.poll(() => onB.events.map((e) => e.event), { timeout: 10_000 }).toEqual(['ended']);
  });

  it('closes the stream when its access token expires, and when the server closes', async () => {
    const t = await createTestApp({ env: { ...env, V4H_ACCESS_TOKEN_TTL: '2' } });
    apps.push(t);
    const ana = await t.userSession();
    const { body } = await post(t, ana.auth, '/api/conferences');
    const stream = await follow(t, body.sessionId, ana.auth);
    expect(stream.res.status).toBe(200);
    await expect.poll(() => stream.closed(), { timeout: 15_000 }).toBe(true);
    const fresh = await t.login(ana.username, ana.password);
    const again = await follow(t, body.sessionId, { authorization: `Bearer ${fresh.accessToken}` });
    expect(again.res.status).toBe(200);
    apps.pop();
    await t.close(); // does not wait for the open stream
    await expect.poll(() => again.closed(), { timeout: 5_000 }).toBe(true);
  });
});
