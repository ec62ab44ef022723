// GET /api/conferences/:id/quality: the summaries pages reported, to the owner and the admin only, numbers and ids only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { QualityService } from './service.js';

const ADMIN = 'quality-admin';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { V4H_ADMIN_USERNAME: ADMIN, V4H_ADMIN_PASSWORD: 'admin-password-0123456789' } });
});
afterAll(() => t?.close());

const get = async (url: string, auth: Record<string, string> = {}) => {
  const res = await fetch(`${t.baseUrl}${url}`, { headers: auth });
  return { status: res.status, body: await res.json() };
};

const summary = (samples: number) => ({
  durationSeconds: samples * 2,
  samples,
  seconds: { good: samples * 2 - 4, warning: 4, bad: 0 },
  rttMs: { avg: 3, max: 9 },
  packetLoss: { avg: 0.001, max: 0.01 },
  bitrateKbps: { avg: 950, min: 420 },
});

describe('call quality summaries', () => {
  it('are stored per participant (a later report replaces the earlier) and read by the owner and the admin', async () => {
    const owner = await t.userSession();
    const other = await t.userSession();
    const admin = await t.userSession(ADMIN);
    const { sessionId } = await (
      await fetch(`${t.baseUrl}/api/conferences`, { method: 'POST', headers: { ...owner.auth, 'content-type': 'application/json' }, body: '{}' })
    ).json();
    expect((await get(`/api/conferences/${sessionId}/quality`, owner.auth)).body).toEqual({ sessionId, participants: [] });

    const quality = new QualityService({ db: t.db, clock: { now: () => Date.now() } });
    await quality.save(sessionId, 'r-first', summary(10));
    await quality.save(sessionId, 'r-second', summary(20));
    await quality.save(sessionId, 'r-first', summary(30));

    const read = await get(`/api/conferences/${sessionId}/quality`, owner.auth);
    expect(read.status).toBe(200);
    expect(read.body.sessionId).toBe(sessionId);
    expect(read.body.participants.map((p: { participantId: string; samples: number }) => [p.participantId, p.samples])).toEqual([
      ['r-first', 30],
      ['r-second', 20],
    ]);
    expect(read.body.participants[0]).toEqual({ participantId: 'r-first', reportedAt: expect.any(Number), ...summary(30) });
    expect((await get(`/api/conferences/${sessionId}/quality`, admin.auth)).body).toEqual(read.body);

    expect((await get(`/api/conferences/${sessionId}/quality`, other.auth)).status).toBe(403);
    expect((await get(`/api/conferences/${sessionId}/quality`)).status).toBe(401);
    expect((await get(`/api/conferences/no-such-conference/quality`, owner.auth)).status).toBe(404);
    const bad = await get(`/api/conferences/${encodeURIComponent('bad id!')}/quality`, owner.auth);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  });
});
