// Usernames become case-insensitive (issue 16): every stored name is rewritten to its normalised form (NFC, lowercase),
// the form every lookup now uses. Names that collide once normalised (`dr.ana` and `DR.ANA`) are two accounts: the
// oldest keeps the name, each other one gets a free suffixed name (`dr.ana-2`), and the migration says so by user id.
import type { Kysely } from 'kysely';

// Frozen here (a migration must not change with the code it was written for): auth/usernames.ts's normalisation.
const normalizeUsername = (name: string) => name.normalize('NFC').toLowerCase().normalize('NFC');

interface Row {
  id: string;
  username: string;
  created_at: number | string;
}

/** The new name of every account whose name changes (oldest first within a collision), and the accounts renamed apart. */
export function plan(rows: Row[]): { renames: Map<string, string>; collisions: { id: string; from: string; to: string }[] } {
  const byAge = [...rows].sort((a, b) => Number(a.created_at) - Number(b.created_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const groups = new Map<string, Row[]>();
  for (const row of byAge) {
    const name = normalizeUsername(row.username);
    groups.set(name, [...(groups.get(name) ?? []), row]);
  }
  const taken = new Set(groups.keys());
  const renames = new Map<string, string>();
  const collisions: { id: string; from: string; to: string }[] = [];
  for (const [name, [first, ...others]] of groups) {
    if (first.username !== name) renames.set(first.id, name);
    for (const row of others) {
      let n = 2;
      const suffixed = () => `${[...name].slice(0, 64 - String(n).length - 1).join('')}-${n}`;
      while (taken.has(suffixed())) n++;
      const to = suffixed();
      taken.add(to);
      renames.set(row.id, to);
      collisions.push({ id: row.id, from: row.username, to });
    }
  }
  return { renames, collisions };
}

export async function up(db: Kysely<any>): Promise<void> {
  const rows = (await db.selectFrom('users').select(['id', 'username', 'created_at']).execute()) as Row[];
  const { renames, collisions } = plan(rows);
  // Two steps, so that no intermediate state breaks the unique index (`DR.ANA` → `dr.ana` while `dr.ana` → `dr.ana-2`).
  for (const id of renames.keys())
    await db
      .updateTable('users')
      .set({ username: `~renaming~${id}` })
      .where('id', '=', id)
      .execute();
  for (const [id, to] of renames) {
    await db.updateTable('users').set({ username: to }).where('id', '=', id).execute();
    // Files show their uploader by name (`user:<username>`), and erasure finds a user's files by it.
    await db
      .updateTable('files')
      .set({ uploader: `user:${to}` })
      .where('uploader_id', '=', id)
      .execute();
  }
  if (collisions.length > 0) {
    // Ids only: a username is personal data and stays out of logs. `v4h user list` shows the new names.
    process.emitWarning(
      `usernames are now case-insensitive; ${collisions.length} account(s) whose name collided with an older one's were renamed with a suffix (user ids: ${collisions.map((c) => c.id).join(', ')}); see \`v4h user list\` and tell their owners`,
      { code: 'V4H_USERNAMES_RENAMED' },
    );
  }
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
