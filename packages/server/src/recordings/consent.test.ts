// Consent as evidence over real HTTP (issue 21): requests with their exact texts, answers by users (access token) and
// guests (room token) as log events with the text's SHA-256, recording start refused while consent is missing (naming
// who), a decline stopping a live recording (seen on the event channel), and the upload gate.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { roomSocket } from '../test-support/room-socket.js';
import { listEvents } from '../db/event-log.js';
import { DEFAULT_CONSENT_TEXTS } from './consent-texts.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { V4H_EVENT_POLL_INTERVAL_MS: '100' } });
});
afterAll(async () => t?.close());

type Auth = Record<string, string>;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
async function call(method: string, path: string, auth: Auth, body?: unknown) {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}
const post = (path: string, auth: Auth, body: unknown = {}) => call('POST', path, auth, body);
const get = (path: string, auth: Auth) => call('GET', path, auth);

const userId = async (username: string) => (await t.db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
const events = async (sessionId: string, type: string) =>
  (await listEvents(t.db.kysely, sessionId)).filter((e) => e.type === type).map((e) => ({ actor: e.actor, data: JSON.parse(e.data) }));

/** The owner, bob (a user) and a guest of a link, all in the built-in room. */
async function inCall() {
  const owner = await t.userSession();
  const bob = await t.userSession();
  // No waiting room: the guest link opens the room itself, with a room token (the guest page's token: see below).
  const { sessionId } = (await post('/api/conferences', owner.auth, { waitingRoom: false })).body;
  const ownerEmbed = (await post(`/api/conferences/${sessionId}/start`, owner.auth)).body;
  const bobEmbed = (await post(`/api/conferences/${sessionId}/join`, bob.auth)).body;
  const link = (await post(`/api/conferences/${sessionId}/guest-url`, owner.auth, { name: 'Pat' })).body;
  const guestJwt = new URL(link.url).searchParams.get('jwt')!;
  const sockets = [await roomSocket(t.baseUrl), await roomSocket(t.baseUrl), await roomSocket(t.baseUrl)];
  const joined = [
    await sockets[0].join(ownerEmbed.roomName, ownerEmbed.jwt),
    await sockets[1].join(ownerEmbed.roomName, bobEmbed.jwt),
    await sockets[2].join(ownerEmbed.roomName, guestJwt),
  ];
  for (const m of joined) expect(m.type).toBe('joined');
  const subjects = { bob: `user:${await userId(bob.username)}`, guest: `guest:${link.guestId}` };
  return { sessionId, owner, bob, guest: bearer(guestJwt), guestId: link.guestId as string, bobRoom: bearer(bobEmbed.jwt), subjects, sockets };
}

describe('consent to recording', () => {
  it('keeps the exact text per language and logs answers with the SHA-256 of the text shown (users and guests)', async () => {
    const c = await inCall();
    const asked = await post(`/api/conferences/${c.sessionId}/consent-requests`, c.owner.auth, { purpose: 'recording' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      purpose: 'recording',
      locale: 'pt-BR',
      text: DEFAULT_CONSENT_TEXTS['pt-BR'],
      textSha256: sha256(DEFAULT_CONSENT_TEXTS['pt-BR']),
    });
    const { requestId } = asked.body;
    expect(await events(c.sessionId, 'consent_requested')).toEqual([
      {
        actor: expect.stringMatching(/^user:/),
        data: {
          requestId,
          purpose: 'recording',
          locale: 'pt-BR',
          textSha256: sha256(DEFAULT_CONSENT_TEXTS['pt-BR']),
          textSha256s: { 'pt-BR': sha256(DEFAULT_CONSENT_TEXTS['pt-BR']), en: sha256(DEFAULT_CONSENT_TEXTS.en) },
        },
      },
    ]);

    // bob reads it in English with his access token; the guest in Portuguese (pt-PT → pt-BR) with the link's room token.
    const shown = await get(`/api/conferences/${c.sessionId}/consent-requests/${requestId}?locale=en-US`, c.bob.auth);
    expect(shown).toMatchObject({ status: 200, body: { text: DEFAULT_CONSENT_TEXTS.en, locale: 'en', textSha256: sha256(DEFAULT_CONSENT_TEXTS.en) } });
    const guestShown = await get(`/api/conferences/${c.sessionId}/consent-requests/${requestId}?locale=pt-PT`, c.guest);
    expect(guestShown).toMatchObject({ status: 200, body: { text: DEFAULT_CONSENT_TEXTS['pt-BR'], locale: 'pt-BR' } });

    const bobAnswer = await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, c.bob.auth, { accepted: true, locale: 'en' });
    expect(bobAnswer).toMatchObject({ status: 200, body: { participantId: c.subjects.bob, accepted: true, textSha256: sha256(DEFAULT_CONSENT_TEXTS.en) } });
    const guestAnswer = await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, c.guest, { accepted: false, locale: 'pt-BR' });
    expect(guestAnswer).toMatchObject({ status: 200, body: { participantId: c.subjects.guest, accepted: false } });

    expect(await events(c.sessionId, 'consent_given')).toEqual([
      {
        actor: c.subjects.bob,
        data: { requestId, participantId: c.subjects.bob, purpose: 'recording', textSha256: sha256(DEFAULT_CONSENT_TEXTS.en), locale: 'en' },
      },
    ]);
    expect(await events(c.sessionId, 'consent_declined')).toEqual([
      {
        actor: c.subjects.guest,
        data: { requestId, participantId: c.subjects.guest, purpose: 'recording', textSha256: sha256(DEFAULT_CONSENT_TEXTS['pt-BR']), locale: 'pt-BR' },
      },
    ]);
    const list = await get(`/api/conferences/${c.sessionId}/consents`, c.owner.auth);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { participantId: string; accepted: boolean }) => [i.participantId, i.accepted])).toEqual([
      [c.subjects.bob, true],
      [c.subjects.guest, false],
    ]);
    expect((await get(`/api/conferences/${c.sessionId}/consents`, c.bob.auth)).status).toBe(403);
  });

  it("an owner's own text is shown as it is, whatever the language, and hashed", async () => {
    const c = await inCall();
    const text = 'We record this visit for the clinical record.\nDo you agree?';
    const asked = await post(`/api/conferences/${c.sessionId}/consent-requests`, c.owner.auth, { purpose: 'recording', text, locale: 'en' });
    expect(asked.body).toMatchObject({ text, locale: 'en', textSha256: sha256(text) });
    const shown = await get(`/api/conferences/${c.sessionId}/consent-requests/${asked.body.requestId}?locale=pt-BR`, c.bob.auth);
    expect(shown.body).toMatchObject({ text, locale: 'en' });
    const answer = await post(`/api/conferences/${c.sessionId}/consent-requests/${asked.body.requestId}/answer`, c.bob.auth, {
      accepted: true,
      locale: 'pt-BR',
    });
    expect(answer.body).toMatchObject({ textSha256: sha256(text), locale: 'en' });
  });

  it('refuses to start recording while someone present has not consented, naming who; starts once all have', async () => {
    const c = await inCall();
    const { requestId } = (await post(`/api/conferences/${c.sessionId}/consent-requests`, c.owner.auth, { purpose: 'recording' })).body;
    const refused = await post(`/api/conferences/${c.sessionId}/recording/start`, c.owner.auth);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('consent_missing');
    expect(refused.body.message).toContain(c.subjects.bob);
    expect(refused.body.message).toContain(c.subjects.guest);
    expect(refused.headers.get('x-consent-missing')!.split(',').sort()).toEqual([c.subjects.bob, c.subjects.guest].sort());

    // bob answers from the meeting page, with his room token; the guest declines: only the guest is named now.
    await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, c.bobRoom, { accepted: true });
    await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, c.guest, { accepted: false });
    const declined = await post(`/api/conferences/${c.sessionId}/recording/start`, c.owner.auth);
    expect(declined).toMatchObject({ status: 409, body: { error: 'consent_missing' } });
    expect(declined.headers.get('x-consent-missing')).toBe(c.subjects.guest);
    const status = await get(`/api/conferences/${c.sessionId}/recording`, c.guest);
    expect(status.body).toMatchObject({ state: 'idle', requestId, consent: 'required', missing: [c.subjects.guest] });
    expect(status.body.participants.map((p: { subject: string; owner: boolean; consent: string }) => [p.subject, p.owner, p.consent])).toEqual([
      [expect.stringMatching(/^user:/), true, 'none'],
      [c.subjects.bob, false, 'given'],
      [c.subjects.guest, false, 'declined'],
    ]);
    expect(await events(c.sessionId, 'recording_started')).toEqual([]);

    // The guest changes their mind: the recording starts.
    await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, c.guest, { accepted: true });
    const started = await post(`/api/conferences/${c.sessionId}/recording/start`, c.owner.auth, { mimeType: 'video/webm;codecs=vp8,opus' });
    expect(started).toMatchObject({ status: 201, body: { live: 'recording', state: 'open', nextIndex: 0, mimeType: 'video/webm;codecs=vp8,opus' } });
    expect(await events(c.sessionId, 'recording_started')).toEqual([
      { actor: expect.stringMatching(/^user:/), data: { recordingId: started.body.recordingId } },
    ]);
    expect((await post(`/api/conferences/${c.sessionId}/recording/start`, c.owner.auth)).status).toBe(409);
    expect((await get(`/api/conferences/${c.sessionId}/recording`, c.bob.auth)).body).toMatchObject({
      state: 'recording',
      recordingId: started.body.recordingId,
      missing: [],
    });

    const stopped = await post(`/api/conferences/${c.sessionId}/recording/stop`, c.owner.auth);
    expect(stopped).toMatchObject({ status: 200, body: { recordingId: started.body.recordingId, live: 'stopped', stopReason: 'owner' } });
    expect(await events(c.sessionId, 'recording_stopped')).toEqual([
      { actor: expect.stringMatching(/^user:/), data: { recordingId: started.body.recordingId, reason: 'owner' } },
    ]);
  });

  it("the owner's SDK stops what Jitsi cannot record: reason recorder_unavailable; another reason is 400 and stops nothing", async () => {
    const c = await inCall();
    const { requestId } = (await post(`/api/conferences/${c.sessionId}/consent-requests`, c.owner.auth, { purpose: 'recording' })).body;
    for (const who of [c.bob.auth, c.guest]) await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, who, { accepted: true });
    const started = await post(`/api/conferences/${c.sessionId}/recording/start`, c.owner.auth);
    expect(started.status).toBe(201);

    const refused = await post(`/api/conferences/${c.sessionId}/recording/stop`, c.owner.auth, { reason: 'conference_ended' });
    expect(refused).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    expect((await get(`/api/conferences/${c.sessionId}/recording`, c.owner.auth)).body).toMatchObject({ state: 'recording' });
    expect((await post(`/api/conferences/${c.sessionId}/recording/stop`, c.bob.auth, { reason: 'recorder_unavailable' })).status).toBe(403);

    const stopped = await post(`/api/conferences/${c.sessionId}/recording/stop`, c.owner.auth, { reason: 'recorder_unavailable' });
    expect(stopped).toMatchObject({ status: 200, body: { recordingId: started.body.recordingId, live: 'stopped', stopReason: 'recorder_unavailable' } });
    expect(await events(c.sessionId, 'recording_stopped')).toEqual([
      { actor: expect.stringMatching(/^user:/), data: { recordingId: started.body.recordingId, reason: 'recorder_unavailable' } },
    ]);
  });

  it('a decline while recording stops it, and the owner sees it on the event channel', async () => {
    const c = await inCall();
    const { requestId } = (await post(`/api/conferences/${c.sessionId}/consent-requests`, c.owner.auth, { purpose: 'recording' })).body;
    await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, c.bob.auth, { accepted: true });
    await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, c.guest, { accepted: true });
    const started = await post(`/api/conferences/${c.sessionId}/recording/start`, c.owner.auth);
    expect(started.status).toBe(201);

    const controller = new AbortController();
    const stream = await fetch(`${t.baseUrl}/api/conferences/${c.sessionId}/events`, { headers: c.owner.auth, signal: controller.signal });
    expect(stream.status).toBe(200);
    await post(`/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`, c.bob.auth, { accepted: false });
    const reader = stream.body!.getReader();
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.includes('event: recording_stopped') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const block = text.split('\n\n').find((b) => b.includes('event: recording_stopped'))!;
    const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]);
    expect(data.data).toEqual({ recordingId: started.body.recordingId, reason: 'consent_declined', participantId: c.subjects.bob });
    expect(text).toContain('event: consent_declined');
    expect((await get(`/api/conferences/${c.sessionId}/recording`, c.owner.auth)).body).toMatchObject({ state: 'idle', missing: [c.subjects.bob] });
  });

  it('a kind=recording upload is refused while someone who joined has not consented', async () => {
    const c = await inCall();
    const upload = await fetch(`${t.baseUrl}/api/conferences/${c.sessionId}/files?kind=recording`, {
      method: 'POST',
      headers: { ...c.owner.auth, 'content-type': 'video/webm' },
      body: Buffer.from('webm bytes'),
    });
    expect(upload.status).toBe(409);
    expect((await upload.json()).error).toBe('consent_missing');
    const chunked = await post(`/api/conferences/${c.sessionId}/recordings`, c.owner.auth, { mimeType: 'video/webm' });
    expect(chunked).toMatchObject({ status: 409, body: { error: 'consent_missing' } });
    // Attachments need no consent.
    const attachment = await fetch(`${t.baseUrl}/api/conferences/${c.sessionId}/files?kind=attachment`, {
      method: 'POST',
      headers: { ...c.owner.auth, 'content-type': 'application/pdf' },
      body: Buffer.from('%PDF-1.4'),
    });
    expect(attachment.status).toBe(201);
  });

  it('refuses strangers, participants acting as owner, and tokens of another conference', async () => {
    const c = await inCall();
    const other = await inCall();
    const stranger = await t.userSession();
    const { requestId } = (await post(`/api/conferences/${c.sessionId}/consent-requests`, c.owner.auth, { purpose: 'recording' })).body;
    const answer = `/api/conferences/${c.sessionId}/consent-requests/${requestId}/answer`;
    expect((await post(answer, stranger.auth, { accepted: true })).status).toBe(403);
    expect((await post(answer, {}, { accepted: true })).status).toBe(401);
    // Another conference's guest and its room token: not a credential here.
    expect((await post(answer, other.guest, { accepted: true })).status).toBe(401);
    expect((await get(`/api/conferences/${c.sessionId}/recording`, other.guest)).status).toBe(401);
    // Another conference's request through this one's URL: not found.
    const otherRequest = (await post(`/api/conferences/${other.sessionId}/consent-requests`, other.owner.auth, { purpose: 'recording' })).body.requestId;
    expect((await post(`/api/conferences/${c.sessionId}/consent-requests/${otherRequest}/answer`, c.bob.auth, { accepted: true })).status).toBe(404);
    // Only the owner asks, starts and stops.
    expect((await post(`/api/conferences/${c.sessionId}/consent-requests`, c.bob.auth, { purpose: 'recording' })).status).toBe(403);
    expect((await post(`/api/conferences/${c.sessionId}/recording/start`, c.bob.auth)).status).toBe(403);
    expect((await post(`/api/conferences/${c.sessionId}/recording/stop`, c.bob.auth)).status).toBe(403);
    expect((await post(`/api/conferences/${c.sessionId}/consent-requests`, other.owner.auth, { purpose: 'recording' })).status).toBe(403);
    // A revoked guest link answers nothing any more.
    expect((await post(`/api/conferences/${c.sessionId}/guests/${c.guestId}/revoke`, c.owner.auth)).status).toBeLessThan(300);
    expect((await post(answer, c.guest, { accepted: true })).status).toBe(403);
    const consentEvents = [...(await events(c.sessionId, 'consent_given')), ...(await events(c.sessionId, 'consent_declined'))];
    expect(consentEvents).toEqual([]);
  });
});

