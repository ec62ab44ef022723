// Organisations and their units (issue 22): every user belongs to one organisation (as `admin` or `member`) and to any
// of its units; conferences belong to their owner's organisation and gain a list policy and the units an ORGUNIT
// policy names. An existing install moves into one organisation, `default`, with every user a member; nothing else
// changes for it (the V4H_ADMIN_USERNAME user becomes its admin at start: a migration does not read the config).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organisations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Not personal data: the name of a clinic, a hospital, a department.
    .addColumn('name', 'text', (c) => c.notNull().unique())
    // JSON object: defaults for new conferences ({ joinPolicy, listPolicy }); `{}` means the built-in defaults.
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('org_units')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('org_units_name', ['organisation_id', 'name'])
    .execute();
  // One organisation per user: the user id is the key.
  await db.schema
    .createTable('organisation_members')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    // `admin` (manages the organisation's users, units, keys, webhooks) or `member`.
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('member'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('organisation_members_org').on('organisation_members').columns(['organisation_id', 'user_id']).execute();
  await db.schema
    .createTable('unit_members')
    .addColumn('unit_id', 'text', (c) => c.notNull().references('org_units.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addPrimaryKeyConstraint('unit_members_pk', ['unit_id', 'user_id'])
    .execute();
  await db.schema.createIndex('unit_members_user').on('unit_members').columns(['user_id', 'unit_id']).execute();

  // Conferences: the organisation they belong to (the owner's at creation), who sees them in GET /api/conferences,
  // and the units an ORGUNIT policy names. Existing ones belong to `default`; their list policy RESTRICT shows them
  // to their owner (and the users a RESTRICT join policy named), as the listing did before.
  await db.schema
    .alterTable('conferences')
    .addColumn('organisation_id', 'text', (c) => c.notNull().defaultTo('default'))
    .execute();
  await db.schema
    .alterTable('conferences')
    .addColumn('list_policy', 'text', (c) => c.notNull().defaultTo('RESTRICT'))
    .execute();
  await db.schema.createIndex('conferences_org_created').on('conferences').columns(['organisation_id', 'created_at']).execute();
  await db.schema
    .createTable('conference_units')
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    .addColumn('unit_id', 'text', (c) => c.notNull().references('org_units.id'))
    .addPrimaryKeyConstraint('conference_units_pk', ['session_id', 'unit_id'])
    .execute();
  await db.schema.createIndex('conference_units_unit').on('conference_units').columns(['unit_id', 'session_id']).execute();

  const now = Date.now();
  await db.insertInto('organisations').values({ id: 'default', name: 'default', settings: '{}', created_at: now }).execute();
  await sql`insert into organisation_members (user_id, organisation_id, role, created_at)
    select id, ${sql.lit('default')}, ${sql.lit('member')}, ${sql.lit(now)} from users`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
