// Who may enter a consultation and see its files (issue 15 item 1, issue 16 item 5): join policies, file sharing,
// presence that grants nothing, and session ids that reveal only "taken".
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, JITSI_TEST_ENV, type TestApp } from '../test-support/test-app.js';
import { listEvents } from '../db/event-log.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ env: { ...JITSI_TEST_ENV, V4H_CONFERENCE_ID_REQUESTS_PER_MINUTE: '6' } });
});
afterEach(() => t.close());

type Session = Awaited<ReturnType<TestApp['userSession']>>;
async function call(session: Session | null, method: string, path: string, body?: unknown, contentType = 'application/json') {
  const headers: Record<string, string> = session ? { ...session.auth } : {};
  if (body !== undefined) headers['content-type'] = contentType;
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, body: text && json ? JSON.parse(text) : null };
}
const request = async (owner: Session, body: object) => {
  const res = await call(owner, 'POST', '/api/conferences', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.sessionId as string;
};
const join = (who: Session, sessionId: string, body: object = {}) => call(who, 'POST', `/api/conferences/${sessionId}/join`, body);
const upload = (who: Session, sessionId: string, query: string) =>
  call(who, 'POST', `/api/conferences/${sessionId}/files?${query}`, '%PDF-1.4 test', 'application/pdf');

describe('join policies', () => {
  it('ORG (the default) lets a colleague join on an install without organisations', async () => {
    const [ana, bob] = [await t.userSession('ana'), await t.userSession('bob')];
    const id = await request(ana, {});
    expect((await join(bob, id)).status).toBe(200);
    const row = await t.db.kysely.selectFrom('conferences').select('join_policy').where('session_id', '=', id).executeTakeFirstOrThrow();
    expect(row.join_policy).toBe('ORG');
  });

  it('RESTRICT admits only the named users (the reproduction: any user who knew the id got in)', async () => {
    const [ana, bob, carol] = [await t.userSession('ana'), await t.userSession('bob'), await t.userSession('carol')];
    // Usernames are case-insensitive: 'Carol' names the account carol.
    const id = await request(ana, { joinPolicy: 'RESTRICT', users: ['Carol'] });
    const refused = await join(bob, id, { displayName: 'Dr. Alice' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('forbidden');
    expect(refused.body.message).toContain('RESTRICT');
    expect((await join(carol, id)).status).toBe(200);
    expect((await call(ana, 'POST', `/api/conferences/${id}/start`, {})).status).toBe(200);
    // An unknown name is the owner's typo: said at once.
    const typo = await call(ana, 'POST', '/api/conferences', { joinPolicy: 'RESTRICT', users: ['nobody'] });
    expect(typo.status).toBe(400);
  });

  it('SESSIONPWD wants the password from the joiner and stores only an argon2id hash', async () => {
    const [ana, bob] = [await t.userSession('ana'), await t.userSession('bob')];
    const id = await request(ana, { joinPolicy: 'SESSIONPWD', password: 'blue-heron-42' });
    const row = await t.db.kysely.selectFrom('conferences').select('join_password_hash').where('session_id', '=', id).executeTakeFirstOrThrow();
    expect(row.join_password_hash).toMatch(/^\$argon2id\$/);
    expect(row.join_password_hash).not.toContain('blue-heron-42');
    for (const body of [{}, { password: 'wrong' }]) {
      const refused = await join(bob, id, body);
      expect(refused.status).toBe(403);
      expect(refused.body.message).toContain('SESSIONPWD');
    }
    expect((await join(bob, id, { password: 'blue-heron-42' })).status).toBe(200);
    // Admitted once: a reload comes back without the password.
    expect((await join(bob, id, {})).status).toBe(200);
    expect((await call(ana, 'POST', '/api/conferences', { joinPolicy: 'SESSIONPWD' })).status).toBe(400);
    expect((await call(ana, 'POST', '/api/conferences', { joinPolicy: 'PUBLIC', password: 'x' })).status).toBe(400);
  });

  it('SESSIONPWD stops a guesser: after 10 wrong passwords even the right one is refused (429) until the window ends', async () => {
    const [ana, bob, eve] = [await t.userSession('ana'), await t.userSession('bob'), await t.userSession('eve')];
    const id = await request(ana, { joinPolicy: 'SESSIONPWD', password: 'blue-heron-42' });
    for (let i = 0; i < 10; i++) expect((await join(bob, id, { password: `guess-${i}` })).status).toBe(403);
    const limited = await join(bob, id, { password: 'blue-heron-42' });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('rate_limited');
    // The count is per user and conference: someone else with the password still gets in.
    expect((await join(eve, id, { password: 'blue-heron-42' })).status).toBe(200);
  });

  it('PUBLIC lets any account join, and nobody without one', async () => {
    const [ana, bob] = [await t.userSession('ana'), await t.userSession('bob')];
    const id = await request(ana, { joinPolicy: 'PUBLIC' });
    expect((await join(bob, id)).status).toBe(200);
    expect((await join(null as unknown as Session, id)).status).toBe(401);
  });
});

describe('files', () => {
  it('joining does not open the files: participants see their own and what the owner shares', async () => {
    const [ana, bob, eve] = [await t.userSession('ana'), await t.userSession('bob'), await t.userSession('eve')];
    const id = await request(ana, {});
    await call(ana, 'POST', `/api/conferences/${id}/start`, {});
    const secret = await upload(ana, id, 'kind=attachment&name=lab.pdf');
    expect(secret.status).toBe(201);
    expect(secret.body.shared).toBe(false);
    const atUpload = await upload(ana, id, 'kind=attachment&name=leaflet.pdf&shared=true');
    expect(atUpload.body.shared).toBe(true);

    const embed = await join(bob, id, { displayName: 'Dr. Alice' });
    expect(embed.status).toBe(200);
    // Presence reports never grant anything.
    expect((await call(null, 'POST', `/api/conferences/${id}/presence`, { event: 'joined', presenceToken: embed.body.presenceToken })).status).toBe(200);
    const own = await upload(bob, id, 'kind=attachment&name=mine.pdf');
    expect(own.status).toBe(201);
    const names = async (who: Session) => ((await call(who, 'GET', `/api/conferences/${id}/files`)).body.items as { name: string }[]).map((f) => f.name);
    expect(await names(bob)).toEqual(['leaflet.pdf', 'mine.pdf']);
    expect((await call(bob, 'GET', `/api/conferences/${id}/files/${secret.body.fileId}`)).status).toBe(404);
    // Bob may not share, nor upload shared.
    expect((await call(bob, 'POST', `/api/conferences/${id}/files/${secret.body.fileId}/share`)).status).toBe(403);
    expect((await upload(bob, id, 'kind=attachment&shared=true')).status).toBe(403);

    const shared = await call(ana, 'POST', `/api/conferences/${id}/files/${secret.body.fileId}/share`);
    expect(shared.status).toBe(200);
    expect(shared.body.shared).toBe(true);
    expect(await names(bob)).toEqual(['lab.pdf', 'leaflet.pdf', 'mine.pdf']);
    expect((await call(bob, 'GET', `/api/conferences/${id}/files/${secret.body.fileId}`)).status).toBe(200);
    expect(await names(ana)).toEqual(['lab.pdf', 'leaflet.pdf', 'mine.pdf']);
    // Someone never admitted sees nothing at all.
    expect((await call(eve, 'GET', `/api/conferences/${id}/files`)).status).toBe(403);
    expect((await call(eve, 'GET', `/api/conferences/${id}/files/${secret.body.fileId}`)).status).toBe(403);
  });

  it('a presence token alone never opens the files list (the reproduction turned 403 into 200)', async () => {
    const [ana, bob] = [await t.userSession('ana'), await t.userSession('bob')];
    const mine = await request(bob, {});
    const bobsEmbed = await join(bob, mine);
    const id = await request(ana, {});
    await call(ana, 'POST', `/api/conferences/${id}/start`, {});
    expect((await call(bob, 'GET', `/api/conferences/${id}/files`)).status).toBe(403);
    // Bob's presence token is for his own conference: reporting it at Ana's is refused and grants nothing.
    expect((await call(null, 'POST', `/api/conferences/${id}/presence`, { event: 'joined', presenceToken: bobsEmbed.body.presenceToken })).status).toBe(403);
    expect((await call(bob, 'GET', `/api/conferences/${id}/files`)).status).toBe(403);
  });
});

describe('probing session ids', () => {
  it('reveals only "taken": no owner, no state; the owner of an ended id hears conference_ended at once', async () => {
    const [ana, bob] = [await t.userSession('ana'), await t.userSession('bob')];
    await request(ana, { sessionId: 'consult-7' });
    const taken = await call(bob, 'POST', '/api/conferences', { sessionId: 'consult-7' });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ error: 'conflict', message: 'this session id is taken' });
    await call(ana, 'POST', '/api/conferences/consult-7/end');
    const ended = await call(ana, 'POST', '/api/conferences', { sessionId: 'consult-7' });
    expect(ended.status).toBe(409);
    expect(ended.body.error).toBe('conference_ended');
    // To anyone else an ended id is just as taken as a live one.
    expect((await call(bob, 'POST', '/api/conferences', { sessionId: 'consult-7' })).body).toEqual(taken.body);
    const events = await listEvents(t.db.kysely, 'consult-7');
    expect(events.filter((e) => e.type === 'requested')).toHaveLength(1);
  });

  it('limits requests naming an id per user', async () => {
    const [ana, bob] = [await t.userSession('ana'), await t.userSession('bob')];
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await call(bob, 'POST', '/api/conferences', { sessionId: `guess-${i}` })).status);
    expect(statuses.slice(0, 6).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(6)).toEqual([429, 429]);
    // Per user: Ana is not slowed down by Bob, and fresh random ids are never limited.
    expect((await call(ana, 'POST', '/api/conferences', { sessionId: 'ana-1' })).status).toBe(201);
    expect((await call(bob, 'POST', '/api/conferences', {})).status).toBe(201);
  });
});

describe('ending', () => {
  it('the last participant leaving ends the conference only once the owner has been in (the reproduction: a guest first ended it for good)', async () => {
    const [ana, bob] = [await t.userSession('ana'), await t.userSession('bob')];
    const id = await request(ana, {});
    const presence = (token: string, event: string) => call(null, 'POST', `/api/conferences/${id}/presence`, { event, presenceToken: token });
    const early = (await join(bob, id)).body;
    await presence(early.presenceToken, 'joined');
    expect((await presence(early.presenceToken, 'left')).body.state).toBe('requested');
    // The doctor arrives later and starts the call.
    const a = await call(ana, 'POST', `/api/conferences/${id}/start`, {});
    expect(a.status).toBe(200);
    await presence(a.body.presenceToken, 'joined');
    const again = (await join(bob, id)).body;
    await presence(again.presenceToken, 'joined');
    expect((await presence(a.body.presenceToken, 'left')).body.state).toBe('started');
    expect((await presence(again.presenceToken, 'left')).body.state).toBe('ended');
  });
});
