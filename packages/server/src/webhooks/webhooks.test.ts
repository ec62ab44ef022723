// Webhook endpoints over real HTTP: registration (https only, no private addresses), the secret shown once and kept
// wrapped, signatures a receiver checks with the documented recipe and with V4H.verifyWebhook, rotation, and SSRF.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { WebhookReceiver } from '../test-support/webhook-receiver.js';
import { WebhookAddressPolicy } from './address-policy.js';
import { WebhookSender } from './sender.js';

// The SDK as published (its ESM build, `npm run build`): V4H.verifyWebhook is what receivers call.
type VerifyWebhook = (raw: string, header: string, secret: string, o?: { toleranceSeconds?: number; now?: number }) => Promise<Record<string, unknown>>;
const sdk = (await import(new URL('../../../client/dist/index.js', import.meta.url).href)) as { V4H: { verifyWebhook: VerifyWebhook } };
const verifyWebhook = sdk.V4H.verifyWebhook;

const FAST = {
  V4H_WEBHOOKS_ALLOW_HTTP: 'true',
  V4H_WEBHOOKS_RETRY_BASE_MS: '20',
  V4H_WEBHOOKS_POLL_INTERVAL_MS: '20',
  V4H_WEBHOOKS_TIMEOUT: '1',
};

let t: TestApp;
let admin: { authorization: string };
let member: { authorization: string };
const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
  t = await createTestApp({ env: { ...FAST, V4H_ADMIN_USERNAME: 'root', V4H_ADMIN_PASSWORD: 'a long admin passphrase' }, workers: true });
  await t.createUser('root', 'a long admin passphrase');
  admin = { authorization: `Bearer ${(await t.login('root', 'a long admin passphrase')).accessToken}` };
  member = (await t.userSession()).auth;
});
afterAll(async () => {
  await t?.close();
  await receiver.stop();
});
afterEach(() => {
  receiver.received.length = 0;
  receiver.mode = { answer: 'ok' };
});

