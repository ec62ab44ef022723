// Built-in room network quality: getStats() sampling gives each tile an indicator and the embedding page
// networkQualityChanged; each page's call summary reaches GET /api/conferences/:id/quality after the leave.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomHarness, type RoomEvent } from './support/room-harness.js';

const h = new RoomHarness();
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '4', V4H_ROOM_GRACE_PERIOD: '3' });
});
afterAll(async () => {
  await h.stop();
});

const numberOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

function expectShape(e: RoomEvent, participantId: string) {
  expect(Object.keys(e.data).sort()).toEqual(['bitrateKbps', 'packetLoss', 'participantId', 'reasons', 'rttMs', 'state']);
  expect(e.data.participantId).toBe(participantId);
  expect(['good', 'warning', 'bad']).toContain(e.data.state);
  expect(Array.isArray(e.data.reasons)).toBe(true);
  for (const key of ['rttMs', 'packetLoss', 'bitrateKbps']) expect(numberOrNull(e.data[key]), `${key}: ${e.data[key]}`).toBe(true);
}

describe('built-in room network quality', () => {
  it('marks each tile and tells the embedding page; the summaries of both pages are readable by the owner after the leave', async () => {
    const { owner: ownerUser, embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner', { extra: { lang: 'pt-BR' } });
    const ownerId = (await owner.waitForEvent('videoConferenceJoined')).data.id;
    const second = await h.joinAs(embed.sessionId, 'Pat Quixabeira');
    const patient = await h.open(second.embed, 'Pat Quixabeira');
    const patientId = (await patient.waitForEvent('videoConferenceJoined')).data.id;
    await patient.expectVideoFlowing();

    // On loopback every link is good: the event names the other participant, with its figures.
    const seenByOwner = await owner.waitForEvent('networkQualityChanged', (e) => e.data.state === 'good', 90_000);
    const seenByPatient = await patient.waitForEvent('networkQualityChanged', (e) => e.data.state === 'good', 90_000);
    expectShape(seenByOwner, patientId);
    expectShape(seenByPatient, ownerId);
    expect(seenByOwner.data.reasons).toEqual([]);
    for (const e of (await owner.events()).filter((x) => x.name === 'networkQualityChanged')) expectShape(e, patientId);

    // The indicator on the other's tile and on one's own (the worst link), labelled in the page's language.
    const frame = owner.meeting();
    await frame.waitForSelector(`.tile[data-participant="${patientId}"] .quality[data-state="good"]:not([hidden])`);
    // Our own tile shows the worst link (its caption is hidden while it floats as a small preview).
    await frame.waitForSelector('.tile[data-participant="local"] .quality[data-state="good"]:not([hidden])', { state: 'attached' });
    expect(await frame.getAttribute(`.tile[data-participant="${patientId}"] .quality`, 'aria-label')).toBe('Conexão boa');
    expect(await patient.meeting().getAttribute(`.tile[data-participant="${ownerId}"] .quality`, 'aria-label')).toBe('Good connection');
    await owner.page.screenshot({ path: new URL('room-pt-BR-quality.png', ARTIFACTS).pathname });

    // Let a few samples pass, then both leave: each page's summary goes with its leave.
    await new Promise((r) => setTimeout(r, 3000));
    await patient.command('hangup');
    await patient.waitForEvent('videoConferenceLeft');
    await owner.command('hangup');
    await owner.waitForEvent('videoConferenceLeft');

    const read = await h.api(`GET`, `/api/conferences/${embed.sessionId}/quality`, ownerUser.auth);
    expect(read.status).toBe(200);
    const byId = new Map(read.body.participants.map((p: { participantId: string }) => [p.participantId, p]));
    expect([...byId.keys()].sort()).toEqual([ownerId, patientId].sort());
    for (const p of byId.values() as Iterable<any>) {
      expect(p.samples).toBeGreaterThan(0);
      expect(p.seconds.good).toBeGreaterThan(0);
      expect(p.seconds.good + p.seconds.warning + p.seconds.bad).toBeCloseTo(p.durationSeconds, 0);
      expect(p.packetLoss.max).toBeLessThanOrEqual(1);
      expect(p.bitrateKbps.avg).toBeGreaterThan(0);
    }
    // Numbers and participant ids only: no names in what the API returns.
    expect(JSON.stringify(read.body)).not.toMatch(/Quixabeira|Owner/);
    // The patient may not read it.
    expect((await h.api('GET', `/api/conferences/${embed.sessionId}/quality`, second.user.auth)).status).toBe(403);
  }, 240_000);

  it('shows the indicator at 390 px on the meeting page opened from a link', async () => {
    const { embed } = await h.startConference();
    const host = await h.open(embed, 'Dr Owner');
    await host.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    for (const lang of ['en', 'pt-BR']) {
      const phone = await h.openDirect(second.embed, { viewport: { width: 390, height: 844 }, lang });
      await phone.waitForSelector('main[data-state="in-call"]');
      await phone.waitForSelector('.tile:not(.local) .quality[data-state]:not([hidden])', { timeout: 30_000 });
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: new URL(`room-${lang}-390-quality.png`, ARTIFACTS).pathname });
      await phone.click('#hangup');
      await phone.waitForSelector('main[data-state="left"]');
    }
  }, 240_000);
});
