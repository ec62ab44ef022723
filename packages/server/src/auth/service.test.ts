// AuthService against a real database (SQLite file or PostgreSQL): accounts, storage of secrets, rotation races, limits.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { sha256Hex } from '../lib/ids.js';
import { createMigratedTestDatabase, ManualClock, testDialect, type MigratedTestDatabase } from '../test-support/test-app.js';
import { RateLimiter } from './rate-limiter.js';
import { AuthService, addressBucket } from './service.js';

let database: MigratedTestDatabase;
let db: Db;
let clock: ManualClock;
let config: Config;
let auth: AuthService;
beforeEach(async () => {
  database = await createMigratedTestDatabase('auth');
  db = database.db;
  clock = new ManualClock();
  config = loadConfig({
    V4H_DATA_DIR: database.dir,
    V4H_DATABASE_URL: database.url,
    V4H_TOKEN_SECRET: 'x'.repeat(40),
    V4H_REFRESH_TOKEN_TTL: '3600',
    V4H_LOGIN_LIMIT_PER_USER: '3',
    V4H_LOGIN_LIMIT_PER_ADDRESS: '5',
    V4H_LOGIN_LIMIT_WINDOW: '60',
  });
  auth = new AuthService({ db, clock, config });
});

afterEach(() => database.destroy());

/** A second connection (pool) to the same database, as another server process would have. */
const secondConnection = () => database.connect();

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error) => (error instanceof AppError ? error.code : `unexpected: ${error}`),
  );

describe('accounts', () => {
  it('stores an argon2id hash, never the password', async () => {
    await auth.createUser('alice', 'correct horse');
    const row = await db.kysely.selectFrom('users').selectAll().where('username', '=', 'alice').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain('correct horse');
  });

  it('rejects bad usernames and passwords, and duplicates', async () => {
    for (const name of ['', 'has space', 'a/b', 'x'.repeat(65), 'ünï!', 'tab\there', 'emoji😀']) {
      expect(await codeOf(auth.createUser(name, 'long enough'))).toBe('validation_failed');
    }
    expect(await codeOf(auth.createUser('bob', 'short'))).toBe('validation_failed');
    expect(await codeOf(auth.createUser('bob', 'p'.repeat(1025)))).toBe('validation_failed');
    expect(await codeOf(auth.createUser('bob.smith@example-1_x', 'p'.repeat(1024)))).toBe('ok');
    expect(await codeOf(auth.createUser('bob.smith@example-1_x', 'another one'))).toBe('conflict');
  });

  it('usernames are case-insensitive, stored normalised (NFC, lowercase), of letters in any language', async () => {
    expect(await auth.createUser('Dr.Ana', 'ana password')).toMatchObject({ username: 'dr.ana' });
    expect(await codeOf(auth.createUser('DR.ANA', 'another one'))).toBe('conflict');
    await expect(auth.login('Dr.Ana', 'ana password', '10.0.0.1')).resolves.toHaveProperty('accessToken');
    await expect(auth.login('DR.ANA', 'ana password', '10.0.0.1')).resolves.toHaveProperty('accessToken');
    // joão typed with a combining accent (NFD) is the same account as the precomposed one, stored in NFC.
    await auth.createUser('Jo\u0061\u0303o', 'joao password');
    await expect(auth.login('JOÃO', 'joao password', '10.0.0.1')).resolves.toHaveProperty('accessToken');
    for (const name of ['Σωκράτης', 'Иван', '李小龙', 'अनु']) expect(await codeOf(auth.createUser(name, 'long enough'))).toBe('ok');
    const names = (await db.kysely.selectFrom('users').select('username').execute()).map((r) => r.username).sort();
    expect(names).toEqual(['dr.ana', 'joão', 'σωκράτης', 'иван', 'अनु', '李小龙'].sort());
    expect(names).toContain('jo\u00e3o');
    expect(await auth.userExists('JoÃo')).toBe(true);
    await auth.disableUser('DR.ana');
    expect(await codeOf(auth.login('dr.ana', 'ana password', '10.0.0.1'))).toBe('invalid_credentials');
  });

  it('counts login attempts per account whatever case they are typed in', async () => {
    await auth.createUser('kim', 'kim password');
    for (const name of ['KIM', 'Kim', 'kIm']) expect(await codeOf(auth.login(name, 'wrong', '10.0.0.9'))).toBe('invalid_credentials');
    // V4H_LOGIN_LIMIT_PER_USER is 3: the fourth attempt on the account, in any case, is refused.
    expect(await codeOf(auth.login('kim', 'kim password', '10.0.0.10'))).toBe('rate_limited');
  });

  it('ensureUser creates once and leaves an existing password alone', async () => {
    expect(await auth.ensureUser('admin', 'first password')).toBe(true);
    expect(await auth.ensureUser('admin', 'second password')).toBe(false);
    await expect(auth.login('admin', 'first password', '10.0.0.1')).resolves.toHaveProperty('accessToken');
  });

  it('lists users with their state', async () => {
    await auth.createUser('zed', 'password-1');
    clock.advance(60);
    await auth.createUser('amy', 'password-2');
    await auth.disableUser('zed');
    expect(await auth.listUsers()).toEqual([
      { username: 'amy', disabled: false, created: new Date(clock.ms).toISOString() },
      { username: 'zed', disabled: true, created: new Date(clock.ms - 60_000).toISOString() },
    ]);
  });

  it('setPassword replaces the password and ends existing sessions', async () => {
    await auth.createUser('carol', 'old password');
    const session = await auth.login('carol', 'old password', '10.0.0.1');
    await auth.setPassword('carol', 'new password');
    expect(await codeOf(auth.login('carol', 'old password', '10.0.0.1'))).toBe('invalid_credentials');
    expect(await codeOf(auth.login('carol', 'new password', '10.0.0.1'))).toBe('ok');
    expect(await codeOf(auth.refresh(session.refreshToken))).toBe('invalid_refresh_token');
    expect(await codeOf(auth.setPassword('carol', 'short'))).toBe('validation_failed');
    expect(await codeOf(auth.setPassword('nobody', 'long enough'))).toBe('not_found');
  });

  it('disableUser refuses login with the wrong-password answer and revokes every session', async () => {
    await auth.createUser('dave', 'dave password');
    const a = await auth.login('dave', 'dave password', '10.0.0.1');
    const b = await auth.login('dave', 'dave password', '10.0.0.2');
    await auth.disableUser('dave');
    expect(await codeOf(auth.login('dave', 'dave password', '10.0.0.1'))).toBe('invalid_credentials');
    expect(await codeOf(auth.refresh(a.refreshToken))).toBe('invalid_refresh_token');
    expect(await codeOf(auth.refresh(b.refreshToken))).toBe('invalid_refresh_token');
    const families = await db.kysely.selectFrom('token_families').select(['revoked_at', 'revoked_reason']).execute();
    expect(families).toEqual([
      { revoked_at: clock.ms, revoked_reason: 'user_disabled' },
      { revoked_at: clock.ms, revoked_reason: 'user_disabled' },
    ]);
    expect(await codeOf(auth.disableUser('nobody'))).toBe('not_found');
  });
});

