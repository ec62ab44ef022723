// The `v4h` subcommand table and its dispatcher. To add a command (e.g. `v4h verify`), add one entry to `commands`.
import { ConfigError, loadConfig, type Config } from '../config.js';
import { AppError } from '../errors.js';
import { CliError, type CliIo, type Command } from './command.js';
import { userAdd, userDisable, userEnable, userList, userPasswd } from './user-commands.js';
import { checkPassword } from '../auth/passwords.js';
import { checkUsername } from '../auth/usernames.js';
import { verifyCommand } from './verify-command.js';
import { eraseCommand } from './erase-command.js';
import { rotateMasterKeyCommand } from './rotate-command.js';
import { auditCommand } from './audit-command.js';
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './apikey-commands.js';
import { orgAdd, orgList, unitAdd, unitList } from './org-commands.js';

export { CliError, type CliIo, type Command };

const serve: Command = {
  usage: 'serve',
  summary: 'run the server (configured by environment variables, see the README)',
  async run(args, io) {
    if (args.length) throw new CliError('usage: v4h serve', 2);
    const config = loadConfig(io.env);
    checkAdminAccount(config);
    // Imported here so that the user commands do not load the whole app.
    const { serveForever } = await import('../server.js');
    await serveForever(config);
    return 'running';
  },
};

/** V4H_ADMIN_* must satisfy the account rules; say so naming the variable rather than fail at start. */
function checkAdminAccount(config: Config): void {
  if (!config.admin) return;
  for (const [variable, check, value] of [
    ['V4H_ADMIN_USERNAME', checkUsername, config.admin.username],
    ['V4H_ADMIN_PASSWORD', checkPassword, config.admin.password],
  ] as const) {
    try {
      check(value);
    } catch (error) {
      throw new ConfigError(variable, (error as Error).message);
    }
  }
}

/** Keyed by the command's words. */
export const commands: Record<string, Command> = {
  serve,
  'user add': userAdd,
  'user list': userList,
  'user passwd': userPasswd,
  'user disable': userDisable,
  'user enable': userEnable,
  'org add': orgAdd,
  'org list': orgList,
  'unit add': unitAdd,
  'unit list': unitList,
  verify: verifyCommand,
  erase: eraseCommand,
  'rotate-master-key': rotateMasterKeyCommand,
  audit: auditCommand,
  'apikey create': apiKeyCreate,
  'apikey list': apiKeyList,
  'apikey revoke': apiKeyRevoke,
};

/** Terminals are 80 columns: each usage on its own line(s), its summary below it, wrapped at spaces. */
export const HELP_WIDTH = 80;

export function helpText(): string {
  const entries = [...Object.values(commands).map((c) => [c.usage, c.summary]), ['--help', 'show this help']];
  const lines = entries.flatMap(([usage, summary]) => [...wrap(`v4h ${usage}`, '  ', '      '), ...wrap(summary, '      ', '      ')]);
  return `V4H (Video for Health) server\n\nUsage:\n${lines.join('\n')}\n`;
}

/** Breaks `text` at spaces into lines of at most HELP_WIDTH columns (a single longer word keeps its own line). */
function wrap(text: string, firstIndent: string, indent: string): string[] {
  const lines: string[] = [];
  let line = firstIndent;
  for (const word of text.split(' ')) {
    const fresh = line.trim() === '';
    if (!fresh && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = indent + word;
    } else line += (fresh ? '' : ' ') + word;
  }
  lines.push(line);
  return lines;
}

/**
 * Runs the command named by `argv` (without `node` and the script) and returns the exit status,
 * or 'running' when the command keeps the process alive (serve). Errors are printed as one `v4h: …` line.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number | 'running'> {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help')) {
    io.stdout.write(helpText());
    return 0;
  }
  const name = [argv.slice(0, 2).join(' '), argv[0]].find((words) => words !== undefined && commands[words]);
  if (!name) {
    io.stderr.write(`${argv.length ? `v4h: unknown command "${argv.join(' ')}"\n\n` : ''}${helpText()}`);
    return 2;
  }
  try {
    const result = await commands[name].run(argv.slice(name.split(' ').length), io);
    return result === 'running' ? 'running' : 0;
  } catch (error) {
    io.stderr.write(`v4h: ${oneLine((error as Error).message ?? String(error))}\n`);
    if (error instanceof CliError) return error.exitCode;
    if (error instanceof ConfigError) return 2;
    if (error instanceof AppError) return error.code === 'validation_failed' ? 2 : 1;
    return 1;
  }
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
