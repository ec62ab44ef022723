// Authorization matrix: for each route, who may call it (owner, participant, other user, guest, anonymous),
// tested both ways — the allowed callers succeed, every other caller is refused and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, JITSI_TEST_ENV } from '../test-support/test-app.js';
import { listRoutes } from '../test-support/routes.js';

type Role = 'owner' | 'participant' | 'other' | 'guest' | 'anonymous';
const ROLES: Role[] = ['anonymous', 'guest', 'other', 'participant', 'owner'];

interface World {
  sessionId: string;
  /** An attachment the owner uploaded. */
  fileId: string;
  guestId: string;
  /** The guest's place in the waiting room (the guest has knocked). */
  participantId: string;
  headers: Record<Role, Record<string, string>>;
  presence: { owner: string; participant: string };
}

interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  allowed: Role[];
  /** Request body / query / content type for the call. */
  payload?: (w: World) => unknown;
  query?: string;
  contentType?: string;
  /** Run on the fresh world before the calls. */
  before?: (w: World) => Promise<void>;
  /** Extra check on a refused call: nothing was changed. */
  unchanged?: (w: World) => Promise<void>;
  /** Prepares the world for the route (as the owner); answers the values of the path's other `:params`. */
  setup?: (w: World) => Promise<Record<string, string>>;
}

let t: TestApp;
let users: Record<'owner' | 'participant' | 'other', { username: string; auth: { authorization: string } }>;

beforeAll(async () => {
  t = await createTestApp({ env: JITSI_TEST_ENV }); // with presence tokens (see JITSI_TEST_ENV)
  users = { owner: await t.userSession(), participant: await t.userSession(), other: await t.userSession() };
});
afterAll(() => t?.close());

const inject = (method: string, url: string, headers: Record<string, string>, payload?: unknown, contentType?: string) =>
  t.app.inject({
    method: method as 'GET',
    url,
    headers: { ...headers, ...(payload !== undefined ? { 'content-type': contentType ?? 'application/json' } : {}) },
    payload: payload === undefined ? undefined : typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
  });

/**
 * A fresh conference with a waiting room: requested by the owner, joined by the participant (API join + presence), a
 * guest link issued, whose guest has knocked.
 */
async function world(): Promise<World> {
  const created = await inject('POST', '/api/conferences', users.owner.auth, { waitingRoom: true });
  const sessionId = created.json().sessionId;
  const started = await inject('POST', `/api/conferences/${sessionId}/start`, users.owner.auth, {});
  const joined = await inject('POST', `/api/conferences/${sessionId}/join`, users.participant.auth, {});
  expect(joined.statusCode).toBe(200);
  const presence = { owner: started.json().presenceToken, participant: joined.json().presenceToken };
  expect((await inject('POST', `/api/conferences/${sessionId}/presence`, {}, { event: 'joined', presenceToken: presence.participant })).statusCode).toBe(200);
  expect((await inject('POST', `/api/conferences/${sessionId}/presence`, {}, { event: 'joined', presenceToken: presence.owner })).statusCode).toBe(200);
  const guest = await inject('POST', `/api/conferences/${sessionId}/guest-url`, users.owner.auth, { name: 'Guest' });
  const guestJwt = guest.json().jwt ?? new URL(guest.json().url).searchParams.get('jwt') ?? 'guest-without-jwt';
  const knock = await inject('POST', '/api/visit/knock', { authorization: `Bearer ${guestJwt}` }, {});
  expect(knock.statusCode, knock.body).toBe(200);
  const file = await t.app.inject({
    method: 'POST',
    url: `/api/conferences/${sessionId}/files?kind=attachment&name=report.txt&shared=true`,
    headers: { ...users.owner.auth, 'content-type': 'text/plain' },
    payload: 'report',
  });
  expect(file.statusCode, file.body).toBe(201);
  return {
    sessionId,
    fileId: file.json().fileId ?? file.json().id,
    guestId: guest.json().guestId,
    participantId: knock.json().participantId,
    presence,
    headers: {
      anonymous: {},
      guest: { authorization: `Bearer ${guestJwt}` },
      other: users.other.auth,
      participant: users.participant.auth,
      owner: users.owner.auth,
    },
  };
}

