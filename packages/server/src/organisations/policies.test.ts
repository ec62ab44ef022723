// Join and list policies with organisations and units (issue 22), over real HTTP: a matrix of users (same unit, other
// unit, same organisation without a unit, other organisation, a named user, password wrong then right) against each
// policy, for join, start, guest links, files and the listing; and the organisation's defaults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

let t: TestApp;
type Auth = { authorization: string };
let admin: Auth;

async function call(auth: Auth | null, method: string, path: string, body?: unknown, contentType = 'application/json') {
  const headers: Record<string, string> = auth ? { ...auth } : {};
  if (body !== undefined) headers['content-type'] = contentType;
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : null };
}

// Answers of many shapes, read field by field below.
async function ok<T = any>(auth: Auth, method: string, path: string, body?: unknown): Promise<T> {
  const res = await call(auth, method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body as T;
}

const PASSWORD = 'a long passphrase';
const signIn = async (username: string): Promise<Auth> => ({ authorization: `Bearer ${(await t.login(username, PASSWORD)).accessToken}` });

type Person = 'sameUnit' | 'otherUnit' | 'sameOrg' | 'otherOrg' | 'named';
const PEOPLE: Person[] = ['sameUnit', 'otherUnit', 'sameOrg', 'otherOrg', 'named'];
let owner: Auth;
let people: Record<Person, Auth>;
let orgA: string;
let orgB: string;

beforeAll(async () => {
  t = await createTestApp({ env: { V4H_ADMIN_USERNAME: 'root', V4H_ADMIN_PASSWORD: PASSWORD } });
  await t.createUser('root', PASSWORD);
  admin = await signIn('root');
  // Two organisations made by the instance admin, each with an admin who builds the rest over the REST API.
  orgA = (await ok(admin, 'POST', '/api/organisations', { name: 'Clinic A' })).id;
  orgB = (await ok(admin, 'POST', '/api/organisations', { name: 'Clinic B' })).id;
  await ok(admin, 'POST', `/api/organisations/${orgA}/users`, { username: 'a.admin', password: PASSWORD, role: 'admin' });
  await ok(admin, 'POST', `/api/organisations/${orgB}/users`, { username: 'b.admin', password: PASSWORD, role: 'admin' });
  const aAdmin = await signIn('a.admin');
  const bAdmin = await signIn('b.admin');
  await ok(aAdmin, 'POST', `/api/organisations/${orgA}/units`, { name: 'cardiology' });
  await ok(aAdmin, 'POST', `/api/organisations/${orgA}/units`, { name: 'oncology' });
  await ok(aAdmin, 'POST', `/api/organisations/${orgA}/users`, { username: 'owner', password: PASSWORD, units: ['cardiology'] });
  await ok(aAdmin, 'POST', `/api/organisations/${orgA}/users`, { username: 'same.unit', password: PASSWORD, units: ['cardiology'] });
  await ok(aAdmin, 'POST', `/api/organisations/${orgA}/users`, { username: 'other.unit', password: PASSWORD, units: ['oncology'] });
  await ok(aAdmin, 'POST', `/api/organisations/${orgA}/users`, { username: 'same.org', password: PASSWORD });
  await ok(bAdmin, 'POST', `/api/organisations/${orgB}/users`, { username: 'other.org', password: PASSWORD });
  await ok(bAdmin, 'POST', `/api/organisations/${orgB}/users`, { username: 'named', password: PASSWORD });
  owner = await signIn('owner');
  people = {
    sameUnit: await signIn('same.unit'),
    otherUnit: await signIn('other.unit'),
    sameOrg: await signIn('same.org'),
    otherOrg: await signIn('other.org'),
    named: await signIn('named'),
  };
});
afterAll(() => t?.close());

/** Who may join (and, with the same list policy, see it listed) under each policy; SESSIONPWD lists it to nobody else. */
const JOINS: Record<string, Person[]> = {
  PUBLIC: PEOPLE,
  ORG: ['sameUnit', 'otherUnit', 'sameOrg'],
  ORGUNIT: ['sameUnit'],
  RESTRICT: ['named'],
  SESSIONPWD: ['otherOrg'], // with the right password, after a wrong one
};
const LISTS: Record<string, Person[]> = { ...JOINS, SESSIONPWD: [] };

const listed = async (auth: Auth) => (await ok<{ items: { sessionId: string }[] }>(auth, 'GET', '/api/conferences?limit=100')).items.map((c) => c.sessionId);

describe('policies × users', () => {
  for (const policy of Object.keys(JOINS)) {
    it(`${policy}: join, start, guest links, files and the listing`, async () => {
      const { sessionId } = await ok(owner, 'POST', '/api/conferences', {
        joinPolicy: policy,
        listPolicy: policy,
        ...(policy === 'ORGUNIT' ? { units: ['cardiology'] } : {}),
        ...(policy === 'RESTRICT' ? { users: ['named'] } : {}),
        ...(policy === 'SESSIONPWD' ? { password: 'heron-42' } : {}),
      });
      await ok(owner, 'POST', `/api/conferences/${sessionId}/start`, {});
      const file = await call(owner, 'POST', `/api/conferences/${sessionId}/files?kind=attachment&name=plan.txt&shared=true`, 'care plan', 'text/plain');
      expect(file.status).toBe(201);
      expect(await listed(owner)).toContain(sessionId);

      for (const person of PEOPLE) {
        const auth = people[person];
        const label = `${policy} ${person}`;
        expect((await listed(auth)).includes(sessionId), `${label}: listed`).toBe(LISTS[policy].includes(person));
        // Owner-only, whatever the policy.
        for (const path of ['start', 'guest-url']) {
          const res = await call(auth, 'POST', `/api/conferences/${sessionId}/${path}`, path === 'guest-url' ? { name: 'Patient' } : {});
          expect(res.status, `${label}: ${path}`).toBe(403);
        }
        // Nobody sees the files before being admitted to the call.
        expect((await call(auth, 'GET', `/api/conferences/${sessionId}/files`)).status, `${label}: files before joining`).toBe(403);
        if (policy === 'SESSIONPWD') {
          const wrong = await call(auth, 'POST', `/api/conferences/${sessionId}/join`, { password: 'not-it' });
          expect(wrong.status, `${label}: wrong password`).toBe(403);
          expect(wrong.body).toEqual({ error: 'forbidden', message: expect.stringContaining('join policy SESSIONPWD') });
        }
        const joined = await call(
          auth,
          'POST',
          `/api/conferences/${sessionId}/join`,
          person === 'otherOrg' && policy === 'SESSIONPWD' ? { password: 'heron-42' } : {},
        );
        if (JOINS[policy].includes(person)) {
          expect(joined.status, `${label}: join ${JSON.stringify(joined.body)}`).toBe(200);
          const files = await call(auth, 'GET', `/api/conferences/${sessionId}/files`);
          expect(files.status, `${label}: files once admitted`).toBe(200);
          expect(files.body.items.map((f: { name: string }) => f.name)).toEqual(['plan.txt']);
        } else {
          expect(joined.status, `${label}: join`).toBe(403);
          // The refusal names the policy.
          expect(joined.body).toEqual({ error: 'forbidden', message: expect.stringContaining(`join policy ${policy}`) });
          expect((await call(auth, 'GET', `/api/conferences/${sessionId}/files`)).status, `${label}: files after a refused join`).toBe(403);
        }
        // Joining does not change what the listing shows.
        expect((await listed(auth)).includes(sessionId), `${label}: listed after joining`).toBe(LISTS[policy].includes(person));
      }
      // Guest links stay the owner's.
      expect((await call(owner, 'POST', `/api/conferences/${sessionId}/guest-url`, { name: 'Patient' })).status).toBe(200);
    });
  }

  it('join and list policies are independent: ORG to join, PUBLIC to list', async () => {
    const { sessionId } = await ok(owner, 'POST', '/api/conferences', { joinPolicy: 'ORG', listPolicy: 'PUBLIC' });
    expect(await listed(people.otherOrg)).toContain(sessionId);
    expect((await call(people.otherOrg, 'POST', `/api/conferences/${sessionId}/join`, {})).status).toBe(403);
    expect((await call(people.sameOrg, 'POST', `/api/conferences/${sessionId}/join`, {})).status).toBe(200);
  });

  it('the listing is paginated, newest first, and shows a non-owner no recording link', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await ok(owner, 'POST', '/api/conferences', { listPolicy: 'ORG' })).sessionId);
    const first = await ok(people.sameOrg, 'GET', '/api/conferences?limit=2');
    expect(first.items.map((c: { sessionId: string }) => c.sessionId)).toEqual([ids[2], ids[1]]);
    expect(first.items[0]).toMatchObject({ owner: 'owner', urlStorage: null });
    const second = await ok(people.sameOrg, 'GET', `/api/conferences?limit=2&cursor=${first.nextCursor}`);
    expect(second.items[0].sessionId).toBe(ids[0]);
  });
});

