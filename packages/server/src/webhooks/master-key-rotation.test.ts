// `v4h rotate-master-key` re-wraps webhook signing secrets too: after it, with the old master key gone (the
// V4H_MASTER_KEY_PREVIOUS removed, or the key file replaced), deliveries are still signed with the same secrets and
// verify with the documented recipe (a real receiver on 127.0.0.1; SQLite and PostgreSQL).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestApp, createTestDatabase, type TestApp } from '../test-support/test-app.js';
import { WebhookReceiver } from '../test-support/webhook-receiver.js';
import { runCli } from '../cli/commands.js';
import { MasterKeyring } from '../storage/encryption.js';
import { MASTER_KEY_FILE } from '../secrets.js';

const ENV = {
  V4H_WEBHOOKS_ALLOW_HTTP: 'true',
  V4H_WEBHOOKS_RETRY_BASE_MS: '20',
  V4H_WEBHOOKS_POLL_INTERVAL_MS: '20',
  V4H_WEBHOOKS_TIMEOUT: '1',
  V4H_ADMIN_USERNAME: 'root',
  V4H_ADMIN_PASSWORD: 'a long admin passphrase',
};

async function cli(env: Record<string, string>, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = { stdin: process.stdin, env, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const status = await runCli(argv, io);
  return { status, stdout, stderr };
}

/** The documented Node recipe (docs/webhooks.md). */
function verifies(rawBody: string, header: string, secret: string): boolean {
  const parts = header.split(',').map((p) => p.split('='));
  const ts = parts.find(([k]) => k === 't')?.[1];
  const expected = createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest();
  return parts.some(([k, v]) => k === 'v1' && v.length === 64 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

async function api(t: TestApp, method: string, path: string, token: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('master key rotation (v4h rotate-master-key) and webhook secrets', () => {
  it('re-wraps the secrets (and a rotation’s previous one): deliveries still verify once the old key is gone', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-wh-rotation-'));
    const database = await createTestDatabase(dataDir);
    const base = { V4H_DATA_DIR: dataDir, V4H_DATABASE_URL: database.url };
    const receiver = new WebhookReceiver();
    await receiver.start();
    const [k1, k2] = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
    const idOf = (key: string | Buffer) => MasterKeyring.idOf(typeof key === 'string' ? Buffer.from(key, 'hex') : key);
    const keyIds = async (t: TestApp) =>
      t.db.kysely.selectFrom('webhooks').select(['secret_key_id', 'previous_key_id']).where('id', '=', hookId).executeTakeFirstOrThrow();
    let hookId = '';
    let secret = '';
    let previous = '';
    let first = true;
    /** Starts the server with `env`, has a conference logged, and checks its delivery is signed with both secrets. */
    const round = async (env: Record<string, string>, check?: (t: TestApp) => Promise<void>) => {
      const t = await createTestApp({ dataDir, database, env: { ...ENV, ...env }, workers: true });
      try {
        if (first) await t.createUser('root', ENV.V4H_ADMIN_PASSWORD);
        const token = (await t.login('root', ENV.V4H_ADMIN_PASSWORD)).accessToken;
        if (first) {
          first = false;
          const created = await api(t, 'POST', '/api/webhooks', token, { url: receiver.url, events: ['conference.requested'] });
          expect(created.status).toBe(201);
          hookId = created.body.id as string;
          previous = created.body.secret as string;
          // A rotation of the endpoint's own secret in its overlap: two wrapped secrets to carry over.
          const rotated = await api(t, 'POST', `/api/webhooks/${hookId}/rotate-secret`, token, { overlapSeconds: 3600 });
          secret = rotated.body.secret as string;
        }
        await check?.(t);
        const { sessionId } = (await api(t, 'POST', '/api/conferences', token, {})).body as { sessionId: string };
        await receiver.waitFor(() => receiver.events().some((e) => e.sessionId === sessionId));
        const got = receiver.received.find((r) => r.body.includes(sessionId))!;
        const header = got.headers['v4h-signature'] as string;
        expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
        expect(verifies(got.body, header, secret)).toBe(true);
        expect(verifies(got.body, header, previous)).toBe(true);
      } finally {
        await t.close();
      }
    };
    try {
      await round({ V4H_MASTER_KEY: k1 }, async (t) => expect(await keyIds(t)).toEqual({ secret_key_id: idOf(k1), previous_key_id: idOf(k1) }));
      // V4H_MASTER_KEY: the new key, the old one in V4H_MASTER_KEY_PREVIOUS while the command runs, then gone.
      const rotated = await cli({ ...base, V4H_MASTER_KEY: k2, V4H_MASTER_KEY_PREVIOUS: k1 }, 'rotate-master-key');
      expect(rotated).toMatchObject({ status: 0, stdout: expect.stringContaining('re-wrapped the signing secrets of 1 webhook endpoint(s)') });
      await round({ V4H_MASTER_KEY: k2 }, async (t) => expect(await keyIds(t)).toEqual({ secret_key_id: idOf(k2), previous_key_id: idOf(k2) }));
      // With no file stored, the old key alone is still refused at start: the secrets need k2.
      await expect(createTestApp({ dataDir, database, env: { ...ENV, V4H_MASTER_KEY: k1 } })).rejects.toThrow(
        new RegExp(`^wrong master key: the webhook signing secrets are wrapped by master key ${idOf(k2)}, and this server has ${idOf(k1)}\\.`),
      );
      // Run again: nothing left to do.
      expect((await cli({ ...base, V4H_MASTER_KEY: k2 }, 'rotate-master-key')).stdout).toContain('of 0 webhook endpoint(s)');

      // The data dir's key file (holding k2): the command makes a new key and replaces the file, the old key is gone.
      fs.writeFileSync(path.join(dataDir, MASTER_KEY_FILE), Buffer.from(k2, 'hex').toString('base64url'), { mode: 0o600 });
      const completed = await cli(base, 'rotate-master-key');
      expect(completed).toMatchObject({ status: 0, stdout: expect.stringContaining('re-wrapped the signing secrets of 1 webhook endpoint(s)') });
      const k3 = Buffer.from(fs.readFileSync(path.join(dataDir, MASTER_KEY_FILE), 'utf8').trim(), 'base64url');
      expect(idOf(k3)).not.toBe(idOf(k2));
      await round({}, async (t) => expect(await keyIds(t)).toEqual({ secret_key_id: idOf(k3), previous_key_id: idOf(k3) }));
    } finally {
      await receiver.stop();
      await database.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