async function api(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The documented Node recipe (docs/webhooks.md), as a receiver would write it. */
function verifyAsDocumented(rawBody: string, header: string, secret: string): boolean {
  const parts = header.split(',').map((p) => p.split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return parts.some(([k, v]) => k === 'v1' && v.length === 64 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

describe('webhook endpoints', () => {
  it('an admin registers one; the secret is shown once and stored wrapped; others cannot see or change it', async () => {
    const created = await api('POST', '/api/webhooks', admin, { url: receiver.url, events: ['conference.requested'], description: 'EHR' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.body.webhook).toMatchObject({ url: receiver.url, events: ['conference.requested'], enabled: true, organisationId: 'default' });
    const listed = await api('GET', '/api/webhooks', admin);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    // At rest: neither the secret nor its bytes in the clear.
    const row = await t.db.kysely.selectFrom('webhooks').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    const raw = created.body.secret.slice('whsec_'.length);
    expect(JSON.stringify(row)).not.toContain(raw);
    expect(row.secret.length).toBeGreaterThan(40);
    // A plain member: not an admin of the organisation.
    expect((await api('POST', '/api/webhooks', member, { url: receiver.url, events: ['conference.ended'] })).status).toBe(403);
    expect((await api('GET', '/api/webhooks', member)).status).toBe(403);
    expect((await api('GET', `/api/webhooks/${created.body.id}`, member)).status).toBe(404);
    expect((await api('DELETE', `/api/webhooks/${created.body.id}`, member)).status).toBe(404);
    expect((await api('DELETE', `/api/webhooks/${created.body.id}`, admin)).status).toBe(204);
    expect((await api('GET', `/api/webhooks/${created.body.id}`, admin)).status).toBe(404);
  });

  it('refuses URLs that are not https (http only to localhost), private addresses, credentials and unknown events', async () => {
    const refused = [
      { url: 'http://ehr.example.org/hook', events: ['conference.ended'] },
      { url: 'ftp://ehr.example.org/hook', events: ['conference.ended'] },
      { url: 'https://10.0.0.7/hook', events: ['conference.ended'] },
      { url: 'https://169.254.169.254/latest/meta-data', events: ['conference.ended'] },
      { url: 'https://[::ffff:192.168.1.1]/hook', events: ['conference.ended'] },
      { url: 'https://[fd00::1]/hook', events: ['conference.ended'] },
      { url: 'https://user:pw@ehr.example.org/hook', events: ['conference.ended'] },
    ];
    for (const body of refused) {
      const res = await api('POST', '/api/webhooks', admin, body);
      expect(res.status, body.url).toBe(400);
      expect(res.body.error).toBe('bad_request');
    }
    expect((await api('POST', '/api/webhooks', admin, { url: 'https://ehr.example.org/hook', events: ['conference.nope'] })).status).toBe(400);
    expect((await api('POST', '/api/webhooks', admin, { url: 'https://ehr.example.org/hook', events: [] })).status).toBe(400);
  });

  it('signs every delivery: the documented recipe and V4H.verifyWebhook accept it, a changed body is refused', async () => {
    const created = await api('POST', '/api/webhooks', admin, {
      url: receiver.url,
      events: ['conference.requested', 'conference.started', 'conference.ended'],
    });
    const secret: string = created.body.secret;
    const conference = await api('POST', '/api/conferences', admin, {});
    expect(conference.status).toBe(201);
    const sessionId: string = conference.body.sessionId;
    await receiver.waitFor(() => receiver.events().some((e) => e.sessionId === sessionId));
    const got = receiver.received.find((r) => JSON.parse(r.body).sessionId === sessionId)!;
    const header = got.headers['v4h-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyAsDocumented(got.body, header, secret)).toBe(true);
    expect(verifyAsDocumented(got.body.replace('requested', 'requestex'), header, secret)).toBe(false);
    const event = await verifyWebhook(got.body, header, secret);
    expect(event).toMatchObject({ type: 'conference.requested', organisationId: 'default', sessionId, eventSeq: 1 });
    await expect(verifyWebhook(got.body, header, 'whsec_wrong')).rejects.toMatchObject({ code: 'invalid_signature' });
    await expect(verifyWebhook(got.body, header, secret, { now: Date.now() + 3_600_000 })).rejects.toMatchObject({ code: 'invalid_signature' });
    // The logged event's seq and hash, as the manifest will hold them; ids, no names.
    const logged = await t.db.kysely
      .selectFrom('conference_events')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('seq', '=', 1)
      .executeTakeFirstOrThrow();
    expect(event.eventHash).toBe(logged.hash);
    expect(event.id).toBe(got.headers['v4h-event-id']);
    expect(got.body).not.toContain('root');
    await api('DELETE', `/api/webhooks/${created.body.id}`, admin);
  });

  it('during a rotation both secrets sign; after the overlap only the new one', async () => {
    const created = await api('POST', '/api/webhooks', admin, { url: receiver.url, events: ['conference.requested'] });
    const oldSecret: string = created.body.secret;
    const rotated = await api('POST', `/api/webhooks/${created.body.id}/rotate-secret`, admin, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.body.secret;
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.body.webhook.previousSecretExpiresAt).not.toBeNull();
    const first = await api('POST', '/api/conferences', admin, {});
    await receiver.waitFor(() => receiver.events().some((e) => e.sessionId === first.body.sessionId));
    const during = receiver.received.find((r) => JSON.parse(r.body).sessionId === first.body.sessionId)!;
    const header = during.headers['v4h-signature'] as string;
    expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifyAsDocumented(during.body, header, oldSecret)).toBe(true);
    expect(verifyAsDocumented(during.body, header, newSecret)).toBe(true);
    await verifyWebhook(during.body, header, oldSecret);
    // No overlap: the old secret stops at once.
    await api('POST', `/api/webhooks/${created.body.id}/rotate-secret`, admin, { overlapSeconds: 0 });
    const latest = (await api('GET', `/api/webhooks/${created.body.id}`, admin)).body;
    expect(latest.previousSecretExpiresAt).toBeNull();
    await api('DELETE', `/api/webhooks/${created.body.id}`, admin);
  });
});

describe('SSRF', () => {
  it('a name resolving to loopback, link-local or private addresses is refused at delivery; nothing is sent', async () => {
    const strict = new WebhookAddressPolicy({ allowHttp: false, allowedNetworks: [] });
    const zone: Record<string, string[]> = {
      'evil.test': ['127.0.0.1'],
      'meta.test': ['169.254.169.254'],
      'mixed.test': ['93.184.216.34', '10.1.2.3'],
      'v6.test': ['::1'],
    };
    const resolve = async (host: string) => (zone[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const sender = new WebhookSender({ policy: strict, resolve, timeoutMs: 1000 });
    for (const host of Object.keys(zone)) {
      const outcome = await sender.send(new URL(`https://${host}:${new URL(receiver.url).port}/hook`), '{}', {});
      expect(outcome, host).toMatchObject({ ok: false, refused: true });
    }
    // `localhost` itself (the system resolver) without V4H_WEBHOOKS_ALLOW_HTTP: loopback, refused.
    const viaDns = new WebhookSender({ policy: strict, resolve: (await import('./address-policy.js')).systemResolve, timeoutMs: 1000 });
    expect(await viaDns.send(new URL(`https://localhost:${new URL(receiver.url).port}/hook`), '{}', {})).toMatchObject({ ok: false, refused: true });
    expect(receiver.received).toHaveLength(0);
    // Allowed on purpose (V4H_WEBHOOKS_ALLOWED_NETWORKS): the resolved address is the one connected to (pinned).
    const allowed = new WebhookSender({
      policy: new WebhookAddressPolicy({ allowHttp: false, allowedNetworks: ['127.0.0.1/32'] }),
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      timeoutMs: 1000,
    });
    const outcome = await allowed.send(new URL(`http://ehr.internal.test:${new URL(receiver.url).port}/hook`), '{"x":1}', {});
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(receiver.received).toHaveLength(1);
    for (const s of [sender, viaDns, allowed]) s.close();
  });

  it('a redirect is not followed: the delivery fails and its target receives nothing', async () => {
    const target = new WebhookReceiver();
    await target.start();
    receiver.mode = { answer: 'redirect', location: target.url };
    const created = await api('POST', '/api/webhooks', admin, { url: receiver.url, events: ['conference.requested'] });
    await api('POST', '/api/conferences', admin, {});
    let deliveries: { attempts: number; lastError: string | null; lastStatus: number | null }[] = [];
    await receiver.waitFor(() => false, 1).catch(() => {});
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      deliveries = (await api('GET', `/api/webhooks/${created.body.id}/deliveries`, admin)).body.items;
      if (deliveries[0]?.attempts) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(deliveries[0]).toMatchObject({ lastStatus: 302 });
    expect(deliveries[0].lastError).toContain('redirect not followed');
    expect(target.received).toHaveLength(0);
    await api('DELETE', `/api/webhooks/${created.body.id}`, admin);
    await target.stop();
  });
});
