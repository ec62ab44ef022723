// Who may manage an organisation's webhooks, over real HTTP with real receivers on 127.0.0.1: its admins (not only
// the instance admin), its API keys within their scopes (webhooks:read, webhooks:write), never a member, never another
// organisation's admin or key; and an organisation's conference events reach its own endpoints only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { WebhookReceiver } from '../test-support/webhook-receiver.js';
import { addMember, addOrganisation, jsonRequest } from '../apikeys/test-support.js';

const ENV = {
  V4H_WEBHOOKS_ALLOW_HTTP: 'true',
  V4H_WEBHOOKS_RETRY_BASE_MS: '20',
  V4H_WEBHOOKS_POLL_INTERVAL_MS: '20',
  V4H_WEBHOOKS_TIMEOUT: '1',
  V4H_ADMIN_USERNAME: 'root',
  V4H_ADMIN_PASSWORD: 'a long admin passphrase',
};
const EVENTS = ['conference.requested', 'conference.started', 'conference.ended'];

let t: TestApp;
const receiverA = new WebhookReceiver();
const receiverB = new WebhookReceiver();
/** Access tokens: admins and a plain member of clinic-a, an admin of clinic-b. */
let adminA: string;
let memberA: string;
let adminB: string;

beforeAll(async () => {
  await receiverA.start();
  await receiverB.start();
  t = await createTestApp({ env: ENV, workers: true });
  for (const org of ['clinic-a', 'clinic-b']) await addOrganisation(t.db, org);
  const session = async (org: string, role: 'admin' | 'member') => {
    const user = await t.createUser();
    await addMember(t.db, org, user.username, role);
    return (await t.login(user.username, user.password)).accessToken;
  };
  adminA = await session('clinic-a', 'admin');
  memberA = await session('clinic-a', 'member');
  adminB = await session('clinic-b', 'admin');
});
// Each test starts with no endpoint, even when the one before failed half-way (a leftover would double deliveries).
afterEach(async () => {
  await t.db.write(async (trx) => {
    await trx.deleteFrom('webhook_deliveries').execute();
    await trx.deleteFrom('webhook_outbox').execute();
    await trx.deleteFrom('webhook_subscriptions').execute();
    await trx.deleteFrom('webhooks').execute();
  });
});
afterAll(async () => {
  await t?.close();
  await receiverA.stop();
  await receiverB.stop();
});

const api = (method: string, path: string, token: string, body?: unknown) => jsonRequest(t, method, path, body, token);

/** A key of the organisation of the admin who creates it. */
async function key(admin: string, scopes: string[]): Promise<{ id: string; key: string }> {
  const created = await api('POST', '/api/apikeys', admin, { name: scopes.join(' '), scopes });
  expect(created.status).toBe(201);
  return { id: created.body.id as string, key: created.body.key as string };
}

