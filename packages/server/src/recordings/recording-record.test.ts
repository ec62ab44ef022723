// The record of a recorded visit (issue 21), with the workers on: once the conference has ended and is sealed and
// anchored, its manifest lists every consent answer (ids, the SHA-256 and language of the text shown, no names) and
// the recording's SHA-256, and verifies with @v4h/protocol's verifier; a recording whose bytes were altered no longer
// matches the sealed hash, and a bundle altered to claim the new hash fails verification. Ending a conference while
// it records stops the recording first (`recording_stopped`, reason conference_ended, before `ended`, on the event
// channel too); what the recorder sends after the end is stored in an addendum.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, sha256 as webSha256, toHex, verifyBundle, type ManifestBundle, type ManifestEvent } from '@v4h/protocol/verify';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { getJson } from '../test-support/records-fixtures.js';
import { roomSocket } from '../test-support/room-socket.js';
import { sha256 } from '../test-support/storage.js';
import { DEFAULT_CONSENT_TEXTS } from './consent-texts.js';

type Auth = Record<string, string>;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ workers: true, env: { V4H_SEAL_DELAY: '0', V4H_ANCHOR_INTERVAL: '1', V4H_EVENT_POLL_INTERVAL_MS: '100' } });
});
afterAll(async () => t?.close());

async function send(method: string, path: string, auth: Auth, body?: unknown) {
  const raw = body instanceof Uint8Array;
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }) },
    body: body === undefined ? undefined : raw ? (body as BodyInit) : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const post = (path: string, auth: Auth, body: unknown = {}) => send('POST', path, auth, body);
