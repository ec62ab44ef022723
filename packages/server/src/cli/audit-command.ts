// `v4h audit [--conference <sessionId>] [--actor <actor>] [--file <fileId>] [--since <date>] [--until <date>] [--limit <n>] [--json]`.
import { loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { systemClock } from '../lib/clock.js';
import { AccessAudit, type AuditQuery } from '../audit/access-audit.js';
import { announceDatabase, CliError, type Command } from './command.js';

const USAGE = 'audit [--conference <sessionId>] [--actor <actor>] [--file <fileId>] [--since <date>] [--until <date>] [--limit <n>] [--json]';
const OPTIONS: Record<string, keyof AuditQuery> = {
  '--conference': 'sessionId',
  '--actor': 'actor',
  '--file': 'fileId',
  '--since': 'since',
  '--until': 'until',
  '--limit': 'limit',
};

function parseArgs(argv: string[]): { query: AuditQuery; json: boolean } {
  const query: AuditQuery = { limit: 1000 };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') {
      json = true;
      continue;
    }
    const key = OPTIONS[arg];
    const value = argv[++i];
    if (!key || value === undefined || value === '') throw new CliError(`usage: v4h ${USAGE}`, 2);
    if (key === 'since' || key === 'until') {
      const ms = Date.parse(value);
      if (!Number.isFinite(ms)) throw new CliError(`${arg}: not a date (e.g. 2026-12-01 or 2026-12-01T09:00:00Z)`, 2);
      query[key] = ms;
    } else if (key === 'limit') {
      if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw new CliError('--limit: a whole number ≥ 1', 2);
      query.limit = Number(value);
    } else {
      query[key] = value;
    }
  }
  return { query, json };
}

export const auditCommand: Command = {
  usage: USAGE,
  summary: 'who read which health data (downloads, records, details, listings), when and from where, oldest first',
  async run(args, io) {
    const { query, json } = parseArgs(args);
    const config = resolveSecrets(loadConfig(io.env));
    announceDatabase(io, config.databaseUrl);
    const db = await openDatabase(config.databaseUrl);
    try {
      await migrateToLatest(db);
      const audit = new AccessAudit({ db, clock: systemClock, addresses: config.audit.addresses, secret: config.tokenSecret! });
      let cursor: string | undefined;
      let left = query.limit;
      do {
        const page = await audit.query({ ...query, limit: Math.min(left, 1000), cursor });
        for (const e of page.items) {
          if (json) io.stdout.write(`${JSON.stringify(e)}\n`);
          else
            io.stdout.write(
              `${[e.at, e.actor, e.action, e.sessionId ?? '-', e.fileId ?? '-', e.address ?? '-', e.listed ? `listed:${e.listed.length}` : ''].join('\t').trimEnd()}\n`,
            );
        }
        left -= page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor && left > 0);
    } finally {
      await db.close();
    }
  },
};
