// Who is who in the built-in room (issue 15): the account or guest mark beside every name, the participants panel,
// the moderator removing people (kickParticipant, Remove), in pt-BR and English, on a 390×844 phone and a desktop;
// screenshots as artifacts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { RoomHarness, type Embed } from './support/room-harness.js';

const h = new RoomHarness();
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await h.start({ V4H_ROOM_MAX_PARTICIPANTS: '4', V4H_ROOM_GRACE_PERIOD: '3' });
});
afterAll(async () => {
  await h.stop();
});

/** The owner's conference with bob in it as "Dr. Alice" and a guest link for "Pat". */
async function consultation() {
  const { owner, embed } = await h.startConference();
  const bob = await h.app.userSession(`bob-${Date.now().toString(36)}`);
  const joined = await h.api<Embed>('POST', `/api/conferences/${embed.sessionId}/join`, bob.auth, { displayName: 'Dr. Alice' });
  const link = await h.api<{ url: string }>('POST', `/api/conferences/${embed.sessionId}/guest-url`, owner.auth, { name: 'Pat' });
  const url = new URL(link.body.url);
  const guest: Embed = { ...embed, roomName: url.pathname.slice(1), jwt: url.searchParams.get('jwt')! };
  return { owner, embed, bob, bobEmbed: joined.body, guest };
}

/** Each tile's name and account mark, as the page shows them. */
const tiles = (page: Page) =>
  page.$$eval('.tile', (els) =>
    els.map((el) => ({
      name: el.querySelector('.name')?.textContent,
      account: el.querySelector('.account')?.textContent,
      guest: el.querySelector('.account')?.classList.contains('guest'),
      label: el.getAttribute('aria-label'),
    })),
  );

