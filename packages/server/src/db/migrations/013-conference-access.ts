// Who may enter a conference and see its files: a join policy per conference, its named or admitted users, and
// files that participants see only once the owner shares them (issue 15).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Existing conferences keep what they allowed: any signed-in user (ORG on an install without organisations).
  await db.schema
    .alterTable('conferences')
    .addColumn('join_policy', 'text', (c) => c.notNull().defaultTo('ORG'))
    .execute();
  await db.schema.alterTable('conferences').addColumn('join_password_hash', 'text').execute();
  // `invited`: named by the owner (RESTRICT); `admitted`: passed the join policy at least once.
  await db.schema
    .createTable('conference_members')
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('conference_members_pk', ['session_id', 'user_id', 'role'])
    .execute();
  await db.schema.alterTable('files').addColumn('uploader_id', 'text').execute();
  await db.schema
    .alterTable('files')
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update files set uploader_id = (select u.id from users u where ${sql.lit('user:')} || u.username = files.uploader)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
