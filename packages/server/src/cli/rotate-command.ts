// `v4h rotate-master-key`: re-wraps every file's data key and every webhook signing secret under the current master
// key (docs/files.md, rotation; docs/webhooks.md, The secret at rest).
// With V4H_MASTER_KEY set, the old key is in V4H_MASTER_KEY_PREVIOUS; with the data dir's key file, a new key is made.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../config.js';
import { masterKeyring, MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, resolveSecrets } from '../secrets.js';
import { openDatabase, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { PRIVATE_FILE_MODE } from '../lib/private-files.js';
import { SCHEME, type MasterKeyring } from '../storage/encryption.js';
import { rewrapWebhookSecrets } from '../webhooks/master-key-rotation.js';
import { CliError, type Command } from './command.js';

const USAGE = 'rotate-master-key';
const BATCH = 500;

export const rotateMasterKeyCommand: Command = {
  usage: USAGE,
  summary:
    "re-wrap every file's data key and webhook secret under the master key: V4H_MASTER_KEY (the old one in V4H_MASTER_KEY_PREVIOUS), or a new key file in the data dir",
  async run(args, io) {
    if (args.length) throw new CliError(`usage: v4h ${USAGE}`, 2);
    const raw = loadConfig(io.env);
    let config = resolveSecrets(raw);
    let pending: string | undefined;
    if (!raw.masterKey) {
      // Key file: the new key is written (once) beside the old one, and replaces it only when every data key uses it.
      pending = path.join(config.dataDir, NEXT_MASTER_KEY_FILE);
      createKeyFile(pending);
      const next = fs.readFileSync(pending, 'utf8').trim();
      config = { ...config, masterKey: next, previousMasterKeys: [config.masterKey!, ...config.previousMasterKeys] } satisfies Config;
    }
    const keyring = masterKeyring(config);
    const db = await openDatabase(config.databaseUrl);
    let count: number;
    let secrets: number;
    try {
      await migrateToLatest(db);
      count = await rewrapAll(db, keyring);
      // Before the old key goes (the key file's rename below, or V4H_MASTER_KEY_PREVIOUS removed): webhooks sign with these.
      secrets = await rewrapWebhookSecrets(db, keyring);
    } finally {
      await db.close();
    }
    if (pending) {
      fs.renameSync(pending, path.join(config.dataDir, MASTER_KEY_FILE));
      syncDir(config.dataDir);
    }
    io.stdout.write(`re-wrapped ${count} data key(s) under master key ${keyring.currentId}\n`);
    io.stdout.write(`re-wrapped the signing secrets of ${secrets} webhook endpoint(s)\n`);
    if (pending) io.stdout.write(`the data dir's ${MASTER_KEY_FILE} now holds the new key\n`);
    else if (raw.previousMasterKeys.length)
      io.stdout.write('no file or webhook secret needs V4H_MASTER_KEY_PREVIOUS any more: remove it and restart the servers\n');
  },
};

/** Re-wraps, in batches, every data key not under the current master key; each row only if it did not change meanwhile. */
export async function rewrapAll(db: Db, keyring: MasterKeyring): Promise<number> {
  let count = 0;
  for (;;) {
    const rows = await db.kysely
      .selectFrom('files')
      .select(['id', 'storage_key', 'key_id', 'data_key'])
      .where('data_key', 'is not', null)
      .where('key_id', '!=', keyring.currentId)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return count;
    await db.write(async (trx) => {
      for (const row of rows) {
        const sealed = keyring.rewrap({ scheme: SCHEME, keyId: row.key_id!, dataKey: row.data_key! }, row.storage_key);
        await trx
          .updateTable('files')
          .set({ key_id: sealed.keyId, data_key: sealed.dataKey })
          .where('id', '=', row.id)
          .where('data_key', '=', row.data_key)
          .execute();
      }
    });
    count += rows.length;
  }
}

function createKeyFile(file: string): void {
  try {
    const fd = fs.openSync(file, 'wx', PRIVATE_FILE_MODE);
    fs.writeSync(fd, randomBytes(32).toString('base64url'));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    syncDir(path.dirname(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // a rotation that was interrupted: go on with its key
  }
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on directories
  } finally {
    fs.closeSync(fd);
  }
}
