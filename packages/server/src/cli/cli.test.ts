// The `v4h` CLI: user commands against a real database (in-process and through the real bin), help, config errors.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDatabaseUrl, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { AppError } from '../errors.js';
import { ManualClock, createTestDatabase, type TestDatabase } from '../test-support/test-app.js';
import { AuthService } from '../auth/service.js';
import { commands, runCli } from './commands.js';

const serverDir = path.resolve(fileURLToPath(import.meta.url), '../../..');
const bin = path.join(serverDir, 'bin/v4h.js');

let dir: string;
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-cli-'));
  database = await createTestDatabase(dir);
  env = { V4H_DATA_DIR: dir, V4H_DATABASE_URL: database.url, V4H_LOG_LEVEL: 'silent' };
});

afterAll(async () => {
  await database.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The line every command that opens the database prints first (stderr). */
const dbLine = () => `database: ${describeDatabaseUrl(database.url)}\n`;

/** Runs the CLI in-process with piped (non-TTY) stdin. */
async function cli(argv: string[], stdin = '', extraEnv: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...env, ...extraEnv },
  });
  return { code, stdout, stderr };
}

/** Logs in through AuthService on the same database: 'ok' or the error code. */
async function tryLogin(username: string, password: string): Promise<string> {
  const db = await openDatabase(database.url);
  try {
    const config = loadConfig({ ...env, V4H_TOKEN_SECRET: 's'.repeat(32) });
    // A fresh manual clock per call: these checks must not trip the login rate limit's window.
    const auth = new AuthService({ db, clock: new ManualClock(Date.now() + Math.floor(Math.random() * 1e9)), config });
    await auth.login(username, password, '127.0.0.1');
    return 'ok';
  } catch (error) {
    return error instanceof AppError ? error.code : String(error);
  } finally {
    await db.close();
  }
}

