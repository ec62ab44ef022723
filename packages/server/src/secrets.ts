// Secrets that must survive restarts: taken from the config, else generated once and kept in the data dir (0600).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';
import { mkdirPrivate } from './lib/private-files.js';

/** Reads `<dataDir>/<name>`, creating it with `generate()` on first use. Safe against two processes racing. */
export function loadOrCreateSecret(dataDir: string, name: string, generate: () => string): string {
  mkdirPrivate(dataDir);
  const file = path.join(dataDir, name);
  try {
    fs.writeFileSync(file, generate(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const value = fs.readFileSync(file, 'utf8').trim();
  if (!value) throw new Error(`${file} is empty; delete it to generate a new secret`);
  return value;
}

/** Fills in the secrets the configuration left to the data dir. */
export function resolveSecrets(config: Config): Config {
  const tokenSecret = config.tokenSecret ?? loadOrCreateSecret(config.dataDir, 'token-secret', () => randomBytes(32).toString('base64url'));
  let jitsi = config.jitsi;
  if (jitsi.mode === 'builtin' && !jitsi.appSecret) {
    // The built-in room always takes tokens: it gets an app of its own.
    jitsi = {
      ...jitsi,
      appId: jitsi.appId ?? 'v4h',
      appSecret: loadOrCreateSecret(config.dataDir, 'room-app-secret', () => randomBytes(32).toString('base64url')),
    };
  }
  return { ...config, tokenSecret, jitsi };
}
