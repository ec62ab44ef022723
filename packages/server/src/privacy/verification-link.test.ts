// A verification link shows what a third party needs to verify (hashes, chain, proofs, anchors) and no personal data.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFilesTestApp, createConference, upload, type FilesTestApp } from '../test-support/storage.js';

let t: FilesTestApp;
beforeAll(async () => {
  t = await createFilesTestApp('file', {
    env: { V4H_SEAL_DELAY: '0', V4H_JITSI_URL: 'https://meet.example.org', V4H_JITSI_APP_ID: 'clinic', V4H_JITSI_APP_SECRET: 's'.repeat(40) },
  });
});
afterAll(async () => t.close());

const post = async (url: string, auth: Record<string, string>, body: unknown) =>
  fetch(`${t.baseUrl}${url}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

it('the bundle behind a verification link names no owner, guest or file', async () => {
  const owner = await t.userSession(`dr-visible-${randomBytes(3).toString('hex')}`);
  const { sessionId } = await createConference(t, owner);
  expect((await post(`/api/conferences/${sessionId}/start`, owner.auth, { displayName: 'Dra. Visible Name' })).status).toBe(200);
  expect(
    (await post(`/api/conferences/${sessionId}/guest-url`, owner.auth, { name: 'Guest Visible Name', avatarUrl: 'https://img.example/visible.png' })).status,
  ).toBe(200);
  expect((await upload(t, sessionId, randomBytes(2000), { auth: owner.auth, name: 'Guest Visible Name exam.webm' })).status).toBe(201);
  expect((await post(`/api/conferences/${sessionId}/end`, owner.auth, {})).status).toBe(200);
  await t.app.records.sealer.runOnce();
  await t.app.records.anchorer.runOnce();
  const link = (await (await post(`/api/conferences/${sessionId}/verification-links`, owner.auth, {})).json()) as { token: string };
  const res = await fetch(`${t.baseUrl}/api/verify/${link.token}`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const bundle = JSON.parse(text) as { manifests: { manifest: { events: { type: string }[] } }[] };
  expect(bundle.manifests[0].manifest.events.map((e) => e.type)).toContain('guest_link_issued');
  for (const personal of [owner.username, 'Visible Name', 'visible.png', 'exam.webm']) expect(text).not.toContain(personal);
});
