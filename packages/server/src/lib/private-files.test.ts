// The data dir is 0700 and every file in it 0600 (the SQLite database, its -wal and -shm, secrets, stored files);
// an existing directory open to other users is warned about at start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { resolveSecrets } from '../secrets.js';
import { startServer } from '../server.js';
import { FileStorage } from '../storage/file-backend.js';
import { createTestDatabase } from '../test-support/test-app.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-modes-'));
  dirs.push(dir);
  return dir;
};
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('data dir file modes', () => {
  // Issue 15 item 12: the directory was made 0755 and v4h.sqlite/-wal 0644 (the umask's default), readable by any local user.
  it('SQLite: a new data dir is 0700; the database, -wal and -shm are 0600', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const file = path.join(dataDir, 'v4h.sqlite');
    const db = await openDatabase(`sqlite:${file}`);
    await db.kysely.schema.createTable('t').addColumn('x', 'integer').execute();
    await db.kysely
      .insertInto('t' as never)
      .values({ x: 1 })
      .execute();
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    expect(fs.existsSync(`${file}-shm`)).toBe(true);
    expect(modeOf(dataDir).toString(8)).toBe('700');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(f).toString(8), f).toBe('600');
    await db.close();
  });

  it('SQLite: files left 0644 by an older version are set to 0600 when opened', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'v4h.sqlite');
    const first = await openDatabase(`sqlite:${file}`);
    await first.kysely.schema.createTable('t').addColumn('x', 'integer').execute();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.chmodSync(f, 0o644);
    const second = await openDatabase(`sqlite:${file}`);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(f).toString(8), f).toBe('600');
    await second.close();
    await first.close();
  });

  it('generated secrets and stored files: directories 0700, files 0600', async () => {
    const dataDir = path.join(tempDir(), 'data');
    resolveSecrets(loadConfig({ V4H_DATA_DIR: dataDir }));
    expect(modeOf(dataDir).toString(8)).toBe('700');
    for (const name of fs.readdirSync(dataDir)) expect(modeOf(path.join(dataDir, name)).toString(8), name).toBe('600');
    const storage = await FileStorage.open(`file:${path.join(dataDir, 'files')}`);
    await storage.put('ab/abcdef', Readable.from([Buffer.from('health data')]));
    for (const dir of ['files', 'files/ab', 'files/.partial']) expect(modeOf(path.join(dataDir, dir)).toString(8), dir).toBe('700');
    expect(modeOf(path.join(dataDir, 'files/ab/abcdef')).toString(8)).toBe('600');
    await storage.close();
  });

  it('start warns when an existing data dir is readable by others, and not when it is 0700', async () => {
    for (const [mode, warned] of [
      [0o755, true],
      [0o700, false],
    ] as const) {
      const dataDir = tempDir();
      fs.chmodSync(dataDir, mode);
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
      const server = await startServer(loadConfig({ HOST: '127.0.0.1', PORT: '0', V4H_DATA_DIR: dataDir, V4H_DATABASE_URL: database.url }), {
        logger: { level: 'warn', stream },
      });
      await server.close();
      await database.destroy();
      const warning = lines.find((l) => l.level === 40 && l.msg.includes('readable by other users'));
      expect(Boolean(warning), `mode ${mode.toString(8)}: ${JSON.stringify(lines)}`).toBe(warned);
      if (warned) expect(warning!.msg).toContain('chmod 700');
    }
  });
});