const userId = async (username: string) => (await t.db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;

/** Polls the conference until its latest manifest is anchored; returns the bundle. */
async function anchoredBundle(sessionId: string, auth: Auth): Promise<ManifestBundle> {
  for (let i = 0; i < 300; i++) {
    const { body: bundle } = await getJson(`${t.baseUrl}/api/conferences/${sessionId}/manifest`, auth);
    const manifests = (bundle as ManifestBundle | undefined)?.manifests ?? [];
    if (manifests.length > 0 && bundle.unsealedEvents === 0 && manifests.every((m) => m.anchor.status === 'anchored')) return bundle as ManifestBundle;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`conference ${sessionId} was not sealed and anchored in time`);
}

describe('the record of a recorded visit', () => {
  it('lists the consents (ids, text hashes, languages, no names) and the recording’s SHA-256, verifies, and catches altered bytes', async () => {
    const owner = await t.userSession();
    const bob = await t.userSession();
    const GUEST_NAME = 'Patrícia Quaresma';
    const OWNER_NAME = 'Dra. Beatriz Onofre';
    const { sessionId } = (await post('/api/conferences', owner.auth, { waitingRoom: false })).body;
    const ownerEmbed = (await post(`/api/conferences/${sessionId}/start`, owner.auth, { displayName: OWNER_NAME })).body;
    const bobEmbed = (await post(`/api/conferences/${sessionId}/join`, bob.auth)).body;
    const link = (await post(`/api/conferences/${sessionId}/guest-url`, owner.auth, { name: GUEST_NAME })).body;
    const guestJwt = new URL(link.url).searchParams.get('jwt')!;
    const guest = { authorization: `Bearer ${guestJwt}` };
    const sockets = [await roomSocket(t.baseUrl), await roomSocket(t.baseUrl), await roomSocket(t.baseUrl)];
    for (const [socket, jwt] of [
      [sockets[0], ownerEmbed.jwt],
      [sockets[1], bobEmbed.jwt],
      [sockets[2], guestJwt],
    ] as const)
      expect((await socket.join(ownerEmbed.roomName, jwt)).type).toBe('joined');
    const subjects = { owner: `user:${await userId(owner.username)}`, bob: `user:${await userId(bob.username)}`, guest: `guest:${link.guestId}` };

    // Asked with the server's texts; bob agrees in English, the guest first declines in Portuguese, then agrees.
    const { requestId } = (await post(`/api/conferences/${sessionId}/consent-requests`, owner.auth, { purpose: 'recording' })).body;
    const answer = `/api/conferences/${sessionId}/consent-requests/${requestId}/answer`;
    expect((await post(answer, bob.auth, { accepted: true, locale: 'en' })).status).toBe(200);
    expect((await post(answer, guest, { accepted: false, locale: 'pt-BR' })).status).toBe(200);
    expect((await post(answer, guest, { accepted: true, locale: 'pt-BR' })).status).toBe(200);

    // Recorded in three chunks, stopped, completed.
    const started = await post(`/api/conferences/${sessionId}/recording/start`, owner.auth, { mimeType: 'video/webm' });
    expect(started.status).toBe(201);
    const base = `/api/conferences/${sessionId}/recordings/${started.body.recordingId}`;
    const chunks = [randomBytes(70_000), randomBytes(65_536), randomBytes(1234)];
    for (const [i, chunk] of chunks.entries()) expect((await send('PUT', `${base}/chunks/${i}`, owner.auth, chunk)).status).toBe(201);
    expect((await post(`/api/conferences/${sessionId}/recording/stop`, owner.auth)).status).toBe(200);
    const completed = await post(`${base}/complete`, owner.auth);
    expect(completed.status).toBe(201);
    const whole = Buffer.concat(chunks);
    expect(completed.body.sha256).toBe(sha256(whole));

    expect((await post(`/api/conferences/${sessionId}/end`, owner.auth)).status).toBe(200);
    for (const socket of sockets) socket.ws.close();
    const bundle = await anchoredBundle(sessionId, owner.auth);
    const key = fromBase64((await getJson(`${t.baseUrl}/.well-known/v4h-ledger.json`)).body.publicKey);
    const report = await verifyBundle(bundle, { ledgerKey: key });
    expect(report.failure).toBeNull();
    expect(report.ok).toBe(true);

    const events: ManifestEvent[] = bundle.manifests.flatMap((m) => m.manifest.events);
    const en = sha256(Buffer.from(DEFAULT_CONSENT_TEXTS.en));
    const pt = sha256(Buffer.from(DEFAULT_CONSENT_TEXTS['pt-BR']));
    const consents = events
      .filter((e) => e.type === 'consent_given' || e.type === 'consent_declined')
      .map((e) => ({ type: e.type, actor: e.actor, data: e.data }));
    expect(consents).toEqual([
      { type: 'consent_given', actor: subjects.bob, data: { requestId, participantId: subjects.bob, purpose: 'recording', textSha256: en, locale: 'en' } },
      {
        type: 'consent_declined',
        actor: subjects.guest,
        data: { requestId, participantId: subjects.guest, purpose: 'recording', textSha256: pt, locale: 'pt-BR' },
      },
      {
        type: 'consent_given',
        actor: subjects.guest,
        data: { requestId, participantId: subjects.guest, purpose: 'recording', textSha256: pt, locale: 'pt-BR' },
      },
    ]);
    const requested = events.find((e) => e.type === 'consent_requested')!;
    expect(requested.data).toMatchObject({ requestId, textSha256s: { en, 'pt-BR': pt } });
    const types = events.map((e) => e.type);
    expect(types.indexOf('consent_given')).toBeLessThan(types.indexOf('recording_started'));
    expect(events.find((e) => e.type === 'recording_started')!.data).toEqual({ recordingId: started.body.recordingId });
    const stored = events.filter((e) => e.type === 'file_stored');
    expect(stored).toHaveLength(1);
    expect(stored[0].data).toMatchObject({ fileId: completed.body.fileId, kind: 'recording', size: whole.length, sha256: sha256(whole) });
    expect(types.at(-1)).toBe('ended');

    // Names stay out of the record: not the guest's, not the owner's shown name, not the accounts' usernames.
    const text = JSON.stringify(bundle);
    for (const name of [GUEST_NAME, OWNER_NAME, owner.username, bob.username]) expect(text).not.toContain(name);

    // The stored bytes are the sealed ones; one changed byte no longer is (hashed with the verifier's own SHA-256).
    const downloaded = Buffer.from(await (await fetch(completed.body.url)).arrayBuffer());
    const sealed = stored[0].data.sha256 as string;
    expect(toHex(await webSha256(downloaded))).toBe(sealed);
    const altered = Buffer.from(downloaded);
    altered[100_000] ^= 0x01;
    expect(toHex(await webSha256(altered))).not.toBe(sealed);

    // A bundle changed to claim the altered bytes' hash fails where the chain is checked.
    const forged = structuredClone(bundle);
    const forgedEvent = forged.manifests.flatMap((m) => m.manifest.events).find((e) => e.type === 'file_stored')!;
    forgedEvent.data.sha256 = toHex(await webSha256(altered));
    const refuted = await verifyBundle(forged, { ledgerKey: key });
    expect(refuted.ok).toBe(false);
    expect(refuted.failure?.name).toBe('event-hash');
  }, 60_000);

  it('ending the conference while it records stops the recording first, on the log and the event channel; the rest lands in an addendum', async () => {
    const owner = await t.userSession();
    const bob = await t.userSession();
    const { sessionId } = (await post('/api/conferences', owner.auth, { waitingRoom: false })).body;
    const ownerEmbed = (await post(`/api/conferences/${sessionId}/start`, owner.auth)).body;
    const bobEmbed = (await post(`/api/conferences/${sessionId}/join`, bob.auth)).body;
    const sockets = [await roomSocket(t.baseUrl), await roomSocket(t.baseUrl)];
    expect((await sockets[0].join(ownerEmbed.roomName, ownerEmbed.jwt)).type).toBe('joined');
    expect((await sockets[1].join(ownerEmbed.roomName, bobEmbed.jwt)).type).toBe('joined');
    const { requestId } = (await post(`/api/conferences/${sessionId}/consent-requests`, owner.auth, { purpose: 'recording' })).body;
    expect((await post(`/api/conferences/${sessionId}/consent-requests/${requestId}/answer`, bob.auth, { accepted: true })).status).toBe(200);
    const started = await post(`/api/conferences/${sessionId}/recording/start`, owner.auth, { mimeType: 'video/webm' });
    expect(started.status).toBe(201);
    const recordingId = started.body.recordingId as string;
    const base = `/api/conferences/${sessionId}/recordings/${recordingId}`;
    const chunks = [randomBytes(40_000), randomBytes(30_000)];
    expect((await send('PUT', `${base}/chunks/0`, owner.auth, chunks[0])).status).toBe(201);

    // The SDK's channel, opened by the owner while recording (bob follows it too).
    const controller = new AbortController();
    const streams = await Promise.all(
      [owner, bob].map((who) => fetch(`${t.baseUrl}/api/conferences/${sessionId}/events`, { headers: who.auth, signal: controller.signal })),
    );
    for (const stream of streams) expect(stream.status).toBe(200);
    expect((await post(`/api/conferences/${sessionId}/end`, owner.auth)).status).toBe(200);
    const seen = await Promise.all(
      streams.map(async (stream) => {
        const reader = stream.body!.getReader();
        let text = '';
        const deadline = Date.now() + 10_000;
        while (!text.includes('event: ended') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
        return text
          .split('\n\n')
          .filter((block) => /^event: /m.test(block))
          .map((block) => ({ type: /^event: (.*)$/m.exec(block)![1], data: JSON.parse(/^data: (.*)$/m.exec(block)![1]).data }));
      }),
    );
    controller.abort();
    for (const events of seen) {
      expect(events.map((e) => e.type)).toEqual(['recording_stopped', 'ended']);
      expect(events[0].data).toEqual({ recordingId, reason: 'conference_ended' });
      expect(events[1].data).toEqual({ reason: 'owner' });
    }

    const ownerId = `user:${await userId(owner.username)}`;
    const logged = (
      await t.db.kysely.selectFrom('conference_events').select(['seq', 'type', 'actor', 'data']).where('session_id', '=', sessionId).orderBy('seq').execute()
    ).map((e) => ({ type: e.type, actor: e.actor, data: JSON.parse(e.data) }));
    expect(logged.slice(-2)).toEqual([
      { type: 'recording_stopped', actor: ownerId, data: { recordingId, reason: 'conference_ended' } },
      { type: 'ended', actor: ownerId, data: { reason: 'owner' } },
    ]);
    expect((await send('GET', base, owner.auth)).body).toMatchObject({ live: 'stopped', stopReason: 'conference_ended', state: 'open' });
    expect((await send('GET', `/api/conferences/${sessionId}/recording`, owner.auth)).body).toMatchObject({ state: 'idle', recordingId: null });
    // Ending again changes nothing; stopping after the end answers the stopped recording.
    expect((await post(`/api/conferences/${sessionId}/end`, owner.auth)).status).toBe(200);
    expect((await post(`/api/conferences/${sessionId}/recording/stop`, owner.auth)).body).toMatchObject({ recordingId, stopReason: 'conference_ended' });

    // Sealed with the end; then the recorder sends what it still had and completes: the file lands in an addendum.
    const sealed = await anchoredBundle(sessionId, owner.auth);
    expect(sealed.manifests).toHaveLength(1);
    expect(sealed.manifests[0].manifest.events.map((e) => e.type).slice(-2)).toEqual(['recording_stopped', 'ended']);
    expect((await send('PUT', `${base}/chunks/1`, owner.auth, chunks[1])).status).toBe(201);
    const completed = await post(`${base}/complete`, owner.auth);
    expect(completed.status).toBe(201);
    expect(completed.body.sha256).toBe(sha256(Buffer.concat(chunks)));
    for (const socket of sockets) socket.ws.close();
    let bundle = sealed;
    for (let i = 0; i < 100 && bundle.manifests.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      bundle = await anchoredBundle(sessionId, owner.auth);
    }
    expect(bundle.manifests[1].manifest.events.map((e) => [e.type, e.data.sha256])).toEqual([['file_stored', completed.body.sha256]]);
    const key = fromBase64((await getJson(`${t.baseUrl}/.well-known/v4h-ledger.json`)).body.publicKey);
    expect((await verifyBundle(bundle, { ledgerKey: key })).failure).toBeNull();
  }, 60_000);
});
