// Jitsi's event posts over real HTTP on both databases: JaaS signatures (good, bad, stale, replayed), duplicates on
// idempotencyKey, unknown rooms, event_sync's bearer secret; ids reach the event log, names and e-mails never.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, JITSI_TEST_ENV, type TestApp } from '../test-support/test-app.js';

const JAAS_SECRET = 'jaas-webhook-secret-0123456789';
const EVENTS_SECRET = 'event-sync-secret-0123456789';
const env = { ...JITSI_TEST_ENV, V4H_JAAS_WEBHOOK_SECRET: JAAS_SECRET, V4H_JITSI_EVENTS_SECRET: EVENTS_SECRET };
const apps: TestApp[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

async function setup() {
  const t = await createTestApp({ env });
  apps.push(t);
  const ana = await t.userSession();
  const res = await fetch(`${t.baseUrl}/api/conferences`, { method: 'POST', headers: { ...ana.auth, 'content-type': 'application/json' }, body: '{}' });
  const { sessionId } = (await res.json()) as { sessionId: string };
  const { room_name: room } = await t.db.kysely.selectFrom('conferences').select('room_name').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
  const events = async () =>
    (await t.db.kysely.selectFrom('conference_events').select(['type', 'actor', 'data']).where('session_id', '=', sessionId).orderBy('seq').execute()).filter(
      (e) => e.type.startsWith('jitsi_'),
    );
  return { t, sessionId, room, events };
}

const sign = (body: string, t = Math.floor(Date.now() / 1000), secret = JAAS_SECRET) =>
  `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('base64')}`;
const jaasBody = (room: string, eventType: string, idempotencyKey: string) =>
  JSON.stringify({
    idempotencyKey,
    customerId: 'c1',
    appId: 'vpaas-magic-cookie-abc',
    eventType,
    sessionId: 'jaas-session-1',
    timestamp: Date.now(),
    fqn: `vpaas-magic-cookie-abc/${room}`,
    data: { participantId: 'jp-42', name: 'Maria Paciente', email: 'maria@example.org', moderator: false },
  });
const postJaas = (t: TestApp, body: string, signature?: string) =>
  fetch(`${t.baseUrl}/api/jitsi/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-jaas-signature': signature } : {}) },
    body,
  });

describe('JaaS webhooks', () => {
  it('records a signed PARTICIPANT_JOINED once, with ids only; a duplicate changes nothing', async () => {
    const { t, sessionId, room, events } = await setup();
    const body = jaasBody(room, 'PARTICIPANT_JOINED', 'idem-1');
    const first = Math.floor(Date.now() / 1000);
    const res = await postJaas(t, body, sign(body, first));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'recorded', sessionId });
    // JaaS retries with a fresh signature: a duplicate on idempotencyKey.
    // (Its time is the first's minus one: "now - 1" taken later could be the first's time, a replay, under load.)
    const retry = await postJaas(t, body, sign(body, first - 1));
    expect(await retry.json()).toMatchObject({ status: 'duplicate' });
    const logged = await events();
    expect(logged).toHaveLength(1);
    expect(logged[0].type).toBe('jitsi_participant_joined');
    expect(logged[0].actor).toBe('jitsi');
    expect(JSON.parse(logged[0].data)).toEqual({ source: 'jaas', jitsiParticipantId: 'jp-42', jitsiSessionId: 'jaas-session-1' });
    expect(JSON.stringify(logged)).not.toMatch(/Maria|example\.org/);
    const left = jaasBody(room, 'PARTICIPANT_LEFT', 'idem-2');
    expect((await postJaas(t, left, sign(left))).status).toBe(200);
    expect((await events()).map((e) => e.type)).toEqual(['jitsi_participant_joined', 'jitsi_participant_left']);
  });

  it('refuses a missing, wrong, stale or replayed signature with 401, and changes nothing', async () => {
    const { t, room, events } = await setup();
    const body = jaasBody(room, 'ROOM_CREATED', 'idem-3');
    expect((await postJaas(t, body)).status).toBe(401);
    expect((await postJaas(t, body, sign(body, undefined, 'another-secret'))).status).toBe(401);
    expect((await postJaas(t, body, sign(body.replace('c1', 'c2')))).status).toBe(401);
    expect((await postJaas(t, body, sign(body, Math.floor(Date.now() / 1000) - 3600))).status).toBe(401);
    const bad = await postJaas(t, body, 't=abc,v1=xyz');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'unauthorized' });
    expect(await events()).toEqual([]);
    const signature = sign(body);
    expect((await postJaas(t, body, signature)).status).toBe(200);
    const replay = await postJaas(t, body, signature);
    expect(replay.status).toBe(401);
    expect((await replay.json()).message).toMatch(/already received/);
    expect(await events()).toHaveLength(1);
  });

  it('answers 200 and records nothing for a room V4H does not know', async () => {
    const { t, events } = await setup();
    const body = jaasBody('no-such-room', 'ROOM_DESTROYED', 'idem-4');
    const res = await postJaas(t, body, sign(body));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'unknown_room' });
    expect(await events()).toEqual([]);
  });
});

describe('Prosody event_sync', () => {
  const post = (t: TestApp, path: string, body: unknown, secret = EVENTS_SECRET) =>
    fetch(`${t.baseUrl}/api/jitsi/event-sync/events/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify(body),
    });

  it('records room and occupant events once with the right secret; 401 and nothing with a wrong one', async () => {
    const { t, sessionId, room, events } = await setup();
    const created = { event_name: 'muc-room-created', room_name: room, room_jid: `${room}@conference.meet.jitsi`, is_breakout: false, created_at: 1 };
    expect((await post(t, 'room/created', created, 'wrong-secret')).status).toBe(401);
    expect(await events()).toEqual([]);
    const res = await post(t, 'room/created', created);
    expect(await res.json()).toEqual({ status: 'recorded', sessionId });
    const joined = {
      event_name: 'muc-occupant-joined',
      room_name: room,
      room_jid: `${room}@conference.meet.jitsi`,
      occupant: { id: 'user-7', name: 'Dr. Ana', email: 'ana@example.org', occupant_jid: 'x@meet.jitsi/abc' },
    };
    expect((await post(t, 'occupant/joined', joined)).status).toBe(200);
    expect(await (await post(t, 'occupant/joined', joined)).json()).toMatchObject({ status: 'duplicate' }); // a retry
    expect(await (await post(t, 'occupant/left', { ...joined, event_name: 'muc-occupant-left' })).json()).toMatchObject({ status: 'recorded' });
    expect(await (await post(t, 'room/created', { ...created, room_name: 'unknown-room' })).json()).toEqual({ status: 'unknown_room' });
    const logged = await events();
    expect(logged.map((e) => e.type)).toEqual(['jitsi_room_created', 'jitsi_participant_joined', 'jitsi_participant_left']);
    expect(JSON.parse(logged[1].data)).toEqual({ source: 'prosody', jitsiParticipantId: 'user-7' });
    expect(JSON.stringify(logged)).not.toMatch(/Ana|example\.org/);
  });
});
