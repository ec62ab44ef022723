// The argon2id queue: at most `limit` computations at once, first come first served, and no slot lost to a failure.
import { describe, expect, it } from 'vitest';
import { concurrencyLimit, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';

describe('concurrencyLimit', () => {
  it('runs at most `limit` at once, in arrival order, and frees the slot of one that fails', async () => {
    const run = concurrencyLimit(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const release: Array<() => void> = [];
    const task = (i: number, fail = false) =>
      run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
        if (fail) throw new Error(`task ${i} failed`);
        return i;
      });
    const results = [task(0), task(1, true), task(2), task(3), task(4)].map((p) =>
      p.then(
        (v) => `ok ${v}`,
        (e: Error) => e.message,
      ),
    );
    for (let step = 0; step < 5; step++) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(running).toBeLessThanOrEqual(2);
      release.shift()?.();
    }
    expect(await Promise.all(results)).toEqual(['ok 0', 'task 1 failed', 'ok 2', 'ok 3', 'ok 4']);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('gives a freed slot to the one waiting, not to a newcomer arriving at the same moment', async () => {
    const run = concurrencyLimit(1);
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const track = (name: string) => async () => {
      order.push(name);
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    };
    let releaseFirst!: () => void;
    const firstWork = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = run(() => (order.push('first'), firstWork));
    const waiting = run(track('waiting'));
    // Registered after the queue's own reaction to the first run's end: it runs once the slot is freed, before the
    // waiting run has resumed.
    const newcomer = firstWork.then(() => run(track('newcomer')));
    releaseFirst();
    await Promise.all([first, waiting, newcomer]);
    expect(order).toEqual(['first', 'waiting', 'newcomer']);
    expect(most).toBe(1);
  });
});

describe('passwords through the queue', () => {
  it('hash and verify many at once, each answer right', async () => {
    const stored = await hashPassword('correct horse');
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => verifyPassword(stored, 'correct horse')),
      ...Array.from({ length: 4 }, () => verifyPassword(stored, 'wrong horse')),
      verifyPassword('not a hash', 'correct horse'),
      verifyAgainstDummy('correct horse'),
    ]);
    expect(answers).toEqual([true, true, true, true, false, false, false, false, false, false]);
  });
});