describe('consent from the waiting room', () => {
  it('a guest answers with the V4H guest token of their link, before entering the call', async () => {
    const owner = await t.userSession();
    const { sessionId } = (await post('/api/conferences', owner.auth, { waitingRoom: true })).body;
    const link = (await post(`/api/conferences/${sessionId}/guest-url`, owner.auth, { name: 'Pat' })).body;
    expect(link.url).toContain('/visit/#');
    const guest = bearer(link.jwt);
    const { requestId } = (await post(`/api/conferences/${sessionId}/consent-requests`, owner.auth, { purpose: 'recording' })).body;
    expect((await get(`/api/conferences/${sessionId}/consent-requests/${requestId}?locale=en`, guest)).body).toMatchObject({ text: DEFAULT_CONSENT_TEXTS.en });
    const answered = await post(`/api/conferences/${sessionId}/consent-requests/${requestId}/answer`, guest, { accepted: true, locale: 'en' });
    expect(answered).toMatchObject({ status: 200, body: { participantId: `guest:${link.guestId}`, accepted: true } });
    expect((await events(sessionId, 'consent_given')).map((e) => e.actor)).toEqual([`guest:${link.guestId}`]);
    // The token names its conference: another one's URL refuses it.
    const other = (await post('/api/conferences', owner.auth, { waitingRoom: true })).body.sessionId;
    expect((await get(`/api/conferences/${other}/recording`, guest)).status).toBe(401);
  });
});

describe('consent off (V4H_RECORDING_CONSENT=off)', () => {
  let off: TestApp;
  beforeAll(async () => {
    off = await createTestApp({ env: { V4H_RECORDING_CONSENT: 'off' } });
  });
  afterAll(async () => off?.close());

  it('starts a recording with participants who never answered', async () => {
    const owner = await off.userSession();
    const bob = await off.userSession();
    const req = (path: string, auth: Auth) =>
      fetch(`${off.baseUrl}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    const { sessionId } = (await req('/api/conferences', owner.auth)).body;
    const embed = (await req(`/api/conferences/${sessionId}/start`, owner.auth)).body;
    const bobEmbed = (await req(`/api/conferences/${sessionId}/join`, bob.auth)).body;
    const [a, b] = [await roomSocket(off.baseUrl), await roomSocket(off.baseUrl)];
    expect((await a.join(embed.roomName, embed.jwt)).type).toBe('joined');
    expect((await b.join(embed.roomName, bobEmbed.jwt)).type).toBe('joined');
    expect(await req(`/api/conferences/${sessionId}/recording/start`, owner.auth)).toMatchObject({ status: 201, body: { live: 'recording' } });
  });
});
