// Shared set-up for the reliability tests: servers from packages/server/dist in child processes (see bench/lib).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServerProcess, runLoad, freePort, type ServerProcess } from '../../bench/lib/processes.js';
import { call, createUsers, freshDatabase, login, withDatabase } from '../../bench/lib/fixtures.js';

export { startServerProcess, runLoad, freePort, call, createUsers, freshDatabase, login, withDatabase };
export type { ServerProcess };

export type Dialect = 'sqlite' | 'postgres';

/** Seconds from the environment (so CI can shorten a run), else the default. */
export const seconds = (name: string, fallback: number) => {
  const raw = process.env[name];
  return raw && /^\d+$/.test(raw) ? Number(raw) : fallback;
};

/** A data dir, a fresh database and the environment every server process of one deployment shares. */
export async function deployment(dialect: Dialect, extraEnv: Record<string, string> = {}) {
  if (!fs.existsSync(new URL('../../packages/server/dist/server.js', import.meta.url))) {
    throw new Error('packages/server/dist is missing: run `npm run build` first (npm test does)');
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `v4h-rel-${dialect}-`));
  const database = await freshDatabase(dialect, dataDir);
  const env = {
    V4H_DATA_DIR: dataDir,
    V4H_DATABASE_URL: database.url,
    V4H_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    // Behind one load balancer every process has the same public URL (the access tokens' issuer).
    V4H_PUBLIC_URL: 'http://v4h.reliability.invalid',
    V4H_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const servers: ServerProcess[] = [];
  return {
    dataDir,
    database,
    env,
    async start(more: Record<string, string> = {}): Promise<ServerProcess> {
      const server = await startServerProcess({ env: { ...env, ...more } });
      servers.push(server);
      return server;
    },
    // A property, not a method: tests hand it to their clean-up list as it is.
    destroy: async () => {
      for (const server of servers) await server.kill().catch(() => {});
      await database.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Lines the server logged at level error (50) or fatal (60). */
export const loggedErrors = (output: string) => output.split('\n').filter((line) => /"level":(50|60)/.test(line));