describe('refresh tokens', () => {
  it('are 256-bit random and stored only as SHA-256', async () => {
    await auth.createUser('erin', 'erin password');
    const { refreshToken } = await auth.login('erin', 'erin password', '10.0.0.1');
    expect(refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await db.kysely.selectFrom('refresh_tokens').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(sha256Hex(refreshToken));
    expect(JSON.stringify(rows)).not.toContain(refreshToken);
  });

  it('expire with their family, counted from login, however often rotated', async () => {
    await auth.createUser('fay', 'fay password');
    let { refreshToken } = await auth.login('fay', 'fay password', '10.0.0.1');
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      ({ refreshToken } = await auth.refresh(refreshToken));
    }
    clock.advance(600); // 3600 s after login
    await expect(auth.refresh(refreshToken)).rejects.toMatchObject({ code: 'invalid_refresh_token', message: expect.stringMatching(/expired/) });
  });

  it('logout revokes the family, is idempotent, and refuses an unknown token', async () => {
    await auth.createUser('gus', 'gus password');
    const { refreshToken } = await auth.login('gus', 'gus password', '10.0.0.1');
    await auth.logout(refreshToken);
    await auth.logout(refreshToken);
    expect(await codeOf(auth.refresh(refreshToken))).toBe('invalid_refresh_token');
    expect(await codeOf(auth.logout('not-a-token'))).toBe('invalid_refresh_token');
    const family = await db.kysely.selectFrom('token_families').select('revoked_reason').executeTakeFirstOrThrow();
    expect(family.revoked_reason).toBe('logout');
  });

  it('the same token presented by several processes at once: exactly one rotation wins, the family is revoked', async () => {
    await auth.createUser('hal', 'hal password');
    const { refreshToken } = await auth.login('hal', 'hal password', '10.0.0.1');
    // PostgreSQL: separate pools, as separate processes have. SQLite: better-sqlite3 waits for a lock synchronously,
    // so two connections in ONE process would block each other; the requests interleave on one connection instead.
    const others = testDialect() === 'postgres' ? await Promise.all([secondConnection(), secondConnection(), secondConnection()]) : [db, db];
    const services = [auth, ...others.map((other) => new AuthService({ db: other, clock, config }))];
    const results = await Promise.all(services.flatMap((service) => [codeOf(service.refresh(refreshToken)), codeOf(service.refresh(refreshToken))]));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'invalid_refresh_token')).toHaveLength(results.length - 1);
    const tokens = await db.kysely.selectFrom('refresh_tokens').select('used_at').execute();
    expect(tokens).toHaveLength(2); // the original and one successor, no more
    const family = await db.kysely.selectFrom('token_families').select('revoked_reason').executeTakeFirstOrThrow();
    expect(family.revoked_reason).toBe('refresh_token_reuse');
  });
});

