// Password guessing: the login limits hold per username (across addresses) and per address (across usernames),
// spoofed forwarding headers do not reset them, and answer times do not reveal whether a username exists.
import { afterEach, describe, expect, it } from 'vitest';
import { loginDelayMs, MAX_LOGIN_DELAY_MS } from '../auth/service.js';
import { createTestApp, type TestApp } from '../test-support/test-app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const login = (app: TestApp, username: string, password: string, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) =>
  app.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress, headers });

describe('brute force', () => {
  it('per username: a distributed guess (one address per attempt) is stopped, even with the right password', async () => {
    t = await createTestApp({ env: { V4H_LOGIN_LIMIT_PER_USER: '5', V4H_LOGIN_LIMIT_PER_ADDRESS: '1000' } });
    const victim = await t.createUser();
    for (let i = 0; i < 5; i++) expect((await login(t, victim.username, `guess-${i}-xxxx`, `198.51.100.${i + 1}`)).statusCode).toBe(401);
    const blocked = await login(t, victim.username, victim.password, '198.51.100.200');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Case and padding tricks do not open a fresh counter for the same account.
    for (const variant of [victim.username.toUpperCase(), ` ${victim.username}`]) {
      expect((await login(t, variant, victim.password, '198.51.100.201')).statusCode).not.toBe(200);
    }
  });

  it('per address: one address spraying many usernames is stopped; X-Forwarded-For does not reset it', async () => {
    t = await createTestApp({ env: { V4H_LOGIN_LIMIT_PER_USER: '1000', V4H_LOGIN_LIMIT_PER_ADDRESS: '6' } });
    const real = await t.createUser();
    for (let i = 0; i < 6; i++) expect((await login(t, `nobody-${i}`, 'wrong-password', '203.0.113.9')).statusCode).toBe(401);
    for (const xff of ['1.2.3.4', '203.0.113.10', '127.0.0.1']) {
      const res = await login(t, real.username, real.password, '203.0.113.9', { 'x-forwarded-for': xff, 'x-real-ip': xff });
      expect(res.statusCode).toBe(429);
    }
    // The same IPv6 /64 is one address; another address is unaffected.
    for (let i = 0; i < 6; i++) await login(t, `v6-${i}`, 'wrong-password', `2001:db8:1:2::${i + 1}`);
    expect((await login(t, real.username, real.password, '2001:db8:1:2:ffff::1')).statusCode).toBe(429);
    expect((await login(t, real.username, real.password, '192.0.2.50')).statusCode).toBe(200);
  });

  // Issue 15 item 5: ten wrong passwords from anyone locked the real user out for 5 minutes, right password or not.
  it('no lockout by strangers: wrong passwords from one address block that address only; the user gets in from theirs', async () => {
    t = await createTestApp(); // the default limits
    const victim = await t.createUser();
    let status = 0;
    for (let i = 0; i < 11 && status !== 429; i++) status = (await login(t, victim.username, `guess-${i}-xxxx`, '203.0.113.66')).statusCode;
    expect(status).toBe(429);
    expect((await login(t, victim.username, victim.password, '203.0.113.66')).statusCode).toBe(429);
    const real = await login(t, victim.username, victim.password, '198.51.100.7');
    expect(real.statusCode, real.body).toBe(200);
  });

  it('per username over many addresses: a much higher limit, then 429 even with the right password', async () => {
    t = await createTestApp({ env: { V4H_LOGIN_LIMIT_PER_USER_ADDRESS: '3', V4H_LOGIN_LIMIT_PER_USER: '8', V4H_LOGIN_LIMIT_PER_ADDRESS: '1000' } });
    const victim = await t.createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await login(t, victim.username, `guess-${i}-xxxx`, `198.51.100.${Math.floor(i / 2) + 1}`)).statusCode);
    expect(statuses).toEqual(Array(8).fill(401));
    expect((await login(t, victim.username, victim.password, '192.0.2.1')).statusCode).toBe(429);
  });

  it('past the strict limit each attempt on a name waits longer: 250 ms doubling every ten attempts, at most 5 s', () => {
    expect(loginDelayMs(10, 10)).toBe(0);
    expect(loginDelayMs(11, 10)).toBe(250);
    expect(loginDelayMs(20, 10)).toBe(250);
    expect(loginDelayMs(21, 10)).toBe(500);
    expect(loginDelayMs(31, 10)).toBe(1000);
    expect(loginDelayMs(99, 10)).toBe(MAX_LOGIN_DELAY_MS);
    expect(MAX_LOGIN_DELAY_MS).toBe(5000);
  });

  // Issue 15 item 4: with V4H_TRUST_PROXY=true each request could claim a new address in X-Forwarded-For (also as
  // `forged, real`); now only the proxies named (or counted) are believed, and the address is the one they saw.
  it.each([['127.0.0.1'], ['1']])('behind a trusted proxy (%s): spoofed X-Forwarded-For entries do not reset the per-address limit', async (trust) => {
    t = await createTestApp({ env: { V4H_TRUST_PROXY: trust, V4H_LOGIN_LIMIT_PER_USER: '1000', V4H_LOGIN_LIMIT_PER_ADDRESS: '4' } });
    const real = await t.createUser();
    // The proxy (127.0.0.1) appends the address it saw to whatever the client sent.
    const viaProxy = (username: string, password: string, clientSent: string | undefined, seen: string) =>
      login(t!, username, password, '127.0.0.1', { 'x-forwarded-for': clientSent ? `${clientSent}, ${seen}` : seen });
    for (let i = 0; i < 4; i++) expect((await viaProxy(`nobody-${i}`, 'wrong-password', `10.9.9.${i}`, '203.0.113.7')).statusCode).toBe(401);
    expect((await viaProxy(real.username, real.password, '10.9.9.200', '203.0.113.7')).statusCode).toBe(429);
    expect((await viaProxy(real.username, real.password, '203.0.113.8', '203.0.113.7')).statusCode).toBe(429);
    // Another client behind the same proxy is another address.
    expect((await viaProxy(real.username, real.password, undefined, '203.0.113.8')).statusCode).toBe(200);
  });

  it('does not reveal whether a username exists by answer time (medians within 30%)', async () => {
    t = await createTestApp({ env: { V4H_LOGIN_LIMIT_PER_USER_ADDRESS: '100000', V4H_LOGIN_LIMIT_PER_USER: '100000', V4H_LOGIN_LIMIT_PER_ADDRESS: '100000' } });
    const known = await t.createUser();
    const samples = { known: [] as number[], unknown: [] as number[] };
    const time = async (kind: 'known' | 'unknown', i: number) => {
      const username = kind === 'known' ? known.username : `ghost-${i}-${known.username}`;
      const started = process.hrtime.bigint();
      const res = await login(t!, username, `wrong-password-${i}`);
      samples[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
      expect(res.statusCode).toBe(401);
      return res.body;
    };
    // Warm up argon2 and the dummy hash, then interleave so that machine noise hits both alike.
    await time('known', -1);
    await time('unknown', -1);
    samples.known.length = samples.unknown.length = 0;
    const bodies = new Set<string>();
    for (let i = 0; i < 24; i++) {
      bodies.add(await time(i % 2 ? 'known' : 'unknown', i));
      bodies.add(await time(i % 2 ? 'unknown' : 'known', i));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const [k, u] = [median(samples.known), median(samples.unknown)];
    const difference = Math.abs(k - u) / Math.max(k, u);
    console.log(`login timing: known user median ${k.toFixed(1)} ms, unknown user median ${u.toFixed(1)} ms, difference ${(difference * 100).toFixed(1)}%`);
    expect(bodies.size, 'the same answer for both').toBe(1);
    expect(difference).toBeLessThan(0.3);
  }, 60_000);
});