describe('who is who in the room', () => {
  it('shows the account beside a typed name and marks guests, in English and pt-BR, on phones and a desktop (screenshots)', async () => {
    const c = await consultation();
    // One call, both languages: the owner on a pt-BR desktop, bob on an English phone, the guest on a pt-BR phone.
    const desktop = await h.openDirect(c.embed, { viewport: { width: 1280, height: 800 }, locale: 'pt-BR' });
    await desktop.waitForSelector('main[data-state="waiting"]');
    const enPhone = await h.openDirect(c.bobEmbed, { viewport: { width: 390, height: 844 }, locale: 'en' });
    const ptPhone = await h.openDirect(c.guest, { viewport: { width: 390, height: 844 }, locale: 'pt-BR' });
    for (const page of [desktop, enPhone, ptPhone])
      await page.waitForFunction(() => document.querySelectorAll('.tile').length === 3, null, { timeout: 60_000 });
    for (const page of [desktop, enPhone, ptPhone])
      await page.waitForFunction(() => [...document.querySelectorAll('video')].every((v) => v.readyState >= 2), null, { timeout: 60_000 });

    const seen = await tiles(desktop);
    // "Dr. Alice" is visibly bob; the guest carries the guest mark; the owner's own tile shows its account too.
    expect(seen).toContainEqual(expect.objectContaining({ name: 'Dr. Alice', account: c.bob.username, guest: false }));
    expect(seen).toContainEqual(expect.objectContaining({ name: 'Pat', account: 'Convidado', guest: true }));
    expect(seen).toContainEqual(expect.objectContaining({ account: c.owner.username, guest: false }));
    expect(seen.find((s) => s.name === 'Dr. Alice')!.label).toBe(`Dr. Alice, conta ${c.bob.username}`);
    expect(seen.find((s) => s.name === 'Pat')!.label).toBe('Pat, link de convidado');
    const english = await tiles(enPhone);
    expect(english).toContainEqual(expect.objectContaining({ name: 'Pat', account: 'Guest', guest: true }));
    expect(english).toContainEqual(expect.objectContaining({ name: 'Dr. Alice (you)', account: c.bob.username }));
    await desktop.screenshot({ path: new URL('room-people-pt-BR-desktop.png', ARTIFACTS).pathname });
    await enPhone.screenshot({ path: new URL('room-people-en-phone.png', ARTIFACTS).pathname });
    await ptPhone.screenshot({ path: new URL('room-people-pt-BR-phone.png', ARTIFACTS).pathname });
    // Where there is room (the desktop's tiles), the mark is never cut short (on a phone a long one may be).
    expect(await desktop.$$eval('.tile .account', (els) => els.filter((el) => el.scrollWidth > el.clientWidth).length)).toBe(0);

    // The participants panel lists everyone with their account; on the phone it covers the stage.
    for (const [page, lang] of [
      [enPhone, 'en'],
      [ptPhone, 'pt-BR'],
    ] as const) {
      await page.click('#people-toggle');
      const rows = await page.$$eval('#people-list li', (els) => els.map((el) => el.textContent));
      expect(rows).toHaveLength(3);
      expect(rows.join('|')).toContain(lang === 'en' ? `Dr. Alice (you)${c.bob.username}` : `Dr. Alice${c.bob.username}`);
      expect(rows.join('|')).toContain(lang === 'en' ? 'PatGuest' : 'Pat (você)Convidado');
      expect(await page.textContent('#people-toggle')).toBe(`${lang === 'en' ? 'Participants' : 'Participantes'} (3)`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: new URL(`room-people-${lang}-phone-panel.png`, ARTIFACTS).pathname });
    }
  }, 300_000);

  it('lets the moderator remove a guest (kickParticipant) and a user (Remove in the panel); their tokens are refused after (screenshots)', async () => {
    const c = await consultation();
    const owner = await h.open(c.embed, 'Dr Owner');
    const ownerJoined = await owner.waitForEvent('videoConferenceJoined');
    const guest = await h.openDirect(c.guest, { viewport: { width: 390, height: 844 }, locale: 'pt-BR' });
    const bob = await h.openDirect(c.bobEmbed, { viewport: { width: 390, height: 844 }, locale: 'en' });
    const guestJoined = await owner.waitForEvent('participantJoined', (e) => e.data.displayName === 'Pat');
    await owner.waitForEvent('participantJoined', (e) => e.data.displayName === 'Dr. Alice');
    // Not the moderator: bob's page has no Remove buttons.
    await bob.click('#people-toggle');
    expect(await bob.locator('#people-list button.remove').count()).toBe(0);

    await owner.command('kickParticipant', guestJoined.data.id);
    const kicked = await owner.waitForEvent('participantKickedOut');
    expect(kicked.data).toEqual({ kicked: { id: guestJoined.data.id, local: false }, kicker: { id: ownerJoined.data.id } });
    await owner.waitForEvent('participantLeft', (e) => e.data.id === guestJoined.data.id);
    await guest.waitForSelector('#refused:not([hidden])');
    expect(await guest.textContent('#refused-title')).toBe('Você foi removido desta chamada');
    await guest.screenshot({ path: new URL('room-people-pt-BR-phone-removed.png', ARTIFACTS).pathname });
    // The same link again: refused (before the fix it walked back in).
    const again = await h.openDirect(c.guest, { viewport: { width: 390, height: 844 }, locale: 'pt-BR' });
    await again.waitForSelector('#refused:not([hidden])');
    expect(await again.textContent('#refused-title')).toBe('Você foi removido desta chamada');

    // The owner's own panel: Remove, then "Remove … for good?", then bob is out.
    const frame = owner.meeting();
    await frame.click('#people-toggle');
    const remove = frame.locator('#people-list li', { hasText: 'Dr. Alice' }).locator('button.remove');
    await remove.click();
    expect(await remove.textContent()).toBe('Remove Dr. Alice for good?');
    await owner.page.screenshot({ path: new URL('room-people-en-desktop-remove.png', ARTIFACTS).pathname });
    await remove.click();
    await bob.waitForSelector('#refused:not([hidden])');
    expect(await bob.textContent('#refused-title')).toBe('You were removed from this call');
    await bob.screenshot({ path: new URL('room-people-en-phone-removed.png', ARTIFACTS).pathname });
    await owner.waitForEvent('participantKickedOut', (e) => e.data.kicked.id !== guestJoined.data.id);
    expect(await owner.call('getNumberOfParticipants')).toBe(1);
    const rejoin = await h.api('POST', `/api/conferences/${c.embed.sessionId}/join`, c.bob.auth, {});
    expect(rejoin.status).toBe(403);
  }, 300_000);
});