/** The owner asks for consent to recording and the participant gives it (issue 21). */
async function consented(w: World): Promise<Record<string, string>> {
  const request = await inject('POST', `/api/conferences/${w.sessionId}/consent-requests`, users.owner.auth, { purpose: 'recording' });
  const requestId = request.json().requestId;
  expect(
    (await inject('POST', `/api/conferences/${w.sessionId}/consent-requests/${requestId}/answer`, users.participant.auth, { accepted: true })).statusCode,
  ).toBe(200);
  return { requestId };
}
/** A chunked recording upload begun by the owner, with `chunks` chunks stored. */
async function recordingUpload(w: World, chunks: number): Promise<Record<string, string>> {
  await consented(w);
  const recordingId = (await inject('POST', `/api/conferences/${w.sessionId}/recordings`, users.owner.auth, { mimeType: 'video/webm' })).json().recordingId;
  for (let i = 0; i < chunks; i++) {
    const put = await inject(
      'PUT',
      `/api/conferences/${w.sessionId}/recordings/${recordingId}/chunks/${i}`,
      users.owner.auth,
      Buffer.from('webm'),
      'application/octet-stream',
    );
    expect(put.statusCode).toBe(201);
  }
  return { recordingId, index: String(chunks) };
}

const state = async (w: World) => (await inject('GET', `/api/conferences/${w.sessionId}`, users.owner.auth)).json().state;
const stillOpen = async (w: World) => expect(await state(w)).not.toBe('ended');
const waitingStill = (expected: string) => async (w: World) =>
  expect((await t.db.kysely.selectFrom('waiting_room').select('state').where('participant_id', '=', w.participantId).executeTakeFirst())?.state).toBe(expected);

/** No refused caller changed the organisation: no setting, unit, user or admin more. */
async function orgUnchanged() {
  const db = t.db.kysely;
  expect((await db.selectFrom('organisations').select('settings').where('id', '=', 'default').executeTakeFirstOrThrow()).settings).toBe('{}');
  expect(await db.selectFrom('org_units').select('id').execute()).toEqual([]);
  expect(await db.selectFrom('users').select('id').where('username', '=', 'newcomer').execute()).toEqual([]);
  expect(await db.selectFrom('organisation_members').select('user_id').where('role', '=', 'admin').execute()).toEqual([]);
}

/** No refused caller created a webhook endpoint. */
async function noWebhooks() {
  expect(await t.db.kysely.selectFrom('webhooks').select('id').execute()).toEqual([]);
}

