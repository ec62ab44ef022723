// Delivery against a real receiver on 127.0.0.1: down for a while (connection refused, 500s, timeouts) then up →
// every event delivered, none lost, each conference's in order; a failing endpoint disabled past the threshold, with
// the reason shown; a delivery redelivered on request. Fast retries (V4H_WEBHOOKS_RETRY_BASE_MS) stand for real time.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { WebhookReceiver } from '../test-support/webhook-receiver.js';

const FAST = {
  V4H_WEBHOOKS_ALLOW_HTTP: 'true',
  V4H_WEBHOOKS_RETRY_BASE_MS: '20',
  V4H_WEBHOOKS_POLL_INTERVAL_MS: '20',
  V4H_WEBHOOKS_TIMEOUT: '1',
  V4H_ADMIN_USERNAME: 'root',
  V4H_ADMIN_PASSWORD: 'a long admin passphrase',
};

let t: TestApp | undefined;
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const r of receivers.splice(0)) await r.stop();
});

async function setUp(env: Record<string, string> = {}) {
  const receiver = new WebhookReceiver();
  receivers.push(receiver);
  await receiver.start();
  t = await createTestApp({ env: { ...FAST, ...env }, workers: true });
  await t.createUser('root', FAST.V4H_ADMIN_PASSWORD);
  const auth = { authorization: `Bearer ${(await t.login('root', FAST.V4H_ADMIN_PASSWORD)).accessToken}` };
  const app = t;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.baseUrl}${path}`, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return { receiver, api };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('webhook delivery', () => {
  it('a receiver down (refused, 500, timeouts) then up gets every event, each conference in order', async () => {
    const { receiver, api } = await setUp();
    const hook = await api('POST', '/api/webhooks', { url: receiver.url, events: ['conference.requested', 'conference.started', 'conference.ended'] });
    expect(hook.status).toBe(201);
    // Down: nobody listens (connection refused) while conferences come and go.
    await receiver.stop();
    const sessions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await api('POST', '/api/conferences', {});
      sessions.push(c.body.sessionId);
      expect((await api('POST', `/api/conferences/${c.body.sessionId}/start`, {})).status).toBe(200);
    }
    await sleep(300);
    // Back, but failing: 500s, then answers that never come (timeouts), while more events are logged.
    await receiver.start();
    receiver.mode = { answer: 'status', status: 500 };
    for (const id of sessions.slice(0, 2)) expect((await api('POST', `/api/conferences/${id}/end`, {})).status).toBe(200);
    await sleep(300);
    receiver.mode = { answer: 'hang' };
    for (const id of sessions.slice(2)) expect((await api('POST', `/api/conferences/${id}/end`, {})).status).toBe(200);
    await sleep(1500);
    expect(receiver.received).toHaveLength(0);
    const failing = (await api('GET', '/api/webhooks')).body.items[0];
    expect(failing.consecutiveFailures).toBeGreaterThan(0);
    expect(failing.enabled).toBe(true);
    const pending = (await api('GET', `/api/webhooks/${hook.body.id}/deliveries?status=pending`)).body.items;
    expect(pending.length).toBe(12);
    expect(pending.some((d: { lastError: string | null }) => /refused|HTTP 500|timeout/.test(d.lastError ?? ''))).toBe(true);

    receiver.mode = { answer: 'ok' };
    await receiver.waitFor(() => new Set(receiver.events().map((e) => `${e.sessionId}/${e.eventSeq}`)).size === 12, 20_000);
    for (const sessionId of sessions) {
      const types: string[] = [];
      for (const e of receiver.events()) if (e.sessionId === sessionId && !types.includes(e.type)) types.push(e.type);
      expect(types).toEqual(['conference.requested', 'conference.started', 'conference.ended']);
      const seqs = receiver
        .events()
        .filter((e) => e.sessionId === sessionId)
        .map((e) => e.eventSeq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    // The receiver may see the last one before the worker has recorded its answer.
    let after: { status: string; attempts: number }[] = [];
    for (const until = Date.now() + 5000; Date.now() < until; await sleep(20)) {
      after = (await api('GET', `/api/webhooks/${hook.body.id}/deliveries?limit=100`)).body.items;
      if (after.every((d) => d.status === 'delivered') && (await api('GET', '/api/webhooks')).body.items[0].consecutiveFailures === 0) break;
    }
    expect(after.filter((d) => d.status !== 'delivered')).toEqual([]);
    expect(Math.max(...after.map((d) => d.attempts))).toBeGreaterThan(1);
    expect((await api('GET', '/api/webhooks')).body.items[0]).toMatchObject({ consecutiveFailures: 0, failingSince: null });
  });

  it('an endpoint failing past the threshold is disabled, its admins see why, and enabling it sends what waited', async () => {
    const { receiver, api } = await setUp({ V4H_WEBHOOKS_DISABLE_AFTER: '0' });
    receiver.mode = { answer: 'status', status: 503 };
    const hook = await api('POST', '/api/webhooks', { url: receiver.url, events: ['conference.requested'] });
    for (let i = 0; i < 12; i++) await api('POST', '/api/conferences', {});
    const until = Date.now() + 15_000;
    let webhook = (await api('GET', `/api/webhooks/${hook.body.id}`)).body;
    while (webhook.enabled && Date.now() < until) {
      await sleep(50);
      webhook = (await api('GET', `/api/webhooks/${hook.body.id}`)).body;
    }
    expect(webhook.enabled).toBe(false);
    expect(webhook.disabledReason).toMatch(/^failing since .*attempts in a row.*HTTP 503/);
    // Disabled: new events are not queued for it.
    const before = (await api('GET', `/api/webhooks/${hook.body.id}/deliveries?limit=200`)).body.items.length;
    await api('POST', '/api/conferences', {});
    expect((await api('GET', `/api/webhooks/${hook.body.id}/deliveries?limit=200`)).body.items.length).toBe(before);
    receiver.mode = { answer: 'ok' };
    const enabled = await api('PATCH', `/api/webhooks/${hook.body.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    // What was queued before it was disabled (it may have been disabled before the last conferences) goes out now.
    expect(before).toBeGreaterThan(0);
    await receiver.waitFor(() => receiver.received.length === before);
  });

  it('redelivers one delivery on request, with the same event id', async () => {
    const { receiver, api } = await setUp();
    const hook = await api('POST', '/api/webhooks', { url: receiver.url, events: ['conference.requested'] });
    await api('POST', '/api/conferences', {});
    await receiver.waitFor(() => receiver.received.length === 1);
    // The worker records the answer just after the receiver has it.
    let [delivery] = (await api('GET', `/api/webhooks/${hook.body.id}/deliveries`)).body.items;
    for (const until = Date.now() + 5000; delivery.status !== 'delivered' && Date.now() < until; await sleep(20)) {
      [delivery] = (await api('GET', `/api/webhooks/${hook.body.id}/deliveries`)).body.items;
    }
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200, type: 'conference.requested', eventSeq: 1 });
    const again = await api('POST', `/api/webhooks/${hook.body.id}/deliveries/${delivery.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ redeliveryOf: delivery.id, status: 'pending', eventId: delivery.eventId });
    await receiver.waitFor(() => receiver.received.length === 2);
    expect(receiver.events()[1].id).toBe(receiver.events()[0].id);
    expect((await api('POST', `/api/webhooks/${hook.body.id}/deliveries/999999/redeliver`)).status).toBe(404);
  });
});