describe('v4h user (in-process)', () => {
  it('add reads the password from stdin; the user can log in', async () => {
    expect(await cli(['user', 'add', 'alice'], 'alice password\n')).toEqual({ code: 0, stdout: 'created user alice\n', stderr: dbLine() });
    expect(await tryLogin('alice', 'alice password')).toBe('ok');
    // Only the first line is the password; CRLF is accepted.
    expect((await cli(['user', 'add', 'bob'], 'bob password\r\nignored\n')).code).toBe(0);
    expect(await tryLogin('bob', 'bob password')).toBe('ok');
  });

  it('add refuses duplicates, bad names, short or missing passwords', async () => {
    expect(await cli(['user', 'add', 'alice'], 'whatever pw\n')).toEqual({ code: 1, stdout: '', stderr: `${dbLine()}v4h: user alice already exists\n` });
    expect(await cli(['user', 'add', 'bad name'], 'whatever pw\n')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^v4h: username must be/) });
    expect(await cli(['user', 'add', 'carol'], 'short\n')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^database: .*\nv4h: password must have 8/),
    });
    expect(await cli(['user', 'add', 'carol'], '')).toMatchObject({ code: 1, stderr: `${dbLine()}v4h: no password on stdin (give it as one line)\n` });
    expect(await cli(['user', 'add'])).toMatchObject({
      code: 2,
      stderr: 'v4h: usage: v4h user add <username> [--org <organisation>] [--unit <unit>]… [--role admin|member]\n',
    });
    expect(await tryLogin('carol', 'short')).toBe('invalid_credentials');
  });

  it('list shows every user and whether it is disabled', async () => {
    await cli(['user', 'add', 'dave'], 'dave password\n');
    await cli(['user', 'disable', 'dave'], '');
    const { code, stdout } = await cli(['user', 'list']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^USERNAME\s+DISABLED\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['alice', 'no'],
      ['bob', 'no'],
      ['dave', 'yes'],
    ]);
    expect(lines[1].split(/\s+/)[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('passwd replaces the password', async () => {
    expect(await cli(['user', 'passwd', 'bob'], 'new bob password\n')).toMatchObject({ code: 0 });
    expect(await tryLogin('bob', 'bob password')).toBe('invalid_credentials');
    expect(await tryLogin('bob', 'new bob password')).toBe('ok');
    expect(await cli(['user', 'passwd', 'nobody'], 'some password\n')).toMatchObject({ code: 1, stderr: `${dbLine()}v4h: user nobody not found\n` });
  });

  it('disable refuses further logins', async () => {
    expect(await tryLogin('alice', 'alice password')).toBe('ok');
    expect(await cli(['user', 'disable', 'alice'])).toMatchObject({ code: 0, stdout: 'disabled alice; their sessions are ended\n' });
    expect(await tryLogin('alice', 'alice password')).toBe('invalid_credentials');
    expect(await cli(['user', 'disable', 'nobody'])).toMatchObject({ code: 1, stderr: `${dbLine()}v4h: user nobody not found\n` });
  });

  it('enable lets a disabled user log in again', async () => {
    expect(await cli(['user', 'enable', 'alice'])).toMatchObject({ code: 0, stdout: 'enabled alice\n' });
    expect(await tryLogin('alice', 'alice password')).toBe('ok');
  });
});

describe('v4h (dispatch)', { timeout: 120_000 }, () => {
  it('--help lists every command in the table', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    // Long usages wrap onto indented lines; their words stay in order.
    const flat = stdout.replace(/\s+/g, ' ');
    for (const command of Object.values(commands)) expect(flat).toContain(`v4h ${command.usage}`);
    for (const command of Object.values(commands)) expect(flat).toContain(command.summary);
  });

  // Issue 16 item 12: the help was ~270 columns wide (usages padded to the longest one).
  it('--help fits in 80 columns, through the real bin too', async () => {
    const inProcess = (await cli(['--help'])).stdout;
    const viaBin = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [bin, '--help'], { env: { ...process.env, ...env } }, (error, stdout) =>
        error ? reject(new Error('v4h --help failed', { cause: error })) : resolve(stdout),
      ),
    );
    for (const text of [inProcess, viaBin]) {
      expect(text.split('\n').length).toBeGreaterThan(10);
      for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    }
  });

  it('an unknown command prints the help and exits 2', async () => {
    const { code, stderr } = await cli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^v4h: unknown command "frobnicate"\n\nV4H/);
    expect((await cli([])).code).toBe(2);
    expect((await cli(['user'])).code).toBe(2);
  });

  it('bad configuration is one line naming the variable, exit 2', async () => {
    expect(await cli(['user', 'list'], '', { V4H_ACCESS_TOKEN_TTL: 'soon' })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'v4h: V4H_ACCESS_TOKEN_TTL: expected a whole number, got "soon"\n',
    });
    expect(await cli(['serve'], '', { PORT: '99999' })).toEqual({ code: 2, stdout: '', stderr: 'v4h: PORT: expected a port number, got "99999"\n' });
    expect(await cli(['serve'], '', { V4H_ADMIN_USERNAME: 'root', V4H_ADMIN_PASSWORD: 'short' })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'v4h: V4H_ADMIN_PASSWORD: password must have 8 to 1024 characters\n',
    });
  });
});

