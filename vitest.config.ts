// One runner for everything. The server suite runs twice: on SQLite and on PostgreSQL.
import { defineConfig } from 'vitest/config';

const serverTests = ['packages/server/src/**/*.test.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'server-sqlite', include: serverTests, env: { V4H_TEST_DB: 'sqlite' }, testTimeout: 30_000, hookTimeout: 30_000 } },
      { test: { name: 'server-postgres', include: serverTests, env: { V4H_TEST_DB: 'postgres' }, testTimeout: 30_000, hookTimeout: 30_000 } },
      { test: { name: 'client', include: ['packages/client/src/**/*.test.ts'] } },
      { test: { name: 'react', include: ['packages/react/src/**/*.test.tsx'], environment: 'jsdom' } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