const MATRIX: Row[] = [
  { method: 'GET', path: '/api/auth/session', allowed: ['owner', 'participant', 'other'] },
  { method: 'POST', path: '/api/conferences', allowed: ['owner', 'participant', 'other'], payload: () => ({}) },
  { method: 'GET', path: '/api/conferences', allowed: ['owner', 'participant', 'other'] },
  { method: 'GET', path: '/api/conferences/:sessionId', allowed: ['owner'] },
  { method: 'POST', path: '/api/conferences/:sessionId/start', allowed: ['owner'], payload: () => ({}) },
  // Join policy ORG (the default): on an install without organisations every signed-in colleague may join.
  { method: 'POST', path: '/api/conferences/:sessionId/join', allowed: ['owner', 'participant', 'other'], payload: () => ({}) },
  { method: 'POST', path: '/api/conferences/:sessionId/guest-url', allowed: ['owner'], payload: () => ({ name: 'Another guest' }) },
  {
    method: 'POST',
    path: '/api/conferences/:sessionId/guests/:guestId/revoke',
    allowed: ['owner'],
    unchanged: async (w) =>
      expect((await t.db.kysely.selectFrom('conference_removals').selectAll().where('session_id', '=', w.sessionId).execute()).length).toBe(0),
  },
  { method: 'POST', path: '/api/conferences/:sessionId/end', allowed: ['owner'], unchanged: stillOpen },
  // The pre-call check's STUN/TURN servers: any signed-in user, and the guest of a waiting-room link (this world's guest).
  { method: 'GET', path: '/api/ice-servers', allowed: ['guest', 'other', 'participant', 'owner'] },
  // The waiting room's owner side (its guest side, with guest tokens: waiting/waiting.test.ts).
  { method: 'GET', path: '/api/conferences/:sessionId/waiting', allowed: ['owner'] },
  { method: 'POST', path: '/api/conferences/:sessionId/waiting/:participantId/admit', allowed: ['owner'], unchanged: waitingStill('waiting') },
  {
    method: 'POST',
    path: '/api/conferences/:sessionId/waiting/:participantId/deny',
    allowed: ['owner'],
    payload: () => ({}),
    unchanged: waitingStill('waiting'),
  },
  {
    method: 'POST',
    path: '/api/conferences/:sessionId/waiting/:participantId/allow-again',
    allowed: ['owner'],
    before: async (w) =>
      expect((await inject('POST', `/api/conferences/${w.sessionId}/waiting/${w.participantId}/deny`, users.owner.auth, {})).statusCode).toBe(200),
    unchanged: waitingStill('denied'),
  },
  // A user's own place among those waiting (waitingRoomForUsers): none of these callers knocked, so none has one
  // (waiting/users.test.ts: the waiting user leaves).
  { method: 'POST', path: '/api/conferences/:sessionId/waiting/me/leave', allowed: [] },
  { method: 'GET', path: '/api/conferences/:sessionId/files', allowed: ['owner', 'participant'] },
  {
    method: 'POST',
    path: '/api/conferences/:sessionId/files',
    allowed: ['owner', 'participant'],
    query: 'kind=attachment&name=notes.txt',
    contentType: 'text/plain',
    payload: () => 'clinical notes',
    unchanged: async (w) => expect((await inject('GET', `/api/conferences/${w.sessionId}/files`, users.owner.auth)).json().items).toHaveLength(1),
  },
  { method: 'GET', path: '/api/conferences/:sessionId/files/:fileId', allowed: ['owner', 'participant'] },
  { method: 'POST', path: '/api/conferences/:sessionId/files/:fileId/share', allowed: ['owner'] },
  {
    method: 'DELETE',
    path: '/api/conferences/:sessionId/files/:fileId',
    allowed: ['owner'],
    unchanged: async (w) => expect((await inject('GET', `/api/conferences/${w.sessionId}/files`, users.owner.auth)).json().items).toHaveLength(1),
  },
  // Only the instance admin erases; none of these callers is the admin.
  { method: 'POST', path: '/api/admin/erasures', allowed: [], payload: (w) => ({ sessionId: w.sessionId }), unchanged: stillOpen },
  // The access audit: the admin only (audit/access-audit.test.ts reads it as the admin).
  { method: 'GET', path: '/api/audit', allowed: [] },
  { method: 'GET', path: '/api/conferences/:sessionId/manifest', allowed: ['owner'] },
  // The admin may read it too (quality/quality.test.ts); none of these callers is the admin.
  { method: 'GET', path: '/api/conferences/:sessionId/quality', allowed: ['owner'] },
  { method: 'POST', path: '/api/conferences/:sessionId/verification-links', allowed: ['owner'], payload: () => ({}) },
  // Consent and recording (issue 21). A guest answers with the V4H guest token of their link (waiting room).
  { method: 'POST', path: '/api/conferences/:sessionId/consent-requests', allowed: ['owner'], payload: () => ({ purpose: 'recording' }) },
  { method: 'GET', path: '/api/conferences/:sessionId/consent-requests/:requestId', allowed: ['owner', 'participant', 'guest'], setup: consented },
  {
    method: 'POST',
    path: '/api/conferences/:sessionId/consent-requests/:requestId/answer',
    allowed: ['owner', 'participant', 'guest'],
    setup: consented,
    payload: () => ({ accepted: true }),
  },
  { method: 'GET', path: '/api/conferences/:sessionId/consents', allowed: ['owner'] },
  { method: 'GET', path: '/api/conferences/:sessionId/recording', allowed: ['owner', 'participant', 'guest'] },
  { method: 'POST', path: '/api/conferences/:sessionId/recording/start', allowed: ['owner'], setup: consented, payload: () => ({}) },
  {
    method: 'POST',
    path: '/api/conferences/:sessionId/recording/stop',
    allowed: ['owner'],
    setup: async (w) => {
      await consented(w);
      expect((await inject('POST', `/api/conferences/${w.sessionId}/recording/start`, users.owner.auth, {})).statusCode).toBe(201);
      return {};
    },
  },
  { method: 'POST', path: '/api/conferences/:sessionId/recordings', allowed: ['owner'], setup: consented, payload: () => ({ mimeType: 'video/webm' }) },
  { method: 'GET', path: '/api/conferences/:sessionId/recordings/:recordingId', allowed: ['owner'], setup: (w) => recordingUpload(w, 0) },
  {
    method: 'PUT',
    path: '/api/conferences/:sessionId/recordings/:recordingId/chunks/:index',
    allowed: ['owner'],
    setup: (w) => recordingUpload(w, 1),
    contentType: 'application/octet-stream',
    payload: () => Buffer.from('more webm'),
  },
  { method: 'POST', path: '/api/conferences/:sessionId/recordings/:recordingId/complete', allowed: ['owner'], setup: (w) => recordingUpload(w, 2) },
  // Appointment links: the owner (or an API key of its organisation: apikeys/join-links.test.ts).
  { method: 'POST', path: '/api/conferences/:sessionId/join-links', allowed: ['owner'], payload: () => ({ externalId: 'patient-1', role: 'guest' }) },
  // API keys: an organisation's admins only (apikeys/apikeys.test.ts); none of these callers is one.
  { method: 'POST', path: '/api/apikeys', allowed: [], payload: () => ({ name: 'EHR' }) },
  { method: 'GET', path: '/api/apikeys', allowed: [] },
  { method: 'POST', path: '/api/apikeys/:id/revoke', allowed: [] },
  // Webhooks: an organisation's admins or the server's admin (webhooks/webhooks.test.ts); none of these callers is one,
  // and a refused call leaves no endpoint behind.
  {
    method: 'POST',
    path: '/api/webhooks',
    allowed: [],
    payload: () => ({ url: 'https://ehr.example/hooks', events: ['conference.ended'] }),
    unchanged: noWebhooks,
  },
  { method: 'GET', path: '/api/webhooks', allowed: [] },
  { method: 'GET', path: '/api/webhooks/:id', allowed: [] },
  { method: 'PATCH', path: '/api/webhooks/:id', allowed: [], payload: () => ({ enabled: true }), unchanged: noWebhooks },
  { method: 'DELETE', path: '/api/webhooks/:id', allowed: [] },
  { method: 'POST', path: '/api/webhooks/:id/rotate-secret', allowed: [], payload: () => ({}), unchanged: noWebhooks },
  { method: 'GET', path: '/api/webhooks/:id/deliveries', allowed: [] },
  { method: 'POST', path: '/api/webhooks/:id/deliveries/:deliveryId/redeliver', allowed: [], payload: () => ({}) },
  // Organisations (organisations/organisations.test.ts): these callers are members of `default`, none its admin.
  { method: 'GET', path: '/api/organisations', allowed: ['owner', 'participant', 'other'] },
  { method: 'POST', path: '/api/organisations', allowed: [], payload: () => ({ name: 'Clinic' }) },
  { method: 'GET', path: '/api/organisations/:organisationId', allowed: ['owner', 'participant', 'other'] },
  { method: 'PATCH', path: '/api/organisations/:organisationId/settings', allowed: [], payload: () => ({ joinPolicy: 'PUBLIC' }), unchanged: orgUnchanged },
  { method: 'GET', path: '/api/organisations/:organisationId/units', allowed: ['owner', 'participant', 'other'] },
  { method: 'POST', path: '/api/organisations/:organisationId/units', allowed: [], payload: () => ({ name: 'Unit' }), unchanged: orgUnchanged },
  { method: 'GET', path: '/api/organisations/:organisationId/users', allowed: [] },
  {
    method: 'POST',
    path: '/api/organisations/:organisationId/users',
    allowed: [],
    payload: () => ({ username: 'newcomer', password: 'a long passphrase' }),
    unchanged: orgUnchanged,
  },
  { method: 'PATCH', path: '/api/organisations/:organisationId/users/:username', allowed: [], payload: () => ({ role: 'admin' }), unchanged: orgUnchanged },
];