/** The documented Node recipe (docs/webhooks.md). */
function verifies(rawBody: string, header: string, secret: string): boolean {
  const parts = header.split(',').map((p) => p.split('='));
  const ts = parts.find(([k]) => k === 't')?.[1];
  const expected = createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest();
  return parts.some(([k, v]) => k === 'v1' && v.length === 64 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

/** A conference of the user, requested, started and ended: three logged events. */
async function conferenceOf(token: string): Promise<string> {
  const made = await api('POST', '/api/conferences', token, {});
  expect(made.status).toBe(201);
  const sessionId = made.body.sessionId as string;
  expect((await api('POST', `/api/conferences/${sessionId}/start`, token, {})).status).toBe(200);
  expect((await api('POST', `/api/conferences/${sessionId}/end`, token, {})).status).toBe(200);
  return sessionId;
}

/** The endpoint's deliveries once `n` of them are recorded as delivered (the receiver sees one before it is recorded). */
async function delivered(token: string, id: string, n: number): Promise<{ id: string }[]> {
  const until = Date.now() + 15_000;
  for (;;) {
    const items = (await api('GET', `/api/webhooks/${id}/deliveries?status=delivered`, token)).body.items as { id: string }[];
    if (items.length >= n || Date.now() > until) return items;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every route on one endpoint, as [method, path, body]. */
const routesOf = (id: string, deliveryId = '1') =>
  [
    ['GET', `/api/webhooks/${id}`, undefined],
    ['PATCH', `/api/webhooks/${id}`, { description: 'taken over' }],
    ['POST', `/api/webhooks/${id}/rotate-secret`, { overlapSeconds: 0 }],
    ['GET', `/api/webhooks/${id}/deliveries`, undefined],
    ['POST', `/api/webhooks/${id}/deliveries/${deliveryId}/redeliver`, undefined],
    ['DELETE', `/api/webhooks/${id}`, undefined],
  ] as const;

describe('API keys on the webhook routes', () => {
  it('a key with webhooks:write registers and changes endpoints of its organisation; its deliveries verify', async () => {
    const writer = await key(adminA, ['webhooks:read', 'webhooks:write']);
    const created = await api('POST', '/api/webhooks', writer.key, { url: receiverA.url, events: EVENTS, description: 'EHR' });
    expect(created.status).toBe(201);
    expect(created.body.webhook).toMatchObject({ organisationId: 'clinic-a', enabled: true });
    const id = created.body.id as string;
    const row = await t.db.kysely.selectFrom('webhooks').select(['created_by']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.created_by).toBe(`apikey:${writer.id}`);
    expect((await api('GET', '/api/webhooks', writer.key)).body.items.map((w: { id: string }) => w.id)).toEqual([id]);
    expect((await api('PATCH', `/api/webhooks/${id}`, writer.key, { description: 'EHR 2' })).body.description).toBe('EHR 2');
    // Naming its own organisation is fine; another one is not.
    expect((await api('GET', '/api/webhooks?organisationId=clinic-a', writer.key)).status).toBe(200);
    const elsewhere = await api('GET', '/api/webhooks?organisationId=clinic-b', writer.key);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error).toBe('forbidden');
    expect((await api('POST', '/api/webhooks', writer.key, { url: receiverA.url, events: EVENTS, organisationId: 'clinic-b' })).status).toBe(403);

    const rotated = await api('POST', `/api/webhooks/${id}/rotate-secret`, writer.key, { overlapSeconds: 0 });
    expect(rotated.status).toBe(200);
    const secret = rotated.body.secret as string;
    const sessionId = await conferenceOf(adminA);
    await receiverA.waitFor(() => receiverA.events().filter((e) => e.sessionId === sessionId).length === 3);
    for (const got of receiverA.received.filter((r) => r.body.includes(sessionId))) {
      expect(verifies(got.body, got.headers['v4h-signature'] as string, secret)).toBe(true);
    }
    const deliveries = await api('GET', `/api/webhooks/${id}/deliveries`, writer.key);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.items).toHaveLength(3);
    const again = await api('POST', `/api/webhooks/${id}/deliveries/${deliveries.body.items[0].id}/redeliver`, writer.key);
    expect(again.status).toBe(202);
    expect((await api('DELETE', `/api/webhooks/${id}`, writer.key)).status).toBe(204);
    expect((await api('GET', `/api/webhooks/${id}`, adminA)).status).toBe(404);
  });

  it('a key without the scope is refused with 403 naming it, on every route', async () => {
    const hook = await api('POST', '/api/webhooks', adminA, { url: receiverA.url, events: EVENTS });
    const id = hook.body.id as string;
    const reader = await key(adminA, ['webhooks:read']);
    const conferencesOnly = await key(adminA, ['conferences:read', 'conferences:write']);
    // Reading: webhooks:read.
    expect((await api('GET', '/api/webhooks', reader.key)).status).toBe(200);
    expect((await api('GET', `/api/webhooks/${id}`, reader.key)).status).toBe(200);
    expect((await api('GET', `/api/webhooks/${id}/deliveries`, reader.key)).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/api/webhooks'],
      ['GET', `/api/webhooks/${id}`],
      ['GET', `/api/webhooks/${id}/deliveries`],
    ] as const) {
      const res = await api(method, path, conferencesOnly.key);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toMatchObject({ error: 'forbidden', message: expect.stringContaining('webhooks:read') });
    }
    // Changing: webhooks:write, which a reader lacks (and a key without it learns nothing, not even a 404).
    const writes = [['POST', '/api/webhooks', { url: receiverA.url, events: EVENTS }], ...routesOf(id).filter(([m]) => m !== 'GET')] as const;
    for (const [method, path, body] of [...writes, ...routesOf('wh_unknown').filter(([m]) => m !== 'GET')]) {
      const res = await api(method, path, reader.key, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toMatchObject({ error: 'forbidden', message: expect.stringContaining('webhooks:write') });
    }
    // Nothing changed.
    expect((await api('GET', `/api/webhooks/${id}`, adminA)).body).toMatchObject({ description: null, enabled: true });
    // A revoked key: 401 at once.
    await api('POST', `/api/apikeys/${reader.id}/revoke`, adminA);
    expect((await api('GET', '/api/webhooks', reader.key)).status).toBe(401);
    await api('DELETE', `/api/webhooks/${id}`, adminA);
  });

  it("a key of another organisation neither sees nor touches this organisation's endpoints (404, as for admins)", async () => {
    const hook = await api('POST', '/api/webhooks', adminA, { url: receiverA.url, events: EVENTS });
    const id = hook.body.id as string;
    const foreign = await key(adminB, ['webhooks:read', 'webhooks:write']);
    expect((await api('GET', '/api/webhooks', foreign.key)).body.items).toEqual([]);
    expect((await api('GET', '/api/webhooks?organisationId=clinic-a', foreign.key)).status).toBe(403);
    for (const [method, path, body] of routesOf(id)) {
      const res = await api(method, path, foreign.key, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toBe('not_found');
    }
    const still = await api('GET', `/api/webhooks/${id}`, adminA);
    expect(still.status).toBe(200);
    expect(still.body.description).toBeNull();
    await api('DELETE', `/api/webhooks/${id}`, adminA);
  });
});

describe("an organisation's admins and members", () => {
  it('an admin of the organisation (not the instance admin) manages its endpoints', async () => {
    const created = await api('POST', '/api/webhooks', adminA, { url: receiverA.url, events: EVENTS });
    expect(created.status).toBe(201);
    expect(created.body.webhook.organisationId).toBe('clinic-a');
    const id = created.body.id as string;
    expect((await api('GET', '/api/webhooks', adminA)).body.items.map((w: { id: string }) => w.id)).toEqual([id]);
    const patched = await api('PATCH', `/api/webhooks/${id}`, adminA, { events: ['conference.ended'], enabled: false });
    expect(patched.body).toMatchObject({ events: ['conference.ended'], enabled: false });
    expect((await api('PATCH', `/api/webhooks/${id}`, adminA, { events: EVENTS, enabled: true })).body.enabled).toBe(true);
    const rotated = await api('POST', `/api/webhooks/${id}/rotate-secret`, adminA, { overlapSeconds: 0 });
    expect(rotated.status).toBe(200);
    const sessionId = await conferenceOf(adminA);
    await receiverA.waitFor(() => receiverA.events().filter((e) => e.sessionId === sessionId).length === 3);
    const got = receiverA.received.find((r) => r.body.includes(sessionId))!;
    expect(verifies(got.body, got.headers['v4h-signature'] as string, rotated.body.secret as string)).toBe(true);
    const deliveries = await delivered(adminA, id, 3);
    expect(deliveries).toHaveLength(3);
    expect((await api('POST', `/api/webhooks/${id}/deliveries/${deliveries[0].id}/redeliver`, adminA)).status).toBe(202);
    expect((await api('DELETE', `/api/webhooks/${id}`, adminA)).status).toBe(204);
  });

  it('a member who is not an admin is refused: 403 to register or list, 404 for an endpoint', async () => {
    const hook = await api('POST', '/api/webhooks', adminA, { url: receiverA.url, events: EVENTS });
    const id = hook.body.id as string;
    for (const [method, path, body] of [
      ['POST', '/api/webhooks', { url: receiverA.url, events: EVENTS }],
      ['GET', '/api/webhooks', undefined],
      ['GET', '/api/webhooks?organisationId=clinic-a', undefined],
    ] as const) {
      const res = await api(method, path, memberA, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
    for (const [method, path, body] of routesOf(id)) expect((await api(method, path, memberA, body)).status, `${method} ${path}`).toBe(404);
    expect((await api('GET', `/api/webhooks/${id}`, adminA)).body.description).toBeNull();
    expect((await api('GET', '/api/webhooks', adminA)).body.items).toHaveLength(1);
    await api('DELETE', `/api/webhooks/${id}`, adminA);
  });
});

describe('organisation isolation', () => {
  it("an admin of A cannot list, change, delete or read deliveries of B's endpoints; B's events never reach A", async () => {
    const hookA = (await api('POST', '/api/webhooks', adminA, { url: receiverA.url, events: EVENTS })).body.id as string;
    const hookB = (await api('POST', '/api/webhooks', adminB, { url: receiverB.url, events: EVENTS })).body.id as string;
    const sessionB = await conferenceOf(adminB);
    const sessionA = await conferenceOf(adminA);
    await receiverB.waitFor(() => receiverB.events().filter((e) => e.sessionId === sessionB).length === 3);
    await receiverA.waitFor(() => receiverA.events().filter((e) => e.sessionId === sessionA).length === 3);
    const deliveryB = (await api('GET', `/api/webhooks/${hookB}/deliveries`, adminB)).body.items[0].id as string;

    // A's admin: B's organisation and endpoints are out of reach.
    expect((await api('GET', '/api/webhooks', adminA)).body.items.map((w: { id: string }) => w.id)).toEqual([hookA]);
    expect((await api('GET', '/api/webhooks?organisationId=clinic-b', adminA)).status).toBe(403);
    expect((await api('POST', '/api/webhooks', adminA, { url: receiverA.url, events: EVENTS, organisationId: 'clinic-b' })).status).toBe(403);
    for (const [method, path, body] of routesOf(hookB, deliveryB)) {
      const res = await api(method, path, adminA, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(receiverB.url);
    }
    // B's delivery through A's own endpoint: not A's either.
    expect((await api('POST', `/api/webhooks/${hookA}/deliveries/${deliveryB}/redeliver`, adminA)).status).toBe(404);
    const b = await api('GET', `/api/webhooks/${hookB}`, adminB);
    expect(b.body).toMatchObject({ enabled: true, description: null, url: receiverB.url });
    expect((await api('GET', `/api/webhooks/${hookB}/deliveries`, adminB)).body.items).toHaveLength(3);

    // Events: each organisation's to its own endpoint. The outbox is written with the event, so no row for A means
    // never sent to A; the receivers agree.
    const outbox = [
      ...(await t.db.kysely.selectFrom('webhook_deliveries').select(['webhook_id', 'session_id', 'organisation_id']).execute()),
      ...(await t.db.kysely.selectFrom('webhook_outbox').select(['webhook_id', 'session_id', 'organisation_id']).execute()),
    ];
    expect(outbox.filter((d) => d.webhook_id === hookA && d.session_id === sessionB)).toEqual([]);
    expect(outbox.filter((d) => d.webhook_id === hookB && d.session_id === sessionA)).toEqual([]);
    expect(receiverA.events().filter((e) => e.sessionId === sessionB)).toEqual([]);
    expect(receiverB.events().filter((e) => e.sessionId === sessionA)).toEqual([]);
    expect(new Set(receiverB.events().map((e) => (e as unknown as { organisationId: string }).organisationId))).toEqual(new Set(['clinic-b']));
    expect(receiverA.events().every((e) => (e as unknown as { organisationId: string }).organisationId === 'clinic-a')).toBe(true);
    for (const [token, id] of [
      [adminA, hookA],
      [adminB, hookB],
    ]) {
      await api('DELETE', `/api/webhooks/${id}`, token);
    }
  });
});
