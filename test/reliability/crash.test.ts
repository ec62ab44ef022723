// Crash: kill -9 the server during write load, restart it on the same data. Every conference whose creation was
// acknowledged exists, and every refresh-token rotation is all-or-nothing (each session has exactly one live token).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, createUsers, deployment, login, seconds, withDatabase, type Dialect } from './support.js';

const LOAD_MS = seconds('V4H_CRASH_LOAD_SECONDS', 3) * 1000;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Chain {
  /** The newest refresh token the client received in a 200. */
  acked: string;
  /** The token of a refresh that was sent but not answered when the server died. */
  inFlight: string | null;
  rotations: number;
}

describe('kill -9 during write load', () => {
  for (const dialect of ['sqlite', 'postgres'] as Dialect[]) {
    it(`${dialect}: acknowledged writes survive, rotations are atomic`, async () => {
      // A durability test under write load: the per-user limit on requests naming a session id (anti-probing) is lifted.
      const d = await deployment(dialect, { V4H_LOGIN_LIMIT_PER_ADDRESS: '1000000000', V4H_CONFERENCE_ID_REQUESTS_PER_MINUTE: '1000000000' });
      cleanups.push(d.destroy);
      const users = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 4, `crash-${dialect}-`);
      let server = await d.start();
      const owners = await Promise.all(users.map((u: { username: string; password: string }) => login(server.url, u)));
      const chains: Chain[] = [];
      for (const user of users) for (let i = 0; i < 4; i++) chains.push({ acked: (await login(server.url, user)).refreshToken, inFlight: null, rotations: 0 });

      const acknowledged: { sessionId: string; owner: number }[] = [];
      let dead = false;
      const writer = async (w: number) => {
        const owner = w % owners.length;
        for (let i = 0; !dead; i++) {
          const sessionId = `crash-${w}-${i}`;
          try {
            const res = await call(server.url, 'POST', '/api/conferences', { token: owners[owner].accessToken, body: { sessionId } });
            if (res.status === 201) acknowledged.push({ sessionId, owner });
            else throw new Error(`unexpected ${res.status} ${JSON.stringify(res.body)}`);
          } catch (error) {
            if (dead) return;
            throw error;
          }
        }
      };
      const refresher = async (chain: Chain, index: number) => {
        while (!dead) {
          chain.inFlight = chain.acked;
          try {
            const res = await call(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: chain.acked } });
            if (res.status !== 200) throw new Error(`refresh answered ${res.status} ${JSON.stringify(res.body)}`);
            chain.acked = res.body.refreshToken;
            chain.inFlight = null;
            chain.rotations++;
          } catch (error) {
            if (dead) return;
            throw error;
          }
          await sleep(index % 2 ? Math.random() * 5 : 150); // half the chains are mostly idle when the kill comes
        }
      };
      const load = Promise.all([...Array.from({ length: 16 }, (_, w) => writer(w)), ...chains.map(refresher)]);
      await sleep(LOAD_MS);
      dead = true;
      await server.kill();
      await load;
      expect(acknowledged.length, 'writes acknowledged before the kill').toBeGreaterThan(20);

      server = await d.start();
      // Every acknowledged conference is there, with its owner and its first event.
      const missing: string[] = [];
      for (const { sessionId, owner } of acknowledged) {
        const res = await call(server.url, 'GET', `/api/conferences/${sessionId}`, { token: owners[owner].accessToken });
        if (res.status !== 200 || res.body.owner !== users[owner].username) missing.push(`${sessionId}: ${res.status}`);
      }
      expect(missing, 'acknowledged conferences lost').toEqual([]);

      // Rotations: each family still has exactly one unused token, and each acked token is stored.
      await withDatabase(d.env.V4H_DATABASE_URL, async (db: any) => {
        const rows = await db.kysely.selectFrom('refresh_tokens').select(['token_hash', 'family_id', 'used_at']).execute();
        const families = new Map<string, { total: number; unused: number }>();
        for (const row of rows) {
          const f = families.get(row.family_id) ?? { total: 0, unused: 0 };
          f.total++;
          if (row.used_at === null) f.unused++;
          families.set(row.family_id, f);
        }
        for (const [family, f] of families) expect(f.unused, `family ${family}: ${JSON.stringify(f)}`).toBe(1);
        const stored = new Set(rows.map((r: { token_hash: string }) => r.token_hash));
        for (const chain of chains) expect(stored.has(sha256(chain.acked)), 'an acknowledged refresh token was lost').toBe(true);
        const events = await db.kysely.selectFrom('conference_events').select(['session_id', 'type']).where('type', '=', 'requested').execute();
        const logged = new Set(events.map((e: { session_id: string }) => e.session_id));
        expect(
          acknowledged.filter((a) => !logged.has(a.sessionId)),
          'conferences without their `requested` event',
        ).toEqual([]);
      });

      // From the client's side: an idle chain's token works; an interrupted one either works (the rotation was
      // rolled back) or was committed unseen — then presenting it counts as reuse, 401, never a 5xx.
      let idleChecked = 0;
      for (const chain of chains) {
        const res = await call(server.url, 'POST', '/api/auth/refresh', { body: { refreshToken: chain.acked } });
        if (chain.inFlight === null) {
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          idleChecked++;
        } else {
          expect([200, 401]).toContain(res.status);
        }
      }
      console.log(
        `crash (${dialect}): ${acknowledged.length} conferences acknowledged, all present after restart; ` +
          `${chains.reduce((n, c) => n + c.rotations, 0)} rotations over ${chains.length} sessions, ${idleChecked} idle at the kill`,
      );
      await server.stop();
    });
  }

  it('sqlite + disk storage: acknowledged uploads survive intact, an interrupted one is never stored', async () => {
    const d = await deployment('sqlite');
    cleanups.push(d.destroy);
    const [user] = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 1, 'crash-files-');
    let server = await d.start();
    const { accessToken } = await login(server.url, user);
    const { sessionId } = (await call(server.url, 'POST', '/api/conferences', { token: accessToken, body: {} })).body;
    const put = (name: string, body: Uint8Array<ArrayBuffer> | ReadableStream, extra: RequestInit = {}) =>
      fetch(`${server.url}/api/conferences/${sessionId}/files?kind=attachment&name=${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/pdf' },
        body,
        ...extra,
      });
    const acknowledged = new Map<string, string>();
    for (let i = 0; i < 5; i++) {
      const body = Buffer.alloc(256 * 1024 + i, i + 1);
      const res = await put(`done-${i}.pdf`, body);
      expect(res.status).toBe(201);
      acknowledged.set((await res.json()).fileId, sha256(body));
    }
    // A slow upload, half sent when the server dies.
    let sent = 0;
    const slow = new ReadableStream({
      async pull(controller) {
        if (sent >= 2 * 1024 * 1024) return controller.close();
        controller.enqueue(new Uint8Array(64 * 1024).fill(7));
        sent += 64 * 1024;
        await sleep(20);
      },
    });
    const interrupted = put('interrupted.pdf', slow, { duplex: 'half' } as RequestInit).catch(() => 'failed');
    await sleep(400);
    expect(sent).toBeGreaterThan(0);
    await server.kill();
    expect(await interrupted).toBe('failed');

    server = await d.start();
    const listed = await call(server.url, 'GET', `/api/conferences/${sessionId}/files`, { token: accessToken });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((f: { name: string }) => f.name).sort()).toEqual([...acknowledged.keys()].map((_, i) => `done-${i}.pdf`));
    for (const [fileId, digest] of acknowledged) {
      const res = await fetch(`${server.url}/api/conferences/${sessionId}/files/${fileId}`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(digest);
    }
    // And uploads work again.
    expect((await put('after.pdf', Buffer.from('%PDF-1.4 after'))).status).toBe(201);
    await server.stop();
    // On disk: the six stored files; the interrupted one at most as a temporary under .partial/ (never visible as
    // a file; the storage removes temporaries older than a day at start, as other processes may still be writing theirs).
    const onDisk = filesUnder(path.join(d.dataDir, 'files'));
    expect(
      onDisk.filter((f) => !f.startsWith('.partial')),
      JSON.stringify(onDisk),
    ).toHaveLength(acknowledged.size + 1);
    expect(onDisk.filter((f) => f.startsWith('.partial')).length).toBeLessThanOrEqual(1);
  });
});

function filesUnder(root: string, dir = root): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(root, full) : [path.relative(root, full)];
  });
}
