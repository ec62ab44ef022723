// Manifests sealed from now on are not stored as text (`body` null): the text is rebuilt from the manifest's row and
// the append-only events it seals, and the sealed hash is what is anchored. Older rows keep their text.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table manifests alter column body drop not null`.execute(db);
    return;
  }
  // SQLite cannot drop a NOT NULL constraint: the table is rebuilt, with the same columns and indexes, in one transaction.
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('manifests_008')
      .addColumn('session_id', 'text', (c) => c.notNull().references('conferences.session_id'))
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('prev_hash', 'text')
      .addColumn('from_seq', 'integer', (c) => c.notNull())
      .addColumn('to_seq', 'integer', (c) => c.notNull())
      .addColumn('body', 'text')
      .addColumn('sealed_at', 'bigint', (c) => c.notNull())
      .addColumn('batch_id', 'text')
      .addColumn('leaf_index', 'integer')
      .addColumn('proof', 'text')
      .addPrimaryKeyConstraint('manifests_pk', ['session_id', 'part'])
      .execute();
    await sql`insert into manifests_008 (session_id, part, hash, prev_hash, from_seq, to_seq, body, sealed_at, batch_id, leaf_index, proof)
      select session_id, part, hash, prev_hash, from_seq, to_seq, body, sealed_at, batch_id, leaf_index, proof from manifests`.execute(trx);
    await trx.schema.dropTable('manifests').execute();
    await trx.schema.alterTable('manifests_008').renameTo('manifests').execute();
    await trx.schema.createIndex('manifests_batch').on('manifests').columns(['batch_id', 'sealed_at']).execute();
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
