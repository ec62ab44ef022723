// `v4h org …` and `v4h unit …`: organisations and their units in the configured database (the one `v4h serve` uses).
// The CLI acts as the machine's operator: it may do what the instance admin may.
import { loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { systemClock } from '../lib/clock.js';
import { AuthService } from '../auth/service.js';
import { AccessPolicy } from '../conferences/access-policy.js';
import { OPERATOR, OrganisationService } from '../organisations/service.js';
import { announceDatabase, CliError, type CliIo, type Command } from './command.js';

/** Opens the configured database (migrated), runs `action` with the organisations service, and closes it. */
export async function withOrganisations<T>(io: CliIo, action: (organisations: OrganisationService, auth: AuthService) => Promise<T>): Promise<T> {
  const config = resolveSecrets(loadConfig(io.env));
  announceDatabase(io, config.databaseUrl);
  const db = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    const auth = new AuthService({ db, clock: systemClock, config });
    const organisations = new OrganisationService({ db, clock: systemClock, access: new AccessPolicy({ db, clock: systemClock }), auth });
    return await action(organisations, auth);
  } finally {
    await db.close();
  }
}

/**
 * Splits `args` into positional words and `--flag value` options (a flag may repeat); flags not in `known` are a
 * usage error.
 */
export function parseOptions(args: string[], known: readonly string[], usage: string): { words: string[]; options: Map<string, string[]> } {
  const words: string[] = [];
  const options = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const value = args[++i];
    if (!known.includes(arg)) throw new CliError(`unknown option ${arg}\nusage: v4h ${usage}`, 2);
    if (value === undefined || value === '' || value.startsWith('--')) throw new CliError(`${arg} needs a value\nusage: v4h ${usage}`, 2);
    options.set(arg, [...(options.get(arg) ?? []), value]);
  }
  return { words, options };
}

/** The one value of an option that may be given once. */
export function single(options: Map<string, string[]>, flag: string, usage: string): string | undefined {
  const values = options.get(flag);
  if (values && values.length > 1) throw new CliError(`${flag} may be given once\nusage: v4h ${usage}`, 2);
  return values?.[0];
}

const JOIN_DEFAULTS = ['ORG', 'RESTRICT', 'PUBLIC'] as const;
const LIST_DEFAULTS = ['ORG', 'RESTRICT', 'SESSIONPWD', 'PUBLIC'] as const;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase() as T;
  if (!allowed.includes(upper)) throw new CliError(`${flag} must be one of ${allowed.join(', ')}`, 2);
  return upper;
}

const ORG_ADD = 'org add <name> [--join-policy ORG|RESTRICT|PUBLIC] [--list-policy ORG|RESTRICT|SESSIONPWD|PUBLIC]';
export const orgAdd: Command = {
  usage: ORG_ADD,
  summary: 'create an organisation, optionally with the defaults of its conferences (ORG and RESTRICT otherwise); prints its id',
  async run(args, io) {
    const { words, options } = parseOptions(args, ['--join-policy', '--list-policy'], ORG_ADD);
    if (words.length !== 1) throw new CliError(`usage: v4h ${ORG_ADD}`, 2);
    const joinPolicy = oneOf(single(options, '--join-policy', ORG_ADD), JOIN_DEFAULTS, '--join-policy');
    const listPolicy = oneOf(single(options, '--list-policy', ORG_ADD), LIST_DEFAULTS, '--list-policy');
    const settings = { ...(joinPolicy ? { joinPolicy } : {}), ...(listPolicy ? { listPolicy } : {}) };
    return withOrganisations(io, async (organisations) => {
      const org = await organisations.create(OPERATOR, { name: words[0], settings });
      io.stdout.write(`created organisation ${org.name} (id ${org.id})\n`);
    });
  },
};

export const orgList: Command = {
  usage: 'org list',
  summary: 'list organisations (id, name, default join and list policies, created)',
  async run(args, io) {
    if (args.length) throw new CliError(`usage: v4h ${orgList.usage}`, 2);
    return withOrganisations(io, async (organisations) => {
      const items = await organisations.list(OPERATOR);
      const idWidth = Math.max(2, ...items.map((o) => o.id.length));
      const nameWidth = Math.max(4, ...items.map((o) => o.name.length));
      io.stdout.write(`${'ID'.padEnd(idWidth)}  ${'NAME'.padEnd(nameWidth)}  JOIN        LIST        CREATED\n`);
      for (const o of items) {
        io.stdout.write(
          `${o.id.padEnd(idWidth)}  ${o.name.padEnd(nameWidth)}  ${o.settings.joinPolicy.padEnd(10)}  ${o.settings.listPolicy.padEnd(10)}  ${o.created}\n`,
        );
      }
    });
  },
};

const UNIT_ADD = 'unit add <name> --org <organisation>';
export const unitAdd: Command = {
  usage: UNIT_ADD,
  summary: 'add a unit to an organisation (named by id or name); prints its id',
  async run(args, io) {
    const { words, options } = parseOptions(args, ['--org'], UNIT_ADD);
    const org = single(options, '--org', UNIT_ADD);
    if (words.length !== 1 || !org) throw new CliError(`usage: v4h ${UNIT_ADD}`, 2);
    return withOrganisations(io, async (organisations) => {
      const unit = await organisations.addUnit(OPERATOR, org, { name: words[0] });
      io.stdout.write(`created unit ${unit.name} (id ${unit.id})\n`);
    });
  },
};

const UNIT_LIST = 'unit list --org <organisation>';
export const unitList: Command = {
  usage: UNIT_LIST,
  summary: "list an organisation's units (id, name, created)",
  async run(args, io) {
    const { words, options } = parseOptions(args, ['--org'], UNIT_LIST);
    const org = single(options, '--org', UNIT_LIST);
    if (words.length !== 0 || !org) throw new CliError(`usage: v4h ${UNIT_LIST}`, 2);
    return withOrganisations(io, async (organisations) => {
      const units = await organisations.listUnits(OPERATOR, org);
      const idWidth = Math.max(2, ...units.map((u) => u.id.length));
      const nameWidth = Math.max(4, ...units.map((u) => u.name.length));
      io.stdout.write(`${'ID'.padEnd(idWidth)}  ${'NAME'.padEnd(nameWidth)}  CREATED\n`);
      for (const u of units) io.stdout.write(`${u.id.padEnd(idWidth)}  ${u.name.padEnd(nameWidth)}  ${u.created}\n`);
    });
  },
};
