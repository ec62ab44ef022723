// The access audit over real HTTP on both databases: every read path of health data leaves exactly one row (and a
// refused read none), the admin alone reads them (API and CLI), rows cannot be changed, a read whose row cannot be
// written is refused (fail-closed), and old rows go with their own retention.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createConference, createFilesTestApp, upload, type FilesTestApp } from '../test-support/storage.js';
import { runCli } from '../cli/commands.js';
import { linkActor } from './access-audit.js';
import { truncate, addressKeeper } from './addresses.js';

const ENV = {
  V4H_SEAL_DELAY: '0',
  V4H_ADMIN_USERNAME: 'audit-admin',
  V4H_ADMIN_PASSWORD: 'admin-password-0123456789',
  V4H_JITSI_URL: 'https://meet.example.org',
  V4H_JITSI_APP_ID: 'clinic',
  V4H_JITSI_APP_SECRET: 's'.repeat(40),
};

let t: FilesTestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const rows = async () => t!.db.kysely.selectFrom('access_audit').selectAll().orderBy('at').orderBy('id').execute();

/** A conference with a guest, a recording, an ended and sealed record and a verification link. */
async function world(app: FilesTestApp) {
  const owner = await app.userSession();
  const stranger = await app.userSession();
  const admin = await app.userSession('audit-admin');
  const ownerId = (await app.db.kysely.selectFrom('users').select('id').where('username', '=', owner.username).executeTakeFirstOrThrow()).id;
  const { sessionId } = await createConference(app, owner);
  const post = (url: string, body: unknown = {}) =>
    fetch(`${app.baseUrl}${url}`, { method: 'POST', headers: { ...owner.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post(`/api/conferences/${sessionId}/start`)).status).toBe(200);
  const stored = (await upload(app, sessionId, randomBytes(5000), { auth: owner.auth })).body;
  expect((await post(`/api/conferences/${sessionId}/end`)).status).toBe(200);
  await app.app.records.sealer.runOnce();
  const link = (await (await post(`/api/conferences/${sessionId}/verification-links`)).json()) as { token: string };
  return { owner, stranger, admin, ownerId, sessionId, stored, link };
}

describe('access audit', () => {
  it('every read path leaves exactly one row; a refused read none', async () => {
    t = await createFilesTestApp('file', { env: ENV });
    const w = await world(t);
    const user = `user:${w.ownerId}`;
    const signed = new URL(w.stored.url as string);
    const signature = signed.searchParams.get('signature')!;
    expect(await rows()).toEqual([]); // writing (upload, end, links) is not a read

    const base = t.baseUrl;
    const auth = w.owner.auth;
    const reads: Array<[string, () => Promise<Response>, Record<string, unknown>]> = [
      [
        'conference list',
        () => fetch(`${base}/api/conferences`, { headers: auth }),
        { actor: user, action: 'conference_list', session_id: null, listed: JSON.stringify([w.sessionId]) },
      ],
      [
        'conference details',
        () => fetch(`${base}/api/conferences/${w.sessionId}`, { headers: auth }),
        { actor: user, action: 'conference_details', session_id: w.sessionId },
      ],
      [
        'file list',
        () => fetch(`${base}/api/conferences/${w.sessionId}/files`, { headers: auth }),
        { actor: user, action: 'file_list', session_id: w.sessionId, listed: JSON.stringify([w.stored.fileId]) },
      ],
      [
        'download',
        () => fetch(`${base}/api/conferences/${w.sessionId}/files/${w.stored.fileId}`, { headers: auth }),
        { actor: user, action: 'file_download', session_id: w.sessionId, file_id: w.stored.fileId },
      ],
      [
        'download, a range',
        () => fetch(`${base}/api/conferences/${w.sessionId}/files/${w.stored.fileId}`, { headers: { ...auth, range: 'bytes=10-99' } }),
        { action: 'file_download', file_id: w.stored.fileId },
      ],
      [
        'download, HEAD',
        () => fetch(`${base}/api/conferences/${w.sessionId}/files/${w.stored.fileId}`, { method: 'HEAD', headers: auth }),
        { action: 'file_download', file_id: w.stored.fileId },
      ],
      [
        'signed link',
        () => fetch(signed),
        { actor: linkActor('signed-link', signature), action: 'file_download', session_id: w.sessionId, file_id: w.stored.fileId },
      ],
      [
        'signed link, a range',
        () => fetch(signed, { headers: { range: 'bytes=-100' } }),
        { actor: linkActor('signed-link', signature), action: 'file_download' },
      ],
      [
        'manifest',
        () => fetch(`${base}/api/conferences/${w.sessionId}/manifest`, { headers: auth }),
        { actor: user, action: 'manifest', session_id: w.sessionId },
      ],
      [
        'verification link',
        () => fetch(`${base}/api/verify/${w.link.token}`),
        { actor: linkActor('verification-link', w.link.token), action: 'verification_bundle', session_id: w.sessionId },
      ],
      [
        'event stream',
        async () => {
          const controller = new AbortController();
          const res = await fetch(`${base}/api/conferences/${w.sessionId}/events`, { headers: auth, signal: controller.signal });
          await res.body!.getReader().read(); // the stream is open
          controller.abort();
          return res;
        },
        { actor: user, action: 'event_stream', session_id: w.sessionId },
      ],
    ];
    for (const [name, read, expected] of reads) {
      const before = (await rows()).length;
      const res = await read();
      expect(res.status, name).toBeLessThan(300);
      if (res.bodyUsed === false && res.body && !res.body.locked) await res.arrayBuffer();
      const after = await rows();
      expect(after.length - before, name).toBe(1);
      expect(after.at(-1), name).toMatchObject({ address: '127.0.0.0/24', ...expected });
    }

    // Refused reads (a stranger, a forged link, a missing file, no token) are not reads of health data.
    const count = (await rows()).length;
    const forged = new URL(signed);
    forged.searchParams.set('signature', 'A'.repeat(signature.length));
    for (const res of [
      await fetch(`${base}/api/conferences/${w.sessionId}`, { headers: w.stranger.auth }),
      await fetch(`${base}/api/conferences/${w.sessionId}/files/${w.stored.fileId}`, { headers: w.stranger.auth }),
      await fetch(`${base}/api/conferences/${w.sessionId}/manifest`, { headers: w.stranger.auth }),
      await fetch(`${base}/api/conferences/${w.sessionId}/files/nope`, { headers: auth }),
      await fetch(forged),
      await fetch(`${base}/api/verify/${w.link.token.slice(0, -2)}AA`),
      await fetch(`${base}/api/conferences/${w.sessionId}`),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      await res.arrayBuffer();
    }
    expect((await rows()).length).toBe(count);

    // The admin reads them (the listing that showed the conference included), page by page; nobody else may.
    expect((await fetch(`${base}/api/audit?sessionId=${w.sessionId}`, { headers: auth })).status).toBe(403);
    const all: Array<{ action: string; actor: string }> = [];
    let cursor = '';
    do {
      const res = await fetch(`${base}/api/audit?sessionId=${w.sessionId}&limit=4${cursor ? `&cursor=${cursor}` : ''}`, { headers: w.admin.auth });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Array<{ action: string; actor: string }>; nextCursor: string | null };
      all.push(...page.items);
      cursor = page.nextCursor ?? '';
    } while (cursor);
    expect(all.map((e) => e.action)).toEqual(reads.map(([, , e]) => e.action));
    const byLink = await (
      await fetch(`${base}/api/audit?actor=${encodeURIComponent(linkActor('verification-link', w.link.token))}`, { headers: w.admin.auth })
    ).json();
    expect(byLink.items.map((e: { action: string }) => e.action)).toEqual(['verification_bundle']);
    expect((await fetch(`${base}/api/audit?since=yesterday`, { headers: w.admin.auth })).status).toBe(400);

    // The same from the command line.
    let stdout = '';
    const io = {
      stdin: process.stdin,
      env: { V4H_DATA_DIR: t.dataDir, V4H_DATABASE_URL: t.config.databaseUrl },
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => {} },
    };
    expect(await runCli(['audit', '--conference', w.sessionId], io as never)).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBe(reads.length);
    expect(lines[1]).toMatch(new RegExp(`^\\S+Z\\t${user}\\tconference_details\\t${w.sessionId}\\t-\\t127\\.0\\.0\\.0/24$`));
    expect(await runCli(['audit', '--since', 'soon'], io as never)).toBe(2);

    // Append-only: the database refuses to change a row.
    await expect(t.db.kysely.updateTable('access_audit').set({ actor: 'user:someone-else' }).execute()).rejects.toThrow(/append-only/);
  });

  it('fail-closed: a read whose audit row cannot be written is refused with 503 and sends no data', async () => {
    t = await createFilesTestApp('file', { env: ENV });
    const w = await world(t);
    const broken =
      t.db.dialect === 'postgres'
        ? [
            sql`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit disk full'; end $$`,
            sql`create trigger refuse before insert on access_audit for each row execute function refuse_audit()`,
          ]
        : [sql`create trigger refuse before insert on access_audit begin select raise(abort, 'audit disk full'); end`];
    for (const statement of broken) await statement.execute(t.db.kysely);
    for (const url of [
      `/api/conferences/${w.sessionId}`,
      `/api/conferences/${w.sessionId}/files/${w.stored.fileId}`,
      `/api/conferences/${w.sessionId}/manifest`,
    ]) {
      const res = await fetch(`${t.baseUrl}${url}`, { headers: w.owner.auth });
      expect(res.status, url).toBe(503);
      expect(await res.json()).toEqual({ error: 'service_unavailable', message: 'the read could not be recorded in the access audit; try again shortly' });
    }
    await sql`drop trigger refuse ${sql.raw(t.db.dialect === 'postgres' ? 'on access_audit' : '')}`.execute(t.db.kysely);
    const res = await fetch(`${t.baseUrl}/api/conferences/${w.sessionId}/files/${w.stored.fileId}`, { headers: w.owner.auth });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(5000);
    expect((await rows()).length).toBe(1);
  });

  it('V4H_AUDIT_RETENTION_DAYS: the retention job deletes older rows and keeps recent ones', async () => {
    t = await createFilesTestApp('file', { env: { ...ENV, V4H_AUDIT_RETENTION_DAYS: '7' }, manualClock: true });
    const owner = await t.userSession();
    const { sessionId } = await createConference(t, owner);
    expect((await fetch(`${t.baseUrl}/api/conferences/${sessionId}`, { headers: owner.auth })).status).toBe(200);
    t.clock!.advance(6 * 86_400);
    const fresh = { authorization: `Bearer ${(await t.login(owner.username, owner.password)).accessToken}` };
    expect((await fetch(`${t.baseUrl}/api/conferences/${sessionId}`, { headers: fresh })).status).toBe(200);
    t.clock!.advance(2 * 86_400);
    expect(await t.app.privacy.retention.runOnce()).toEqual({ filesDeleted: [], conferencesErased: [], auditRowsDeleted: 1 });
    expect((await rows()).map((r) => r.at)).toEqual([t.clock!.now() - 2 * 86_400_000]);
  });

  it('keeps addresses as the policy says', () => {
    expect(truncate('203.0.113.77')).toBe('203.0.113.0/24');
    expect(truncate('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(truncate('2001:db8:42:7:1::9')).toBe('2001:db8:42::/48');
    expect(truncate('::1')).toBe('0:0:0::/48');
    expect(truncate('fe80::1%eth0')).toBe('fe80:0:0::/48');
    expect(truncate('not an address')).toBeNull();
    const hashed = addressKeeper('hashed', 'x'.repeat(32));
    expect(hashed('203.0.113.77')).toMatch(/^hmac:[0-9a-f]{16}$/);
    expect(hashed('203.0.113.77')).toBe(hashed('203.0.113.77'));
    expect(hashed('203.0.113.78')).not.toBe(hashed('203.0.113.77'));
    expect(addressKeeper('hashed', 'y'.repeat(32))('203.0.113.77')).not.toBe(hashed('203.0.113.77'));
    expect(addressKeeper('full', 's')('203.0.113.77')).toBe('203.0.113.77');
    expect(addressKeeper('none', 's')('203.0.113.77')).toBeNull();
  });

  it('gives the same answers when it remembers them, past the number of addresses it keeps too', () => {
    const truncated = addressKeeper('truncated', 's');
    const hashed = addressKeeper('hashed', 'x'.repeat(32));
    const fresh = (ip: string) => addressKeeper('hashed', 'x'.repeat(32))(ip);
    const addresses = Array.from({ length: 2500 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${i % 7}`);
    for (const pass of [1, 2]) {
      for (const ip of addresses) {
        expect(truncated(ip), `${ip}, pass ${pass}`).toBe(truncate(ip));
        expect(hashed(ip), `${ip}, pass ${pass}`).toBe(fresh(ip));
      }
    }
    expect(truncated('not an address')).toBeNull();
    expect(truncated('not an address')).toBeNull();
    expect(truncated(undefined)).toBeNull();
  });
});
