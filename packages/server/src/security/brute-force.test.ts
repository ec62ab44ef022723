// Password guessing: the login limits hold per username (across addresses) and per address (across usernames),
// spoofed forwarding headers do not reset them, and answer times do not reveal whether a username exists.
import { afterEach, describe, expect, it } from 'vitest';
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

  it('does not reveal whether a username exists by answer time (medians within 30%)', async () => {
    t = await createTestApp({ env: { V4H_LOGIN_LIMIT_PER_USER: '100000', V4H_LOGIN_LIMIT_PER_ADDRESS: '100000' } });
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