describe('login rate limits', () => {
  it('count per username across addresses, with the time left', async () => {
    await auth.createUser('ivy', 'ivy password');
    for (let i = 0; i < 3; i++) expect(await codeOf(auth.login('ivy', 'wrong', `10.0.1.${i}`))).toBe('invalid_credentials');
    clock.advance(20);
    const error = await auth.login('ivy', 'ivy password', '10.0.1.9').catch((e: AppError) => e);
    expect(error).toMatchObject({ code: 'rate_limited', headers: { 'Retry-After': '40' } });
    clock.advance(40); // the window is over
    expect(await codeOf(auth.login('ivy', 'ivy password', '10.0.1.9'))).toBe('ok');
  });

  it('count per address across usernames; IPv6 by /64', async () => {
    for (let i = 0; i < 5; i++) expect(await codeOf(auth.login(`u${i}`, 'whatever', `2001:db8:1:2::${i}`))).toBe('invalid_credentials');
    expect(await codeOf(auth.login('u9', 'whatever', '2001:db8:1:2:ffff::1'))).toBe('rate_limited');
    expect(await codeOf(auth.login('u9', 'whatever', '2001:db8:1:3::1'))).toBe('invalid_credentials');
  });

  it('a successful login clears the username count, not the address count', async () => {
    await auth.createUser('jay', 'jay password');
    await codeOf(auth.login('jay', 'wrong', '10.0.2.1'));
    await codeOf(auth.login('jay', 'wrong', '10.0.2.1'));
    expect(await codeOf(auth.login('jay', 'jay password', '10.0.2.1'))).toBe('ok');
    expect(await codeOf(auth.login('jay', 'wrong', '10.0.2.2'))).toBe('invalid_credentials');
    expect(await codeOf(auth.login('jay', 'wrong', '10.0.2.2'))).toBe('invalid_credentials');
    expect(await codeOf(auth.login('other', 'wrong', '10.0.2.1'))).toBe('invalid_credentials'); // 4th from .1
    expect(await codeOf(auth.login('other', 'wrong', '10.0.2.1'))).toBe('invalid_credentials'); // 5th
    expect(await codeOf(auth.login('other2', 'wrong', '10.0.2.1'))).toBe('rate_limited');
  });

  it('counters lose no increment when several processes hit them at once', async () => {
    const limiters = [new RateLimiter(db), new RateLimiter(await secondConnection()), new RateLimiter(await secondConnection())];
    const hits = await Promise.all(Array.from({ length: 30 }, (_, i) => limiters[i % 3].hit('k', 60_000, clock.ms)));
    expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(hits.map((h) => h.resetAt))).toEqual(new Set([clock.ms + 60_000]));
  });

  it('finished windows are purged', async () => {
    const limiter = new RateLimiter(db);
    await limiter.hit('a', 1000, clock.ms);
    await limiter.hit('b', 1000, clock.ms);
    clock.advance(2);
    await limiter.hit('c', 1000, clock.ms);
    const keys = await db.kysely.selectFrom('rate_limits').select('key').execute();
    expect(keys.map((k) => k.key)).toEqual(['c']);
  });
});

describe('addressBucket', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6, groups IPv6 by /64', () => {
    expect(addressBucket('192.0.2.7')).toBe('192.0.2.7');
    expect(addressBucket('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressBucket('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressBucket('2001:DB8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
  });
});
