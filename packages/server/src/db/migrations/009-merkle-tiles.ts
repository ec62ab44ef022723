// A batch's Merkle tree stored once, as tiles (records/merkle.ts), instead of a whole audit path in every manifest
// row: batches made from now on leave manifests.proof null. Older batches keep their stored paths.
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
  await db.schema
    .createTable('merkle_tiles')
    .addColumn('batch_id', 'text', (c) => c.notNull().references('anchor_batches.id'))
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('tile', 'integer', (c) => c.notNull())
    .addColumn('nodes', bytes, (c) => c.notNull())
    .addPrimaryKeyConstraint('merkle_tiles_pk', ['batch_id', 'level', 'tile'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