// Each case starts node processes that hash with argon2id: seconds each on a loaded machine (30 s was not enough).
describe('bin/v4h.js (the built command)', { timeout: 120_000 }, () => {
  const run = (args: string[], stdin: string, extraEnv: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env, ...extraEnv } }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(stdin);
    });

  it('adds a user from piped stdin and lists it; config errors exit 2', async () => {
    // `npm test` builds first; the bin runs dist/, which must exist.
    expect(fs.existsSync(path.join(serverDir, 'dist/cli/main.js')), 'run `npm run build -w @v4h/server` first').toBe(true);
    expect(await run(['user', 'add', 'erin'], 'erin password\n')).toEqual({ code: 0, stdout: 'created user erin\n', stderr: dbLine() });
    expect(await tryLogin('erin', 'erin password')).toBe('ok');
    expect((await run(['user', 'list'], '')).stdout).toMatch(/^erin\s+no\s+/m);
    expect(await run(['serve'], '', { V4H_DATABASE_URL: 'mysql://x' })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'v4h: V4H_DATABASE_URL: expected sqlite:<file> or postgres://…\n',
    });
  });

  // Issue 16 item 7: run from packages/client, the CLI used packages/client/data/v4h.sqlite, silently.
  it('uses data/ at the repository root from any working directory, as the server does, and says which database', async () => {
    // A copy of the built server in a repository of its own, so that its default data dir is a temporary one.
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-repo-'));
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-elsewhere-'));
    try {
      for (const part of ['dist', 'bin', 'package.json']) fs.cpSync(path.join(serverDir, part), path.join(repo, 'packages/server', part), { recursive: true });
      fs.symlinkSync(path.resolve(serverDir, '../../node_modules'), path.join(repo, 'node_modules'));
      const copy = path.join(repo, 'packages/server/bin/v4h.js');
      const runIn = (cwd: string, args: string[], stdin = '') =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const child = execFile(process.execPath, [copy, ...args], { cwd, env: { PATH: process.env.PATH } }, (error, stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          );
          child.stdin!.end(stdin);
        });
      const expected = `database: sqlite:${path.join(repo, 'data', 'v4h.sqlite')}\n`;
      expect(await runIn(elsewhere, ['user', 'add', 'Zoe'], 'zoe password\n')).toEqual({ code: 0, stdout: 'created user zoe\n', stderr: expected });
      const fromRoot = await runIn(repo, ['user', 'list']);
      expect(fromRoot.stderr).toBe(expected);
      expect(fromRoot.stdout).toMatch(/^zoe\s+no\s+/m);
      expect(fs.existsSync(path.join(elsewhere, 'data'))).toBe(false);
      // The server, started from a third folder, logs the same database (and finds zoe there: no "no user exists" warning).
      const server = spawn(process.execPath, [copy, 'serve'], { cwd: path.join(repo, 'packages/server'), env: { PATH: process.env.PATH, PORT: '0' } });
      try {
        let log = '';
        await new Promise<void>((resolve, reject) => {
          server.stdout.on('data', (chunk) => ((log += chunk), /Server listening/.test(log) && resolve()));
          server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
        });
        const line = log
          .split('\n')
          .map((l) => (l ? JSON.parse(l) : {}))
          .find((l) => l.msg === 'database');
        expect(line).toMatchObject({ database: `sqlite:${path.join(repo, 'data', 'v4h.sqlite')}`, dataDir: path.join(repo, 'data') });
        expect(log).not.toContain('no user exists');
      } finally {
        server.kill('SIGTERM');
        await new Promise((resolve) => server.on('exit', resolve));
      }
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 120_000); // three node processes start: on a loaded machine each takes seconds

  it('at a terminal, prompts twice without echo (a real pty via util-linux `script`)', async () => {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const child = spawn('script', ['-qec', `${quote(process.execPath)} ${quote(bin)} user add tty-user`, '/dev/null'], {
      env: { PATH: process.env.PATH, ...env },
    });
    let output = '';
    const waitFor = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (output.includes(text) ? resolve() : undefined);
        child.stdout.on('data', (chunk) => ((output += chunk), check()));
        child.on('exit', () => reject(new Error(`exited before "${text}": ${output}`)));
        check();
      });
    await waitFor('Password: ');
    child.stdin.write('tty secret pwX\x7f\r'); // the last character is erased
    await waitFor('Repeat password: ');
    child.stdin.write('tty secret pw\r');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(output).toContain('created user tty-user');
    expect(output).not.toContain('tty secret');
    expect(await tryLogin('tty-user', 'tty secret pw')).toBe('ok');
  });
});
