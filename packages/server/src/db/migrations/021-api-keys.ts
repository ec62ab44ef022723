// API keys of organisations (stored as hashes) and the appointment-bound join links minted with them (issue 22).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    // Space-separated scopes (conferences:write …).
    .addColumn('scopes', 'text', (c) => c.notNull())
    // SHA-256 of the secret (lib/api-keys.ts): never the secret.
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    // `user:<userId>` or `cli`.
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_organisation').on('api_keys').column('organisation_id').execute();

  // One row per join link, beside its guests row (name, erasable): the slot, the role and the caller's id of the person.
  await db.schema
    .createTable('join_links')
    .addColumn('guest_id', 'text', (c) => c.primaryKey().references('guests.guest_id'))
    .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
    // The EHR's id of the person: personal data outside the chain (the event holds a commitment), erased with the guest.
    .addColumn('external_id', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('waiting_room', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('api_key_id', 'text', (c) => c.references('api_keys.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('join_links_session').on('join_links').column('session_id').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
