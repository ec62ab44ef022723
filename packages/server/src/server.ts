// Starts V4H: resolves secrets, opens and migrates the database, listens, and shuts down gracefully.
import type { FastifyInstance } from 'fastify';
import { describeDatabaseUrl, type Config } from './config.js';
import { resolveSecrets } from './secrets.js';
import { openDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { buildApp } from './app.js';
import { AuthService } from './auth/service.js';
import { systemClock } from './lib/clock.js';
import { exposedDirWarning } from './lib/private-files.js';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  url: string;
  close(): Promise<void>;
}

export async function startServer(rawConfig: Config, opts: { logger?: boolean | object } = {}): Promise<RunningServer> {
  const config = resolveSecrets(rawConfig);
  const db = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const app = await buildApp({ config, db, workers: true, logger: opts.logger });
  // The same line `v4h user …` prints: server and CLI must be seen to share one database.
  app.log.info({ database: describeDatabaseUrl(config.databaseUrl), dataDir: config.dataDir }, 'database');
  const auth = new AuthService({ db, clock: systemClock, config });
  if (config.admin) {
    // Also an admin of their organisation (`default` on an install made before organisations).
    const created = await auth.ensureUser(config.admin.username, config.admin.password, { role: 'admin' });
    // Not the username itself: logs carry no personal data, and an account name may be a person's name.
    if (created) app.log.info('created the admin user named in V4H_ADMIN_USERNAME');
  }
  // A fresh install has no user, so every login answers invalid_credentials; say why, and how to fix it.
  if (!(await auth.anyUserExists())) app.log.warn(NO_USERS_WARNING);
  logDeploymentWarnings(app, config);
  await app.listen({ host: config.host, port: config.port });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close(); // stops accepting, lets in-flight requests finish, stops workers
      await db.close();
    })());
  return { app, db, url: config.publicUrl, close };
}

/** Logged at start while no user exists: the exact commands (as in the README) that create the first one. */
export const NO_USERS_WARNING =
  "no user exists yet, so nobody can log in: restart with V4H_ADMIN_USERNAME=dr.ana V4H_ADMIN_PASSWORD='a long passphrase' npm start, " +
  "or run: echo 'a long passphrase' | node packages/server/bin/v4h.js user add dr.ana";

function logDeploymentWarnings(app: FastifyInstance, config: Config) {
  const exposed = exposedDirWarning(config.dataDir);
  if (exposed) app.log.warn(exposed);
  const { jitsi } = config;
  if (jitsi.mode === 'builtin') app.log.info({ url: jitsi.url }, 'video: built-in room (set V4H_JITSI_URL to use Jitsi)');
  if (/^https:\/\/meet\.jit\.si$/i.test(jitsi.url)) {
    app.log.warn('V4H_JITSI_URL is meet.jit.si: embedded calls there are limited to 5 minutes; use your own Jitsi, JaaS or the built-in room');
  }
  if (jitsi.mode === 'none') {
    app.log.warn('no V4H_JITSI_APP_ID/SECRET or JaaS key: Jitsi tokens are not issued (jwt: null); anyone with a room name can enter');
  }
}

/** Runs until SIGTERM/SIGINT, then closes cleanly. */
export async function serveForever(config: Config): Promise<void> {
  const server = await startServer(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      server.app.log.info({ signal }, 'shutting down');
      server.close().then(
        () => process.exit(0),
        (error) => {
          server.app.log.error({ err: error }, 'error during shutdown');
          process.exit(1);
        },
      );
    });
  }
}
