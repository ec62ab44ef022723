// A named lease in the database so that one process at a time runs a worker (several servers may share PostgreSQL).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Takes or renews the lease `name` for `holder` until `now + ttlMs`; false when another holder has it. */
export async function acquireLease(db: Kysely<Database>, name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
  await db
    .insertInto('worker_leases')
    .values({ name, holder, expires_at: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const result = await db
    .updateTable('worker_leases')
    .set({ holder, expires_at: now + ttlMs })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.updateTable('worker_leases').set({ expires_at: 0 }).where('name', '=', name).where('holder', '=', holder).execute();
}
