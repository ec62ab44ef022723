// A full disk (SQLITE_FULL, PostgreSQL 53100 disk_full) answers 503 service_unavailable, as the API promises, not 500.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Makes every later write fail as on a full disk, with the database's own error. */
async function fillDisk(app: TestApp): Promise<void> {
  if (app.db.dialect === 'sqlite') {
    // The file may not grow past the pages it has: the next write that needs a page fails with SQLITE_FULL.
    const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(app.db.kysely);
    await sql.raw(`pragma max_page_count = ${rows[0].page_count}`).execute(app.db.kysely);
    // Use up the free pages left inside the file.
    await sql`create table ballast (x blob)`.execute(app.db.kysely).catch(() => {});
    for (let i = 0; i < 200; i++) {
      try {
        await sql`insert into ballast values (randomblob(4000))`.execute(app.db.kysely);
      } catch {
        return;
      }
    }
    throw new Error('the database never filled up');
  }
  // PostgreSQL's disk_full, raised by the server itself on every write to these tables.
  await sql
    .raw(
      `create function v4h_disk_full() returns trigger language plpgsql as $$ begin raise exception 'could not extend file' using errcode = 'disk_full'; end $$;
       create trigger v4h_disk_full before insert or update on conferences for each statement execute function v4h_disk_full();
       create trigger v4h_disk_full before insert or update on rate_limits for each statement execute function v4h_disk_full();`,
    )
    .execute(app.db.kysely);
}

/** Repeats `attempt` until it answers something else than `ok` (room left inside the file's pages runs out), and returns that. */
async function untilRefused(attempt: () => Promise<Response>, ok: number): Promise<Response> {
  for (let i = 0; i < 400; i++) {
    const res = await attempt();
    if (res.status !== ok) return res;
  }
  throw new Error('never refused');
}

describe('storage full', () => {
  // Issue 15 item 10: database writes and logins on a full disk answered 500 internal_error.
  it('a conference write and a login answer 503 service_unavailable with Retry-After', async () => {
    t = await createTestApp({ env: { V4H_LOGIN_LIMIT_PER_ADDRESS: '100000' } });
    const s = await t.userSession();
    await fillDisk(t);
    const post = () => fetch(`${t!.baseUrl}/api/conferences`, { method: 'POST', headers: { ...s.auth, 'content-type': 'application/json' }, body: '{}' });
    const write = await untilRefused(post, 201);
    expect(write.status, await write.clone().text()).toBe(503);
    expect((await write.json()).error).toBe('service_unavailable');
    expect(write.headers.get('retry-after')).toMatch(/^\d+$/);
    // Failed logins of new names each add a rate-limit row.
    let n = 0;
    const login = () =>
      fetch(`${t!.baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `${++n}`.padEnd(200, 'x'), password: 'wrong-password' }),
      });
    const refused = await untilRefused(login, 401);
    expect(refused.status, await refused.clone().text()).toBe(503);
    expect((await refused.json()).error).toBe('service_unavailable');
  });
});
