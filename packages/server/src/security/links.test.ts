// Attacks on the other credentials: signed download links, verification links and the recorder secret —
// tampered, swapped, expired or misused, they open nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, JITSI_TEST_ENV, type TestApp } from '../test-support/test-app.js';

const RECORDER_SECRET = 'recorder-secret-for-the-attack-tests-0123456789';
let t: TestApp;
let owner: Awaited<ReturnType<TestApp['userSession']>>;
let mallory: Awaited<ReturnType<TestApp['userSession']>>;
let conference: { sessionId: string; roomName: string };
let other: { sessionId: string };
let files: { mine: { fileId: string; url: string }; theirs: { fileId: string; url: string } };

const inject = (method: string, url: string, headers: Record<string, string> = {}, payload?: string, contentType = 'application/json') =>
  t.app.inject({ method: method as 'GET', url, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': contentType }) }, payload });

async function conferenceOf(session: typeof owner) {
  const { sessionId } = (await inject('POST', '/api/conferences', session.auth, '{}')).json();
  const embed = (await inject('POST', `/api/conferences/${sessionId}/start`, session.auth, '{}')).json();
  return { sessionId, roomName: String(embed.roomName).split('/').pop()! };
}

async function attach(session: typeof owner, sessionId: string, body: string) {
  const res = await inject('POST', `/api/conferences/${sessionId}/files?kind=attachment&name=a.txt`, session.auth, body, 'text/plain');
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ fileId: string; url: string }>();
}

beforeAll(async () => {
  t = await createTestApp({ manualClock: true, env: { ...JITSI_TEST_ENV, V4H_RECORDER_SECRET: RECORDER_SECRET, V4H_ACCESS_TOKEN_TTL: '864000' } });
  owner = await t.userSession();
  mallory = await t.userSession();
  conference = await conferenceOf(owner);
  other = await conferenceOf(mallory);
  files = { mine: await attach(owner, conference.sessionId, 'owner secret'), theirs: await attach(mallory, other.sessionId, 'mallory file') };
}, 60_000);
afterAll(() => t?.close());

const pathOf = (url: string) => {
  const u = new URL(url, 'http://x');
  return { path: u.pathname, expires: u.searchParams.get('expires')!, signature: u.searchParams.get('signature')! };
};

describe('signed download links', () => {
  it('open the file they were made for', async () => {
    const res = await inject('GET', new URL(files.mine.url, 'http://x').pathname + new URL(files.mine.url, 'http://x').search);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('owner secret');
  });

  it('refuse a swapped file id, a moved expiry, a truncated or foreign signature', async () => {
    const mine = pathOf(files.mine.url);
    const theirs = pathOf(files.theirs.url);
    const attempts = [
      `/api/files/${files.theirs.fileId}/content?expires=${mine.expires}&signature=${mine.signature}`,
      `${mine.path}?expires=${Number(mine.expires) + 86_400}&signature=${mine.signature}`,
      `${mine.path}?expires=${mine.expires}&signature=${mine.signature.slice(0, -2)}`,
      `${mine.path}?expires=${mine.expires}&signature=${theirs.signature}`,
      `${mine.path}?expires=${mine.expires}&signature=${'A'.repeat(mine.signature.length)}`,
      `${mine.path}?expires=${theirs.expires}&signature=`,
    ];
    for (const url of attempts) {
      const res = await inject('GET', url);
      expect([400, 403], `${url}: ${res.body}`).toContain(res.statusCode);
      expect(res.body).not.toContain('owner secret');
      expect(res.body).not.toContain('mallory file');
    }
  });

  it('expire', async () => {
    const mine = pathOf(files.mine.url);
    const before = t.clock!.ms;
    t.clock!.ms = Number(mine.expires) * 1000 + 1000;
    try {
      const res = await inject('GET', `${mine.path}?expires=${mine.expires}&signature=${mine.signature}`);
      expect(res.statusCode).toBe(403);
    } finally {
      t.clock!.ms = before;
    }
  });
});

describe('verification links', () => {
  it('open only their own conference, unaltered and unexpired', async () => {
    const minted = await inject('POST', `/api/conferences/${conference.sessionId}/verification-links`, owner.auth, JSON.stringify({ expiresIn: 3600 }));
    expect(minted.statusCode, minted.body).toBe(201);
    const { token } = minted.json();
    expect((await inject('GET', `/api/verify/${token}`)).statusCode).not.toBe(401);
    const [sessionId, exp, mac] = token.split('.');
    const forged = [
      `${other.sessionId}.${exp}.${mac}`,
      `${sessionId}.${(parseInt(exp, 36) + 10 ** 6).toString(36)}.${mac}`,
      `${sessionId}.${exp}.${'A'.repeat(mac.length)}`,
      `${sessionId}.${exp}`,
      `${sessionId}..${mac}`,
      owner.accessToken,
    ];
    for (const attempt of forged) {
      const res = await inject('GET', `/api/verify/${encodeURIComponent(attempt)}`);
      expect([400, 401, 404], `${attempt}: ${res.body}`).toContain(res.statusCode);
      expect(res.json()).toHaveProperty('error');
    }
    const before = t.clock!.ms;
    t.clock!.advance(3601);
    try {
      expect((await inject('GET', `/api/verify/${token}`)).statusCode).toBe(401);
    } finally {
      t.clock!.ms = before;
    }
  });

  it('cannot be minted for someone else’s conference', async () => {
    const res = await inject('POST', `/api/conferences/${other.sessionId}/verification-links`, owner.auth, '{}');
    expect([403, 404]).toContain(res.statusCode);
  });
});

describe('the recorder credential', () => {
  const recorder = { authorization: `Bearer ${RECORDER_SECRET}` };
  const upload = (url: string, headers: Record<string, string>, contentType = 'video/webm') => inject('POST', url, headers, 'webm bytes', contentType);

  it('uploads recordings by room name; a wrong secret or a user token cannot', async () => {
    const url = `/api/rooms/${conference.roomName}/files?kind=recording`;
    for (const headers of [
      { authorization: `Bearer ${RECORDER_SECRET}x` },
      { authorization: `Bearer ${RECORDER_SECRET.slice(0, -1)}` },
      owner.auth,
      mallory.auth,
      {},
    ]) {
      const res = await upload(url, headers);
      expect(res.statusCode, res.body).toBe(401);
    }
    const ok = await upload(url, recorder);
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('cannot upload attachments, read files, or act as a user', async () => {
    const attachment = await upload(`/api/conferences/${conference.sessionId}/files?kind=attachment&name=x.txt`, recorder, 'text/plain');
    expect(attachment.statusCode).toBe(403);
    for (const [method, url] of [
      ['GET', `/api/conferences/${conference.sessionId}/files`],
      ['GET', `/api/conferences/${conference.sessionId}/files/${files.mine.fileId}`],
      ['GET', `/api/conferences/${conference.sessionId}`],
      ['GET', '/api/auth/session'],
      ['POST', '/api/conferences'],
    ]) {
      const res = await inject(method, url, recorder, method === 'POST' ? '{}' : undefined);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(401);
    }
  });

  it('a user cannot upload a recording, even the owner (only the recorder records)', async () => {
    const res = await upload(`/api/conferences/${other.sessionId}/files?kind=recording`, owner.auth);
    expect([403, 404]).toContain(res.statusCode);
  });
});
