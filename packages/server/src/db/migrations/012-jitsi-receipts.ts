// Receipts of Jitsi's event posts (JaaS webhooks, Prosody event_sync): a delivery is recorded once, however often
// it is retried, and a signature is accepted once (a replayed request is refused).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jitsi_receipts')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations only go forward');
}
