// API keys over real HTTP: created by an organisation's admin (and the CLI), listed without secrets, hashed at rest,
// scopes, revocation at once, last use, a rate limit per key, owners only of the key's organisation, logs by key id.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestAppOptions } from '../test-support/test-app.js';
import { runCli } from '../cli/commands.js';
import { addMember, addOrganisation, jsonRequest } from './test-support.js';
import { V4H, isV4HError } from '@v4h/client';

let t: TestApp;
afterEach(async () => {
  await t?.close();
});

async function start(options: TestAppOptions = {}) {
  t = await createTestApp(options);
  return t;
}

/** An organisation with an admin (signed in) and a member, and a key the admin created over REST. */
async function organisationWithKey(scopes?: string[], org = 'clinic-a') {
  await addOrganisation(t.db, org);
  const admin = await t.userSession();
  const member = await t.createUser();
  await addMember(t.db, org, admin.username, 'admin');
  await addMember(t.db, org, member.username, 'member');
  const created = await jsonRequest(t, 'POST', '/api/apikeys', { name: 'EHR', ...(scopes ? { scopes } : {}) }, admin.accessToken);
  expect(created.status).toBe(201);
  return { admin, member, key: created.body.key as string, id: created.body.id as string, created: created.body };
}

describe('creating and listing keys', () => {
  it('shows the key once (v4hk_<id>_<secret>), lists it without the secret, and keeps only a hash', async () => {
    await start();
    const { admin, key, id, created } = await organisationWithKey();
    expect(key).toMatch(new RegExp(`^v4hk_${id}_[A-Za-z0-9_-]{43}$`));
    expect(created).toMatchObject({
      organisationId: 'clinic-a',
      name: 'EHR',
      scopes: ['conferences:read', 'conferences:write'],
      lastUsedAt: null,
      revokedAt: null,
    });
    const list = await jsonRequest(t, 'GET', '/api/apikeys', undefined, admin.accessToken);
    expect(list.status).toBe(200);
    const { key: _shown, ...info } = created;
    expect(list.body.items).toEqual([info]);
    expect(JSON.stringify(list.body)).not.toContain(key.slice(22));
    // Nothing in the database holds the secret, in any column of any key row.
    const secret = key.slice(`v4hk_${id}_`.length);
    const rows = await t.db.kysely.selectFrom('api_keys').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lets only the organisation’s admins (and the server admin) manage its keys', async () => {
    await start({ env: { V4H_ADMIN_USERNAME: 'root-admin', V4H_ADMIN_PASSWORD: 'root-admin-password-0123' } });
    const { member, id } = await organisationWithKey();
    const memberTokens = await t.login(member.username, member.password);
    expect((await jsonRequest(t, 'POST', '/api/apikeys', { name: 'x' }, memberTokens.accessToken)).status).toBe(403);
    expect((await jsonRequest(t, 'GET', '/api/apikeys', undefined, memberTokens.accessToken)).status).toBe(403);
    expect((await jsonRequest(t, 'POST', `/api/apikeys/${id}/revoke`, undefined, memberTokens.accessToken)).status).toBe(403);
    // An admin of another organisation neither.
    await addOrganisation(t.db, 'clinic-b');
    const otherAdmin = await t.userSession();
    await addMember(t.db, 'clinic-b', otherAdmin.username, 'admin');
    expect((await jsonRequest(t, 'GET', '/api/apikeys?organisationId=clinic-a', undefined, otherAdmin.accessToken)).status).toBe(403);
    expect((await jsonRequest(t, 'POST', `/api/apikeys/${id}/revoke`, undefined, otherAdmin.accessToken)).status).toBe(403);
    // The server's admin manages any organisation's keys.
    await t.createUser('root-admin', 'root-admin-password-0123'); // server.ts creates it at start; buildApp does not
    const root = await t.login('root-admin', 'root-admin-password-0123');
    const listed = await jsonRequest(t, 'GET', '/api/apikeys?organisationId=clinic-a', undefined, root.accessToken);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((k: { id: string }) => k.id)).toEqual([id]);
  });

  it('refuses unknown scopes', async () => {
    await start();
    await addOrganisation(t.db, 'clinic-a');
    const admin = await t.userSession();
    await addMember(t.db, 'clinic-a', admin.username, 'admin');
    const res = await jsonRequest(t, 'POST', '/api/apikeys', { name: 'x', scopes: ['everything'] }, admin.accessToken);
    expect(res.status).toBe(400);
  });

  it('v4h apikey create prints the key once; list shows no secret; revoke refuses it at once', async () => {
    await start();
    await addOrganisation(t.db, 'clinic-a');
    const member = await t.createUser();
    await addMember(t.db, 'clinic-a', member.username, 'member');
    const env = { V4H_DATA_DIR: t.dataDir, V4H_DATABASE_URL: t.config.databaseUrl, V4H_LOG_LEVEL: 'silent' };
    const created = await cli(['apikey', 'create', '--org', 'clinic-a', '--name', 'EHR', '--scopes', 'conferences:write'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^v4hk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const id = key.slice(5, 21);
    const made = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    expect(made.status).toBe(201);
    const listed = await cli(['apikey', 'list', '--org', 'clinic-a'], env);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('conferences:write');
    expect(listed.stdout).not.toContain(key.slice(22));
    expect((await cli(['apikey', 'revoke', id], env)).code).toBe(0);
    const refused = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    expect(refused.status).toBe(401);
    expect((await cli(['apikey', 'create', '--org', 'no-such-org', '--name', 'x'], env)).code).toBe(1);
    expect((await cli(['apikey', 'create', '--org', 'clinic-a', '--name', 'x', '--scopes', 'all'], env)).code).toBe(2);
  });
});

describe('a key on the REST API', () => {
  it('creates a conference on behalf of a member, as the record shows (actor apikey:<id>), and reads it', async () => {
    await start();
    const { member, key, id } = await organisationWithKey();
    const made = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    expect(made.status).toBe(201);
    const sessionId = made.body.sessionId as string;
    const details = await jsonRequest(t, 'GET', `/api/conferences/${sessionId}`, undefined, key);
    expect(details.status).toBe(200);
    expect(details.body.owner).toBe(member.username);
    const events = await t.db.kysely.selectFrom('conference_events').select(['type', 'actor']).where('session_id', '=', sessionId).execute();
    expect(events).toEqual([{ type: 'requested', actor: `apikey:${id}` }]);
    // The member, signed in, owns it.
    const tokens = await t.login(member.username, member.password);
    expect((await jsonRequest(t, 'GET', `/api/conferences/${sessionId}`, undefined, tokens.accessToken)).status).toBe(200);
  });

  it('needs an owner of the key’s organisation: other organisations’ users and unknown names are refused alike', async () => {
    await start();
    const { key } = await organisationWithKey();
    await addOrganisation(t.db, 'clinic-b');
    const stranger = await t.createUser();
    await addMember(t.db, 'clinic-b', stranger.username, 'member');
    const other = await jsonRequest(t, 'POST', '/api/conferences', { owner: stranger.username }, key);
    const unknown = await jsonRequest(t, 'POST', '/api/conferences', { owner: 'nobody-at-all' }, key);
    expect(other.status).toBe(403);
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: other.status, body: other.body });
    expect((await jsonRequest(t, 'POST', '/api/conferences', {}, key)).status).toBe(400);
    // And its conferences stay out of the key's reach.
    const strangerTokens = await t.login(stranger.username, stranger.password);
    const theirs = await jsonRequest(t, 'POST', '/api/conferences', {}, strangerTokens.accessToken);
    expect((await jsonRequest(t, 'GET', `/api/conferences/${theirs.body.sessionId}`, undefined, key)).status).toBe(403);
    expect((await jsonRequest(t, 'POST', `/api/conferences/${theirs.body.sessionId}/join-links`, { externalId: 'p1', role: 'guest' }, key)).status).toBe(403);
  });

  it('enforces scopes', async () => {
    await start();
    const { admin, member, key: readOnly } = await organisationWithKey(['conferences:read']);
    const writeOnly = (await jsonRequest(t, 'POST', '/api/apikeys', { name: 'w', scopes: ['conferences:write'] }, admin.accessToken)).body.key as string;
    const denied = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, readOnly);
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('conferences:write');
    const made = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, writeOnly);
    expect(made.status).toBe(201);
    const read = await jsonRequest(t, 'GET', `/api/conferences/${made.body.sessionId}`, undefined, writeOnly);
    expect(read.status).toBe(403);
    expect(read.body.message).toContain('conferences:read');
    expect((await jsonRequest(t, 'GET', `/api/conferences/${made.body.sessionId}`, undefined, readOnly)).status).toBe(200);
    expect((await jsonRequest(t, 'POST', `/api/conferences/${made.body.sessionId}/join-links`, { externalId: 'p1', role: 'guest' }, readOnly)).status).toBe(
      403,
    );
  });

  it('lists every conference of its organisation (conferences:read), whatever their list policy, and no other', async () => {
    await start();
    const { member, key } = await organisationWithKey(['conferences:read', 'conferences:write']);
    const other = await t.userSession(); // in `default`
    const mine = [];
    for (const listPolicy of ['RESTRICT', 'SESSIONPWD', 'ORG'])
      mine.push((await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username, listPolicy, joinPolicy: 'ORG' }, key)).body.sessionId as string);
    const foreign = (await jsonRequest(t, 'POST', '/api/conferences', { listPolicy: 'PUBLIC' }, other.accessToken)).body.sessionId as string;
    expect(foreign).toEqual(expect.any(String));
    const first = await jsonRequest(t, 'GET', '/api/conferences?limit=2', undefined, key);
    expect(first.status).toBe(200);
    const rest = await jsonRequest(t, 'GET', `/api/conferences?limit=2&cursor=${encodeURIComponent(first.body.nextCursor as string)}`, undefined, key);
    const listed = [...first.body.items, ...rest.body.items].map((c: { sessionId: string }) => c.sessionId);
    expect(new Set(listed)).toEqual(new Set(mine));
    expect(listed).not.toContain(foreign);
    expect(rest.body.nextCursor).toBeNull();
    const writeOnly = await organisationWithKey(['conferences:write'], 'clinic-b');
    const refused = await jsonRequest(t, 'GET', '/api/conferences', undefined, writeOnly.key);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('conferences:read');
  });

  it('is refused on routes that do not take keys, and with a wrong secret', async () => {
    await start();
    const { key, member } = await organisationWithKey();
    const made = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    for (const [method, path] of [
      ['POST', `/api/conferences/${made.body.sessionId}/start`],
      ['GET', '/api/apikeys'],
      ['GET', '/api/auth/session'],
    ] as const) {
      const res = await jsonRequest(t, method, path, method === 'POST' ? {} : undefined, key);
      expect([401, 403], `${method} ${path}`).toContain(res.status);
    }
    const forged = `${key.slice(0, 22)}${'A'.repeat(43)}`;
    expect((await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, forged)).status).toBe(401);
    expect((await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, 'v4hk_short')).status).toBe(401);
  });

  it('a user cannot name another owner', async () => {
    await start();
    const { admin, member } = await organisationWithKey();
    const res = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, admin.accessToken);
    expect(res.status).toBe(400);
  });

  it('refuses a revoked key from the next request on', async () => {
    await start();
    const { admin, member, key, id } = await organisationWithKey();
    expect((await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key)).status).toBe(201);
    const revoked = await jsonRequest(t, 'POST', `/api/apikeys/${id}/revoke`, undefined, admin.accessToken);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const refused = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    expect(refused).toMatchObject({ status: 401, body: { error: 'unauthorized', message: 'this API key was revoked' } });
  });

  it('records the last use', async () => {
    await start();
    const { admin, member, key } = await organisationWithKey();
    const before = Date.now();
    await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    const listed = await jsonRequest(t, 'GET', '/api/apikeys', undefined, admin.accessToken);
    const lastUsed = Date.parse(listed.body.items[0].lastUsedAt);
    expect(lastUsed).toBeGreaterThanOrEqual(before - 1000);
    expect(lastUsed).toBeLessThanOrEqual(Date.now());
  });

  it('limits requests per key (429 with Retry-After), not per organisation', async () => {
    await start({ env: { V4H_API_KEY_REQUESTS_PER_MINUTE: '3' } });
    const { admin, member, key } = await organisationWithKey();
    const other = (await jsonRequest(t, 'POST', '/api/apikeys', { name: 'second' }, admin.accessToken)).body.key as string;
    for (let i = 0; i < 3; i++) expect((await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key)).status).toBe(201);
    const limited = await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, other)).status).toBe(201);
  });

  it('names the key id, never the key, in the logs', async () => {
    const lines: string[] = [];
    await start({ logStream: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) });
    const { admin, member, key, id } = await organisationWithKey();
    await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    await jsonRequest(t, 'POST', `/api/apikeys/${id}/revoke`, undefined, admin.accessToken);
    await jsonRequest(t, 'POST', '/api/conferences', { owner: member.username }, key);
    const log = lines.join('');
    const used = lines.map((l) => JSON.parse(l)).filter((l) => l.apiKeyId === id);
    expect(used.some((l) => l.msg === 'request completed' && l.res?.statusCode === 201)).toBe(true);
    expect(used.some((l) => l.msg === 'API key refused')).toBe(true);
    expect(log).not.toContain(key.slice(22));
  });
});

describe('the SDK in Node with an API key', () => {
  it('requests a conference on behalf of a member, reads it and mints an appointment link', async () => {
    await start();
    const { member, key } = await organisationWithKey();
    const v4h = new V4H({ baseUrl: t.baseUrl, apiKey: key });
    const sessionId = await v4h.requestConference(undefined, { owner: member.username });
    expect((await v4h.getConference(sessionId)).owner).toBe(member.username);
    const link = await v4h.createJoinLink(sessionId, { externalId: 'patient-9', role: 'guest' });
    expect(link.url).toContain('/join?token=');
    // A key of no use: the server's answer, typed.
    const revoked = new V4H({ baseUrl: t.baseUrl, apiKey: `${key.slice(0, 22)}${'A'.repeat(43)}` });
    const error = await revoked.getConference(sessionId).catch((e: unknown) => e);
    expect(isV4HError(error) && [error.code, error.status]).toEqual(['unauthorized', 401]);
  });
});

async function cli(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdin: process.stdin,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
