// `v4h user …`: manage accounts in the configured database (the same one `v4h serve` uses).
import { loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { systemClock } from '../lib/clock.js';
import { AuthService } from '../auth/service.js';
import { checkPassword } from '../auth/passwords.js';
import { checkUsername, normalizeUsername } from '../auth/usernames.js';
import { announceDatabase, CliError, type CliIo, type Command } from './command.js';
import { readNewPassword } from './prompt.js';
import { parseOptions, single, withOrganisations } from './org-commands.js';
import { OPERATOR } from '../organisations/service.js';
import { DEFAULT_ORGANISATION_ID } from '../db/memberships.js';

/** Opens the configured database (migrated), runs `action`, and closes it. */
async function withAuth<T>(io: CliIo, action: (auth: AuthService) => Promise<T>): Promise<T> {
  const config = resolveSecrets(loadConfig(io.env));
  announceDatabase(io, config.databaseUrl);
  const db = await openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(db);
    return await action(new AuthService({ db, clock: systemClock, config }));
  } finally {
    await db.close();
  }
}

function oneUsername(args: string[], usage: string): string {
  if (args.length !== 1) throw new CliError(`usage: v4h ${usage}`, 2);
  checkUsername(args[0]);
  return normalizeUsername(args[0]);
}

const USER_ADD = 'user add <username> [--org <organisation>] [--unit <unit>]… [--role admin|member]';
export const userAdd: Command = {
  usage: USER_ADD,
  summary:
    'create a user in an organisation (by id or name; default: default) and its units, as a member or an admin of it; the password is read from stdin (one line) or prompted for',
  async run(args, io) {
    const { words, options } = parseOptions(args, ['--org', '--unit', '--role'], USER_ADD);
    const username = oneUsername(words, USER_ADD);
    const org = single(options, '--org', USER_ADD) ?? DEFAULT_ORGANISATION_ID;
    const role = single(options, '--role', USER_ADD);
    if (role !== undefined && role !== 'admin' && role !== 'member') throw new CliError('--role must be admin or member', 2);
    const units = options.get('--unit') ?? [];
    return withOrganisations(io, async (organisations, auth) => {
      if (await auth.userExists(username)) throw new CliError(`user ${username} already exists`, 1);
      // The organisation and units are checked before the password is asked for.
      const organisation = await organisations.get(OPERATOR, org);
      const known = new Set((await organisations.listUnits(OPERATOR, organisation.id)).flatMap((u) => [u.id, u.name]));
      const unknown = units.filter((u) => !known.has(u));
      if (unknown.length > 0) throw new CliError(`unknown units in ${organisation.name}: ${unknown.join(', ')}`, 1);
      const password = await readNewPassword(io);
      checkPassword(password);
      const user = await organisations.addUser(OPERATOR, organisation.id, { username, password, role, units });
      const place =
        organisation.id === DEFAULT_ORGANISATION_ID && user.role === 'member' && units.length === 0 ? '' : ` in ${organisation.name} (${user.role})`;
      io.stdout.write(`created user ${username}${place}\n`);
    });
  },
};

export const userList: Command = {
  usage: 'user list',
  summary: 'list users (name, disabled, created)',
  async run(args, io) {
    if (args.length) throw new CliError(`usage: v4h ${userList.usage}`, 2);
    return withAuth(io, async (auth) => {
      const users = await auth.listUsers();
      const width = Math.max(8, ...users.map((u) => u.username.length));
      io.stdout.write(`${'USERNAME'.padEnd(width)}  DISABLED  CREATED\n`);
      for (const user of users) io.stdout.write(`${user.username.padEnd(width)}  ${(user.disabled ? 'yes' : 'no').padEnd(8)}  ${user.created}\n`);
    });
  },
};

export const userPasswd: Command = {
  usage: 'user passwd <username>',
  summary: "set a user's password (read like `user add`); ends their sessions",
  async run(args, io) {
    const username = oneUsername(args, userPasswd.usage);
    return withAuth(io, async (auth) => {
      if (!(await auth.userExists(username))) throw new CliError(`user ${username} not found`, 1);
      const password = await readNewPassword(io);
      await auth.setPassword(username, password);
      io.stdout.write(`password changed for ${username}; their sessions are ended\n`);
    });
  },
};

export const userDisable: Command = {
  usage: 'user disable <username>',
  summary: "refuse the user's logins and end all their sessions",
  async run(args, io) {
    const username = oneUsername(args, userDisable.usage);
    return withAuth(io, async (auth) => {
      await auth.disableUser(username);
      io.stdout.write(`disabled ${username}; their sessions are ended\n`);
    });
  },
};

export const userEnable: Command = {
  usage: 'user enable <username>',
  summary: 'let a disabled user log in again',
  async run(args, io) {
    const username = oneUsername(args, userEnable.usage);
    return withAuth(io, async (auth) => {
      await auth.enableUser(username);
      io.stdout.write(`enabled ${username}\n`);
    });
  },
};
