// `v4h org …`, `v4h unit …` and `v4h user add --org/--unit/--role` against a real database (in-process), and what they
// made seen through the access policy's lookups.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import { membershipOf } from '../db/memberships.js';
import { createTestDatabase, type TestDatabase } from '../test-support/test-app.js';
import { runCli } from './commands.js';

let dir: string;
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-cli-org-'));
  database = await createTestDatabase(dir);
  env = { V4H_DATA_DIR: dir, V4H_DATABASE_URL: database.url, V4H_LOG_LEVEL: 'silent' };
});
afterAll(async () => {
  await database.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr: stderr.replace(/^database: .*\n/, '') };
}

async function placeOf(username: string) {
  const db = await openDatabase(database.url);
  try {
    const user = await db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
    const membership = await membershipOf(db.kysely, user.id);
    const units = await db.kysely.selectFrom('org_units').select(['id', 'name']).execute();
    return { ...membership, unitIds: membership.unitIds.map((id) => units.find((u) => u.id === id)!.name).sort() };
  } finally {
    await db.close();
  }
}

describe('v4h org, unit and user add --org', () => {
  let orgId: string;

  it('org add creates an organisation (with its defaults) and prints its id; org list shows it beside default', async () => {
    const added = await cli(['org', 'add', 'Clínica Sol', '--join-policy', 'restrict', '--list-policy', 'ORG']);
    expect(added.code, added.stderr).toBe(0);
    const match = /^created organisation Clínica Sol \(id ([^)]+)\)\n$/.exec(added.stdout);
    expect(match).not.toBeNull();
    orgId = match![1];
    expect(await cli(['org', 'add', 'Clínica Sol'])).toMatchObject({ code: 1, stderr: 'v4h: organisation Clínica Sol already exists\n' });
    expect(await cli(['org', 'add', 'X', '--join-policy', 'SESSIONPWD'])).toMatchObject({
      code: 2,
      stderr: 'v4h: --join-policy must be one of ORG, RESTRICT, PUBLIC\n',
    });
    expect(await cli(['org', 'add'])).toMatchObject({ code: 2 });
    const list = await cli(['org', 'list']);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+JOIN\s+LIST\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 4))).toEqual([
      [orgId, 'Clínica Sol', 'RESTRICT', 'ORG'],
      ['default', 'default', 'ORG', 'RESTRICT'],
    ]);
  });

  it('unit add and unit list, by organisation name or id', async () => {
    expect(await cli(['unit', 'add', 'Cardiologia', '--org', 'Clínica Sol'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^created unit Cardiologia \(id /),
    });
    expect((await cli(['unit', 'add', 'Oncologia', '--org', orgId])).code).toBe(0);
    expect(await cli(['unit', 'add', 'Oncologia', '--org', orgId])).toMatchObject({ code: 1, stderr: 'v4h: unit Oncologia already exists in Clínica Sol\n' });
    expect(await cli(['unit', 'add', 'X', '--org', 'Nowhere'])).toMatchObject({ code: 1, stderr: 'v4h: organisation Nowhere not found\n' });
    expect(await cli(['unit', 'add', 'X'])).toMatchObject({ code: 2, stderr: 'v4h: usage: v4h unit add <name> --org <organisation>\n' });
    const list = await cli(['unit', 'list', '--org', 'Clínica Sol']);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s{2,}/)[1]),
    ).toEqual(['Cardiologia', 'Oncologia']);
  });

  it('user add --org --unit --role places the new user; without them the user joins default as a member', async () => {
    const added = await cli(
      ['user', 'add', 'dr.ana', '--org', 'Clínica Sol', '--unit', 'Cardiologia', '--unit', 'Oncologia', '--role', 'admin'],
      'a long passphrase\n',
    );
    expect(added).toMatchObject({ code: 0, stdout: 'created user dr.ana in Clínica Sol (admin)\n' });
    expect(await placeOf('dr.ana')).toEqual({ organisationId: orgId, role: 'admin', unitIds: ['Cardiologia', 'Oncologia'] });
    expect(await cli(['user', 'add', 'plain'], 'a long passphrase\n')).toMatchObject({ code: 0, stdout: 'created user plain\n' });
    expect(await placeOf('plain')).toEqual({ organisationId: 'default', role: 'member', unitIds: [] });
    // Checked before the password is read: an unknown unit, organisation or role creates nobody.
    expect(await cli(['user', 'add', 'bea', '--org', orgId, '--unit', 'Pediatria'], 'a long passphrase\n')).toMatchObject({
      code: 1,
      stderr: 'v4h: unknown units in Clínica Sol: Pediatria\n',
    });
    expect(await cli(['user', 'add', 'bea', '--org', 'Nowhere'], 'a long passphrase\n')).toMatchObject({
      code: 1,
      stderr: 'v4h: organisation Nowhere not found\n',
    });
    expect(await cli(['user', 'add', 'bea', '--role', 'owner'], 'a long passphrase\n')).toMatchObject({
      code: 2,
      stderr: 'v4h: --role must be admin or member\n',
    });
    expect(await cli(['user', 'add', 'bea', '--team', 'x'], 'a long passphrase\n')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^v4h: unknown option --team/),
    });
    expect((await cli(['user', 'list'])).stdout).not.toContain('bea');
  });
});
