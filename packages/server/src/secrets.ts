// Secrets that must survive restarts: taken from the config, else generated once and kept in the data dir (0600).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';
import { mkdirPrivate } from './lib/private-files.js';
import { MasterKeyring } from './storage/encryption.js';
import { parseMasterKey } from './lib/master-key.js';

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
  if (config.masterKey) return { ...config, tokenSecret, jitsi };
  const masterKey = loadOrCreateSecret(config.dataDir, MASTER_KEY_FILE, () => randomBytes(32).toString('base64url'));
  // A rotation of the key file that was interrupted (`v4h rotate-master-key`): some data keys may be under the new key.
  const next = readIfExists(path.join(config.dataDir, NEXT_MASTER_KEY_FILE));
  return { ...config, tokenSecret, jitsi, masterKey, previousMasterKeys: next ? [...config.previousMasterKeys, next] : config.previousMasterKeys };
}

/** The data-dir file holding the master key when V4H_MASTER_KEY is unset, and its successor during a rotation. */
export const MASTER_KEY_FILE = 'master-key';
export const NEXT_MASTER_KEY_FILE = 'master-key.new';

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The master keys of a resolved config: the current one (V4H_MASTER_KEY or the key file), then the previous ones. */
export function masterKeyring(config: Config): MasterKeyring {
  if (!config.masterKey) throw new Error('masterKeyring: config.masterKey is not resolved (call resolveSecrets first)');
  let current: Buffer;
  try {
    current = parseMasterKey(config.masterKey);
  } catch (error) {
    throw new Error(`${path.join(config.dataDir, MASTER_KEY_FILE)}: ${(error as Error).message}`, { cause: error });
  }
  return new MasterKeyring(
    current,
    config.previousMasterKeys.map((key) => parseMasterKey(key)),
  );
}