describe('the organisation’s defaults and the request’s checks', () => {
  it('a request naming no policy takes its organisation’s settings', async () => {
    const bAdmin = await signIn('b.admin');
    // Before any setting: ORG to join, RESTRICT to list (the owner only), as before organisations.
    const before = (await ok(people.named, 'POST', '/api/conferences', {})).sessionId;
    expect(await listed(people.otherOrg)).not.toContain(before);
    const changed = await ok(bAdmin, 'PATCH', `/api/organisations/${orgB}/settings`, { joinPolicy: 'PUBLIC', listPolicy: 'ORG' });
    expect(changed.settings).toEqual({ joinPolicy: 'PUBLIC', listPolicy: 'ORG' });
    const after = (await ok(people.named, 'POST', '/api/conferences', {})).sessionId;
    const row = await t.db.kysely
      .selectFrom('conferences')
      .select(['join_policy', 'list_policy', 'organisation_id'])
      .where('session_id', '=', after)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ join_policy: 'PUBLIC', list_policy: 'ORG', organisation_id: orgB });
    expect(await listed(people.otherOrg)).toContain(after);
    expect(await listed(people.sameOrg)).not.toContain(after);
    expect((await call(people.sameOrg, 'POST', `/api/conferences/${after}/join`, {})).status).toBe(200);
    // Only half the settings given: the other half stays.
    expect((await ok(bAdmin, 'PATCH', `/api/organisations/${orgB}/settings`, { listPolicy: 'RESTRICT' })).settings).toEqual({
      joinPolicy: 'PUBLIC',
      listPolicy: 'RESTRICT',
    });
    // A default that would need more than the request gives is refused as a setting.
    expect((await call(bAdmin, 'PATCH', `/api/organisations/${orgB}/settings`, { joinPolicy: 'SESSIONPWD' })).status).toBe(400);
  });

  it('ORGUNIT needs units of the owner’s organisation; users, units and password only with their policies', async () => {
    const bad = async (body: object, message: RegExp) => {
      const res = await call(owner, 'POST', '/api/conferences', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toMatch(message);
    };
    await bad({ joinPolicy: 'ORGUNIT' }, /ORGUNIT needs units/);
    await bad({ joinPolicy: 'ORGUNIT', units: ['nephrology'] }, /unknown units in your organisation: nephrology/);
    // Clinic B's unit is unknown to Clinic A's owner.
    const bAdmin = await signIn('b.admin');
    const bUnit = await ok(bAdmin, 'POST', `/api/organisations/${orgB}/units`, { name: 'paediatrics' });
    await bad({ joinPolicy: 'ORGUNIT', units: [bUnit.id] }, /unknown units in your organisation/);
    await bad({ joinPolicy: 'ORG', units: ['cardiology'] }, /units are only taken with join or list policy ORGUNIT/);
    // The list policy's default (RESTRICT) takes users; an ORG listing does not.
    await bad({ joinPolicy: 'ORG', listPolicy: 'ORG', users: ['named'] }, /users are only taken with join or list policy RESTRICT/);
    await bad({ joinPolicy: 'ORG', password: 'x' }, /password is only taken with join policy SESSIONPWD/);
    await bad({ joinPolicy: 'FRIENDS' }, /joinPolicy/);
    // A unit by id works as by name; a list policy ORGUNIT with another join policy takes units too.
    const units = await ok(owner, 'GET', `/api/organisations/${orgA}/units`);
    const cardiology = units.items.find((u: { name: string }) => u.name === 'cardiology').id;
    const { sessionId } = await ok(owner, 'POST', '/api/conferences', { joinPolicy: 'ORG', listPolicy: 'ORGUNIT', units: [cardiology] });
    expect(await listed(people.sameUnit)).toContain(sessionId);
    expect(await listed(people.otherUnit)).not.toContain(sessionId);
    expect((await call(people.otherUnit, 'POST', `/api/conferences/${sessionId}/join`, {})).status).toBe(200);
  });

  it('chosen session ids are scoped to the organisation: both clinics may use one, neither can probe or reach the other’s (issue 15)', async () => {
    const chosen = `appt-${Date.now()}`;
    const a = await call(owner, 'POST', '/api/conferences', { sessionId: chosen });
    expect(a.status).toBe(201);
    expect(a.body.sessionId).toBe(`${orgA}~${chosen}`);
    // Clinic B's member asks for the same id: a conference of its own, not "taken" (which would reveal Clinic A's).
    const b = await call(people.otherOrg, 'POST', '/api/conferences', { sessionId: chosen });
    expect(b.status).toBe(201);
    expect(b.body.sessionId).toBe(`${orgB}~${chosen}`);
    // Within Clinic A the id is taken as before; its owner gets the same conference again, in either form.
    expect((await call(people.sameOrg, 'POST', '/api/conferences', { sessionId: chosen })).body).toMatchObject({ error: 'conflict' });
    for (const again of [chosen, a.body.sessionId]) {
      const repeat = await call(owner, 'POST', '/api/conferences', { sessionId: again });
      expect(repeat.status, again).toBe(200);
      expect(repeat.body.sessionId).toBe(a.body.sessionId);
    }
    // Another organisation's prefix is refused, the same whether or not that id exists.
    for (const foreign of [a.body.sessionId, `${orgA}~never-made`]) {
      const res = await call(people.otherOrg, 'POST', '/api/conferences', { sessionId: foreign });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'validation_failed', message: expect.stringMatching(/organisation prefix/) });
    }
    // The scoped id is the conference's id on every route; the default organisation (the instance admin's) keeps ids as given.
    expect((await ok(owner, 'GET', `/api/conferences/${encodeURIComponent(a.body.sessionId)}`)).sessionId).toBe(a.body.sessionId);
    expect((await ok(owner, 'POST', `/api/conferences/${a.body.sessionId}/start`, {})).sessionId ?? a.body.sessionId).toBe(a.body.sessionId);
    expect((await ok(owner, 'GET', `/api/conferences/${a.body.sessionId}/files`)).items).toEqual([]);
    expect((await call(people.otherOrg, 'GET', `/api/conferences/${a.body.sessionId}`)).status).toBe(403);
    const own = await call(admin, 'POST', '/api/conferences', { sessionId: chosen });
    expect(own.status).toBe(201);
    expect(own.body.sessionId).toBe(chosen);
  });
});
