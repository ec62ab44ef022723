// `v4h erase --guest <id> | --user <name> | --conference <sessionId> [--files] [--reason <code>]`: the admin's erasure.
import { loadConfig } from '../config.js';
import { masterKeyring, resolveSecrets } from '../secrets.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { systemClock } from '../lib/clock.js';
import { openStorage } from '../storage/backend.js';
import { EncryptedStorage } from '../storage/encryption.js';
import { FileService } from '../storage/service.js';
import { ErasureService, type ErasureTarget } from '../privacy/erasure.js';
import { AppError } from '../errors.js';
import { announceDatabase, CliError, type Command } from './command.js';

const USAGE = 'erase --guest <id> | --user <name> | --conference <sessionId> [--files] [--reason <code>]';

function parseArgs(argv: string[]): { target: ErasureTarget; files: boolean; reason: string } {
  let target: ErasureTarget | undefined;
  let files = false;
  let reason = 'data_subject_request';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--files') {
      files = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value === '') throw new CliError(`usage: v4h ${USAGE}`, 2);
    if (arg === '--reason') {
      if (!/^[a-z][a-z0-9_]{0,39}$/.test(value)) throw new CliError('--reason: a code of lowercase letters, digits and _ (it goes into the record)', 2);
      reason = value;
      continue;
    }
    if (target) throw new CliError(`name one subject\nusage: v4h ${USAGE}`, 2);
    if (arg === '--guest') target = { guestId: value };
    else if (arg === '--user') target = { username: value };
    else if (arg === '--conference') target = { sessionId: value };
    else throw new CliError(`unknown option ${arg}\nusage: v4h ${USAGE}`, 2);
  }
  if (!target) throw new CliError(`usage: v4h ${USAGE}`, 2);
  return { target, files, reason };
}

export const eraseCommand: Command = {
  usage: USAGE,
  summary: "erase a guest's, a user's or a conference's personal data (and with --files the files' bytes)",
  async run(args, io) {
    const { target, files, reason } = parseArgs(args);
    const config = resolveSecrets(loadConfig(io.env));
    announceDatabase(io, config.databaseUrl);
    const db = await openDatabase(config.databaseUrl);
    const storage = new EncryptedStorage(
      await openStorage(config.storageUrl, { credentials: config.storageCredentials, region: config.storageRegion }),
      masterKeyring(config),
    );
    try {
      await migrateToLatest(db);
      const fileService = new FileService({
        db,
        clock: systemClock,
        storage,
        maxUploadBytes: config.maxUploadBytes,
        tokenSecret: config.tokenSecret!,
        publicUrl: config.publicUrl,
      });
      const report = await new ErasureService({ db, clock: systemClock, files: fileService }).erase(target, { files, reason, actor: 'system' });
      io.stdout.write(`erased ${report.subjects.length} subject(s), ${report.keysDestroyed} key(s) destroyed, ${report.filesDeleted.length} file(s) deleted\n`);
      for (const id of report.conferences) io.stdout.write(`  erased event appended to conference ${id}\n`);
      for (const id of report.prePseudonymous) {
        io.stdout.write(`  note: conference ${id} predates pseudonymous events: its sealed chain still holds the names it recorded (docs/manifest.md §1.1)\n`);
      }
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') throw new CliError(error.message, 1);
      throw error;
    } finally {
      await storage.close();
      await db.close();
    }
  },
};
