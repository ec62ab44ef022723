// `v4h apikey create|list|revoke`: an organisation's API keys, in the configured database (docs/api.md, API keys).
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { systemClock } from '../lib/clock.js';
import { AppError } from '../errors.js';
import { AccessPolicy } from '../conferences/access-policy.js';
import { ApiKeyService, checkScopes } from '../apikeys/service.js';
import { announceDatabase, CliError, type CliIo, type Command } from './command.js';

const CREATE_USAGE = 'apikey create --org <organisation id> --name <label> [--scopes conferences:read,conferences:write,…]';
const LIST_USAGE = 'apikey list [--org <organisation id>]';
const REVOKE_USAGE = 'apikey revoke <key id>';

/** Opens the configured database (migrated), runs `action` with the key service, and closes it. */
async function withKeys<T>(io: CliIo, action: (keys: ApiKeyService) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  announceDatabase(io, config.databaseUrl);
  const db = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    const access = new AccessPolicy({ db, clock: systemClock });
    return await action(new ApiKeyService({ db, clock: systemClock, access, requestsPerMinute: config.apiKeyRequestsPerMinute }));
  } catch (error) {
    if (error instanceof AppError) throw new CliError(error.message, 1);
    throw error;
  } finally {
    await db.close();
  }
}

/** `--name value` pairs of the allowed options; anything else is a usage error. */
function options(args: string[], allowed: string[], usage: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, '');
    const value = args[i + 1];
    if (!args[i].startsWith('--') || !allowed.includes(name) || value === undefined || value === '') throw new CliError(`usage: v4h ${usage}`, 2);
    out[name] = value;
  }
  return out;
}

export const apiKeyCreate: Command = {
  usage: CREATE_USAGE,
  summary: "create an organisation's API key; prints the key once (only its hash is kept)",
  async run(args, io) {
    const o = options(args, ['org', 'name', 'scopes'], CREATE_USAGE);
    if (!o.org || !o.name) throw new CliError(`usage: v4h ${CREATE_USAGE}`, 2);
    let scopes: string[] | undefined;
    try {
      scopes = o.scopes === undefined ? undefined : checkScopes(o.scopes.split(',').map((s) => s.trim()));
    } catch (error) {
      throw new CliError(`--scopes: ${(error as Error).message}`, 2);
    }
    return withKeys(io, async (keys) => {
      const created = await keys.create({ organisationId: o.org, name: o.name, scopes, createdBy: 'cli' });
      io.stderr.write(`created API key ${created.id} of ${created.organisationId} (${created.scopes.join(', ')}); it is shown only now:\n`);
      io.stdout.write(`${created.key}\n`);
    });
  },
};

export const apiKeyList: Command = {
  usage: LIST_USAGE,
  summary: 'list API keys (id, organisation, name, scopes, created, last used, revoked); never their secrets',
  async run(args, io) {
    const o = options(args, ['org'], LIST_USAGE);
    return withKeys(io, async (keys) => {
      const rows = await keys.list(o.org);
      io.stdout.write('ID                ORGANISATION  NAME  SCOPES  CREATED  LAST USED  REVOKED\n');
      for (const k of rows) {
        io.stdout.write(
          `${k.id}  ${k.organisationId}  ${JSON.stringify(k.name)}  ${k.scopes.join(',')}  ${k.createdAt}  ${k.lastUsedAt ?? '-'}  ${k.revokedAt ?? '-'}\n`,
        );
      }
    });
  },
};

export const apiKeyRevoke: Command = {
  usage: REVOKE_USAGE,
  summary: 'revoke an API key: every request with it is refused from now on',
  async run(args, io) {
    if (args.length !== 1 || !/^[0-9a-f]{16}$/.test(args[0])) throw new CliError(`usage: v4h ${REVOKE_USAGE}`, 2);
    return withKeys(io, async (keys) => {
      const revoked = await keys.revoke(args[0]);
      io.stdout.write(`revoked API key ${revoked.id} (${revoked.revokedAt})\n`);
    });
  },
};
