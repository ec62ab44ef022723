// V4H.verifyWebhook: accepts what the server's scheme signs (t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>), any
// matching v1 of several (a rotation), and refuses a changed body, a wrong secret, an old or malformed header.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { V4H } from './index.js';

const secret = 'whsec_test-secret';
const body = JSON.stringify({
  id: 'evt_1',
  type: 'conference.ended',
  createdAt: '2026-01-01T09:00:00.000Z',
  organisationId: 'default',
  sessionId: 's1',
  data: {},
});
const sign = (s: string, t: number, text = body) => createHmac('sha256', s).update(`${t}.${text}`).digest('hex');
const now = Date.UTC(2026, 0, 1, 9, 0, 0);
const t = now / 1000;

describe('V4H.verifyWebhook', () => {
  it('returns the event when a v1 matches, from text or bytes', async () => {
    expect(await V4H.verifyWebhook(body, `t=${t},v1=${sign(secret, t)}`, secret, { now })).toMatchObject({ type: 'conference.ended', sessionId: 's1' });
    expect(await V4H.verifyWebhook(new TextEncoder().encode(body), `t=${t},v1=${sign(secret, t)}`, secret, { now })).toMatchObject({ id: 'evt_1' });
    // During a rotation: the new secret's v1, then the old one's; either secret verifies.
    const both = `t=${t},v1=${sign('whsec_new', t)},v1=${sign(secret, t)}`;
    expect(await V4H.verifyWebhook(body, both, secret, { now })).toMatchObject({ id: 'evt_1' });
    expect(await V4H.verifyWebhook(body, both, 'whsec_new', { now })).toMatchObject({ id: 'evt_1' });
  });

  it('refuses a changed body, a wrong secret, an old signature and a malformed header with invalid_signature', async () => {
    const header = `t=${t},v1=${sign(secret, t)}`;
    const refusals = [
      () => V4H.verifyWebhook(body.replace('ended', 'endeD'), header, secret, { now }),
      () => V4H.verifyWebhook(body, header, 'whsec_other', { now }),
      () => V4H.verifyWebhook(body, header, secret, { now: now + 301_000 }),
      () => V4H.verifyWebhook(body, `t=${t}`, secret, { now }),
      () => V4H.verifyWebhook(body, `v1=${sign(secret, t)}`, secret, { now }),
      () => V4H.verifyWebhook(body, undefined, secret, { now }),
      // The signature of another time does not pass for this one.
      () => V4H.verifyWebhook(body, `t=${t + 1},v1=${sign(secret, t)}`, secret, { now }),
    ];
    for (const refusal of refusals) await expect(refusal()).rejects.toMatchObject({ name: 'V4HError', code: 'invalid_signature' });
    // A wider tolerance accepts the older one.
    expect(await V4H.verifyWebhook(body, header, secret, { now: now + 301_000, toleranceSeconds: 600 })).toMatchObject({ id: 'evt_1' });
  });
});
