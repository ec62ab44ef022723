// The access audit (issue 19): one row per read of health data, in a table of its own. Append-only: the database
// refuses any update (a trigger); rows leave only by its retention (V4H_AUDIT_RETENTION_DAYS), oldest first.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('access_audit')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    // `user:<id>`, `verification-link:<hash>`, `signed-link:<hash>`.
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('file_id', 'text')
    // JSON array of the ids a listing returned (conferences or files), else null.
    .addColumn('listed', 'text')
    // The client address as the policy keeps it (truncated, hashed, whole) or null.
    .addColumn('address', 'text')
    .execute();
  await db.schema.createIndex('access_audit_session').on('access_audit').columns(['session_id', 'at']).execute();
  await db.schema.createIndex('access_audit_at').on('access_audit').column('at').execute();
  await db.schema.createIndex('access_audit_actor').on('access_audit').columns(['actor', 'at']).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create function v4h_access_audit_append_only() returns trigger language plpgsql as $$
      begin raise exception 'access_audit is append-only'; end $$`.execute(db);
    await sql`create trigger access_audit_append_only before update on access_audit
      for each row execute function v4h_access_audit_append_only()`.execute(db);
  } else {
    await sql`create trigger access_audit_append_only before update on access_audit
      begin select raise(abort, 'access_audit is append-only'); end`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