describe('authorization matrix', () => {
  for (const row of MATRIX) {
    it(`${row.method} ${row.path}: only ${row.allowed.join(', ')}`, async () => {
      if (!t.app.hasRoute({ method: row.method, url: row.path })) return expect.fail(`route ${row.method} ${row.path} is gone: update the matrix`);
      const w = await world();
      await row.before?.(w);
      const params: Record<string, string> = {
        sessionId: w.sessionId,
        fileId: w.fileId,
        guestId: w.guestId,
        participantId: w.participantId,
        organisationId: 'default',
        username: users.participant.username,
        ...(await row.setup?.(w)),
      };
      const url = row.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => params[name] ?? `:${name}`) + (row.query ? `?${row.query}` : '');
      // Refused callers first, so that an allowed `end` cannot hide what they did.
      for (const role of ROLES.filter((r) => !row.allowed.includes(r))) {
        const res = await inject(row.method, url, w.headers[role], row.payload?.(w), row.contentType);
        const expected = role === 'anonymous' || role === 'guest' ? [401] : [403, 404];
        expect(expected, `${role}: ${res.statusCode} ${res.body}`).toContain(res.statusCode);
        await row.unchanged?.(w);
      }
      for (const role of ROLES.filter((r) => row.allowed.includes(r))) {
        const res = await inject(row.method, url, w.headers[role], row.payload?.(w), row.contentType);
        expect(res.statusCode, `${role}: ${res.body}`).toBeGreaterThanOrEqual(200);
        expect(res.statusCode, `${role}: ${res.body}`).toBeLessThan(300);
      }
    });
  }

  // The event stream never ends for an allowed caller, so inject() cannot probe it: events/stream.test.ts checks its 401/403/404.
  // /api/visit takes guest tokens only: waiting/waiting.test.ts checks who may call it.
  it('covers every bearer-protected API route', async () => {
    const covered = new Set(MATRIX.map((r) => `${r.method} ${r.path}`));
    const uncovered: string[] = [];
    for (const route of listRoutes(t.app).filter((r) => r.path.startsWith('/api/'))) {
      const name = `${route.method} ${route.path.replace(/\/$/, '')}`;
      const probe = await t.app.inject({
        method: route.method as 'GET',
        url: route.path.replace(/:[a-zA-Z]+(\([^)]*\))?/g, 'x'),
        payload: route.method === 'POST' ? {} : undefined,
      });
      if (probe.statusCode === 401 && !covered.has(name) && !/login|refresh|logout|presence|verify|\/api\/rooms\/|\/events$|^\w+ \/api\/visit/.test(name))
        uncovered.push(name);
    }
    expect(uncovered, 'protected routes missing from the authorization matrix').toEqual([]);
  });

  it('lists show only the caller’s own conferences', async () => {
    const w = await world();
    for (const role of ['participant', 'other'] as const) {
      const list = (await inject('GET', '/api/conferences?limit=100', w.headers[role])).json();
      expect(list.items.map((c: { sessionId: string }) => c.sessionId)).not.toContain(w.sessionId);
    }
    const own = (await inject('GET', '/api/conferences?limit=100', w.headers.owner)).json();
    expect(own.items.map((c: { sessionId: string }) => c.sessionId)).toContain(w.sessionId);
  });

  it('a caller-chosen session id of another user is a conflict, never a takeover', async () => {
    const w = await world();
    const res = await inject('POST', '/api/conferences', users.other.auth, { sessionId: w.sessionId });
    expect(res.statusCode).toBe(409);
    expect((await inject('GET', `/api/conferences/${w.sessionId}`, users.owner.auth)).json().owner).not.toBe(undefined);
    expect((await inject('GET', `/api/conferences/${w.sessionId}`, users.other.auth)).statusCode).toBe(403);
  });

  it('presence: only the holder of a presence token reports, and only for its own conference', async () => {
    const a = await world();
    const b = await world();
    // Anonymous without a token, or with a forged one.
    expect((await inject('POST', `/api/conferences/${a.sessionId}/presence`, {}, { event: 'left' })).statusCode).toBe(400);
    expect((await inject('POST', `/api/conferences/${a.sessionId}/presence`, {}, { event: 'left', presenceToken: 'forged' })).statusCode).toBe(401);
    // An access token is not a presence token.
    const access = users.owner.auth.authorization.slice('Bearer '.length);
    expect((await inject('POST', `/api/conferences/${a.sessionId}/presence`, {}, { event: 'left', presenceToken: access })).statusCode).toBe(401);
    // B's token on A's URL is refused and leaves both conferences as they were.
    const crossed = await inject('POST', `/api/conferences/${a.sessionId}/presence`, {}, { event: 'left', presenceToken: b.presence.owner });
    expect([400, 403], crossed.body).toContain(crossed.statusCode);
    await stillOpen(a);
    await stillOpen(b);
  });
});
