// The organisation routes over real HTTP: the instance admin creates and lists organisations; an organisation's admins
// manage its users, units and settings, and nobody else's; members read their own organisation only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

let t: TestApp;
type Auth = { authorization: string };
const PASSWORD = 'a long passphrase';

async function call(auth: Auth | null, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = auth ? { ...auth } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const signIn = async (username: string): Promise<Auth> => ({ authorization: `Bearer ${(await t.login(username, PASSWORD)).accessToken}` });

let root: Auth;
let member: Auth;
beforeAll(async () => {
  t = await createTestApp({ env: { V4H_ADMIN_USERNAME: 'root', V4H_ADMIN_PASSWORD: PASSWORD } });
  await t.createUser('root', PASSWORD);
  await t.createUser('dora', PASSWORD); // a member of `default`
  root = await signIn('root');
  member = await signIn('dora');
});
afterAll(() => t?.close());

describe('organisations', () => {
  it('the instance admin creates and lists them; others are refused and see only their own', async () => {
    const created = await call(root, 'POST', '/api/organisations', { name: 'Hospital Norte', settings: { joinPolicy: 'RESTRICT' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Hospital Norte', settings: { joinPolicy: 'RESTRICT', listPolicy: 'RESTRICT' } });
    expect((await call(root, 'POST', '/api/organisations', { name: 'Hospital Norte' })).status).toBe(409);
    const refused = await call(member, 'POST', '/api/organisations', { name: 'Mine' });
    expect(refused).toEqual({ status: 403, body: { error: 'forbidden', message: expect.stringContaining('instance admin') } });
    expect((await call(null, 'GET', '/api/organisations')).status).toBe(401);
    const all = (await call(root, 'GET', '/api/organisations')).body.items.map((o: { name: string }) => o.name);
    expect(all).toEqual(expect.arrayContaining(['default', 'Hospital Norte']));
    const mine = (await call(member, 'GET', '/api/organisations')).body.items;
    expect(mine.map((o: { id: string }) => o.id)).toEqual(['default']);
    expect((await call(member, 'GET', '/api/organisations/default')).status).toBe(200);
    // Another organisation: refused, never "not found" (ids cannot be probed); the admin gets 404 for a missing one.
    expect((await call(member, 'GET', `/api/organisations/${created.body.id}`)).status).toBe(403);
    expect((await call(member, 'GET', '/api/organisations/nope')).status).toBe(403);
    expect((await call(root, 'GET', '/api/organisations/nope')).status).toBe(404);
    expect((await call(root, 'POST', '/api/organisations', { name: 'bad\u0000name' })).status).toBe(400);
  });

  it("an organisation's admin manages its users, units and settings, and nothing of another organisation", async () => {
    const north = (await call(root, 'POST', '/api/organisations', { name: 'Clínica Sul' })).body.id;
    const other = (await call(root, 'POST', '/api/organisations', { name: 'Clínica Leste' })).body.id;
    expect((await call(root, 'POST', `/api/organisations/${north}/users`, { username: 'sul.admin', password: PASSWORD, role: 'admin' })).status).toBe(201);
    expect((await call(root, 'POST', `/api/organisations/${other}/users`, { username: 'leste.user', password: PASSWORD })).status).toBe(201);
    const admin = await signIn('sul.admin');

    const unit = await call(admin, 'POST', `/api/organisations/${north}/units`, { name: 'Pediatria' });
    expect(unit.status).toBe(201);
    expect((await call(admin, 'POST', `/api/organisations/${north}/units`, { name: 'Pediatria' })).status).toBe(409);
    const added = await call(admin, 'POST', `/api/organisations/${north}/users`, { username: 'Eva', password: PASSWORD, units: ['Pediatria'] });
    expect(added).toEqual({ status: 201, body: { username: 'eva', role: 'member', units: [unit.body.id], disabled: false, created: expect.any(String) } });
    expect((await call(admin, 'POST', `/api/organisations/${north}/users`, { username: 'eva', password: PASSWORD })).status).toBe(409);
    expect((await call(admin, 'POST', `/api/organisations/${north}/users`, { username: 'fred', password: PASSWORD, units: ['Cardio'] })).status).toBe(400);
    // The new account signs in.
    const eva = await signIn('eva');
    const users = (await call(admin, 'GET', `/api/organisations/${north}/users`)).body.items.map(
      (u: { username: string; role: string }) => `${u.username}:${u.role}`,
    );
    expect(users).toEqual(['eva:member', 'sul.admin:admin']);
    // Role and units change; the units given replace the old ones.
    const promoted = await call(admin, 'PATCH', `/api/organisations/${north}/users/eva`, { role: 'admin', units: [] });
    expect(promoted.body).toMatchObject({ username: 'eva', role: 'admin', units: [] });
    expect((await call(eva, 'GET', `/api/organisations/${north}/users`)).status).toBe(200);
    // A user of another organisation is unknown here.
    expect((await call(admin, 'PATCH', `/api/organisations/${north}/users/leste.user`, { role: 'admin' })).status).toBe(404);
    // Another organisation: refused, whatever the action.
    for (const [method, path, body] of [
      ['GET', `/api/organisations/${other}`, undefined],
      ['GET', `/api/organisations/${other}/users`, undefined],
      ['GET', `/api/organisations/${other}/units`, undefined],
      ['POST', `/api/organisations/${other}/units`, { name: 'x' }],
      ['POST', `/api/organisations/${other}/users`, { username: 'intruder', password: PASSWORD }],
      ['PATCH', `/api/organisations/${other}/settings`, { joinPolicy: 'PUBLIC' }],
      ['PATCH', `/api/organisations/${other}/users/leste.user`, { role: 'admin' }],
    ] as const) {
      const res = await call(admin, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
    expect(await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'intruder').executeTakeFirst()).toBeUndefined();
    // A member reads their organisation and its units, and manages nothing.
    const leste = await signIn('leste.user');
    expect((await call(leste, 'GET', `/api/organisations/${other}/units`)).status).toBe(200);
    expect((await call(leste, 'GET', `/api/organisations/${other}/users`)).body).toEqual({
      error: 'forbidden',
      message: expect.stringContaining('only admins of this organisation'),
    });
    expect((await call(leste, 'PATCH', `/api/organisations/${other}/settings`, { joinPolicy: 'PUBLIC' })).status).toBe(403);
    // The instance admin manages any organisation.
    expect((await call(root, 'PATCH', `/api/organisations/${other}/settings`, { listPolicy: 'ORG' })).body.settings).toEqual({
      joinPolicy: 'ORG',
      listPolicy: 'ORG',
    });
  });

  it("an organisation's admin erases the personal data of its users and conferences, and of no other organisation", async () => {
    const west = (await call(root, 'POST', '/api/organisations', { name: 'Clínica Oeste' })).body.id;
    await call(root, 'POST', `/api/organisations/${west}/users`, { username: 'oeste.admin', password: PASSWORD, role: 'admin' });
    await call(root, 'POST', `/api/organisations/${west}/users`, { username: 'oeste.dr', password: PASSWORD });
    const admin = await signIn('oeste.admin');
    const doctor = await signIn('oeste.dr');
    const ownConference = (await call(doctor, 'POST', '/api/conferences', {})).body.sessionId;
    const guest = (await call(doctor, 'POST', `/api/conferences/${ownConference}/guest-url`, { name: 'Paciente' })).body.guestId;
    const otherConference = (await call(member, 'POST', '/api/conferences', {})).body.sessionId;
    const erase = (auth: Auth, target: object) => call(auth, 'POST', '/api/admin/erasures', target);
    // Outside the organisation, or unknown: refused alike.
    for (const target of [{ username: 'dora' }, { sessionId: otherConference }, { username: 'nobody' }, { guestId: 'guest-unknown' }]) {
      const res = await erase(admin, target);
      expect(res.status, JSON.stringify(target)).toBe(403);
      expect(res.body.message).toContain('admin of the organisation');
    }
    // A member of the organisation is no admin of it.
    expect((await erase(doctor, { guestId: guest })).status).toBe(403);
    expect((await erase(admin, { guestId: guest })).status).toBe(200);
    expect((await t.db.kysely.selectFrom('guests').select('name').where('guest_id', '=', guest).executeTakeFirstOrThrow()).name).toBeNull();
    expect((await erase(admin, { sessionId: ownConference })).status).toBe(200);
    expect((await erase(admin, { username: 'oeste.dr' })).status).toBe(200);
    expect(await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'oeste.dr').executeTakeFirst()).toBeUndefined();
    expect(await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'dora').executeTakeFirst()).toBeDefined();
    // The instance admin erases in any organisation.
    expect((await erase(root, { sessionId: otherConference })).status).toBe(200);
  });
});
