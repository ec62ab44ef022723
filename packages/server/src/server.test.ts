// Start-up guidance: a fresh install with no user says so in the log, with the command that creates one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { startServer } from './server.js';
import { createTestDatabase } from './test-support/test-app.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts and stops a real server on a fresh database and returns its start-up log lines. */
async function startUpLog(env: Record<string, string>): Promise<{ level: number; msg: string }[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-start-'));
  dirs.push(dataDir);
  const database = await createTestDatabase(dataDir);
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write: (chunk, _e, cb) => (
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      ),
      cb()
    ),
  });
  try {
    const server = await startServer(loadConfig({ HOST: '127.0.0.1', PORT: '0', V4H_DATA_DIR: dataDir, V4H_DATABASE_URL: database.url, ...env }), {
      logger: { level: 'info', stream },
    });
    await server.close();
  } finally {
    await database.destroy();
  }
  return lines;
}

describe('start-up log', () => {
  // Issue 16 item 4: `npm ci && npm start` then a login answered invalid_credentials, and nothing said no user existed.
  it('warns when no user exists, naming the exact commands that create one', async () => {
    const lines = await startUpLog({});
    const warning = lines.find((l) => l.level === 40 && l.msg.includes('no user exists'));
    expect(warning, JSON.stringify(lines)).toBeDefined();
    expect(warning!.msg).toContain("V4H_ADMIN_USERNAME=dr.ana V4H_ADMIN_PASSWORD='a long passphrase' npm start");
    expect(warning!.msg).toContain("echo 'a long passphrase' | node packages/server/bin/v4h.js user add dr.ana");
    // The commands are the README's own, so a newcomer finds the same words in both places.
    const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
    expect(readme).toContain("V4H_ADMIN_USERNAME=dr.ana V4H_ADMIN_PASSWORD='a long passphrase' npm start");
    expect(readme).toContain("echo 'a long passphrase' | node packages/server/bin/v4h.js user add dr.ana");
    // The demo's sign-in form shows the same command, under a lead in English and in pt-BR (its string tables).
    const demo = (file: string) => fs.readFileSync(path.join(__dirname, '../../client/demo', file), 'utf8');
    expect(demo('index.html')).toContain("echo 'a long passphrase' | node packages/server/bin/v4h.js user add dr.ana");
    expect(demo('lang/en.ts')).toContain("lead: 'No account yet? Create one on the server, then sign in:'");
    expect(demo('lang/pt-BR.ts')).toContain("lead: 'Ainda não tem conta? Crie uma no servidor e depois entre:'");
  });

  it('says nothing about users once one exists', async () => {
    const lines = await startUpLog({ V4H_ADMIN_USERNAME: 'dr.ana', V4H_ADMIN_PASSWORD: 'a long passphrase here' });
    expect(
      lines.some((l) => l.msg?.includes('created the admin user')),
      JSON.stringify(lines),
    ).toBe(true);
    expect(lines.some((l) => l.msg?.includes('no user exists'))).toBe(false);
  });
});
