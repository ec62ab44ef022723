// Mixed load (login, refresh, request, start, join, details, guest links, lists) at 100 connections: 0 errors, 0 5xx.
// V4H_RELIABILITY_SECONDS sets the SQLite run (default 60 s), V4H_RELIABILITY_PG_SECONDS the PostgreSQL run (default 20 s).
import { afterAll, describe, expect, it } from 'vitest';
import { createUsers, deployment, loggedErrors, runLoad, seconds, type Dialect } from './support.js';

const runs: [Dialect, number][] = [
  ['sqlite', seconds('V4H_RELIABILITY_SECONDS', 60)],
  ['postgres', seconds('V4H_RELIABILITY_PG_SECONDS', 20)],
];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

describe('mixed load, 100 connections', () => {
  for (const [dialect, duration] of runs) {
    it(`${dialect}: ${duration} s without an error or a 5xx`, async () => {
      // One load generator is one address: its login limit is lifted (limits have their own tests).
      const d = await deployment(dialect, { V4H_LOGIN_LIMIT_PER_ADDRESS: '1000000000' });
      cleanups.push(d.destroy);
      const users = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 40, `load-${dialect}-`);
      const server = await d.start();
      const result = await runLoad({ url: server.url, kind: 'mixed', users, rounds: 5, connections: 100, duration, timeout: 30 });
      console.log(
        `mixed load (${dialect}, ${duration} s): ${result.totalRequests} requests, ${Math.round(result.requestsPerSecond)} req/s, ` +
          `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms, statuses ${JSON.stringify(result.statuses)}, steps ${JSON.stringify(result.steps)}`,
      );
      expect(result.samples, 'failed requests').toEqual([]);
      expect(result.errors, 'connection errors').toBe(0);
      expect(result.timeouts, 'timeouts').toBe(0);
      expect(result.non2xx, 'non-2xx answers').toBe(0);
      const statuses = Object.keys(result.statuses);
      expect(
        statuses.every((s) => s.startsWith('2')),
        JSON.stringify(result.statuses),
      ).toBe(true);
      // Every step of the flow ran and succeeded (throughput is the benchmarks' business, not this test's).
      for (const step of ['login', 'request', 'start', 'join', 'details', 'guest-url', 'refresh', 'list']) {
        expect(Object.keys(result.steps[step] ?? {}), step).not.toHaveLength(0);
      }
      expect(loggedErrors(server.output()), 'errors in the server log').toEqual([]);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      await server.stop();
    });
  }
});
