// `v4h rotate-master-key` for webhooks: every signing secret (and a rotation's previous one) not yet under the current
// master key is re-wrapped under it, before the old key goes away (docs/webhooks.md, The secret at rest).
import type { Db } from '../db/database.js';
import type { MasterKeyring } from '../storage/encryption.js';
import { rewrapSecret } from './signing.js';

const BATCH = 500;

/**
 * Re-wraps, in batches (a transaction each), the secrets not under the current master key; a row only if its secrets
 * did not change meanwhile (a rotation of the endpoint's own secret), else it is read again. Returns the endpoints done.
 * Throws a MasterKeyError when a secret is under a master key the keyring lacks: nothing of that batch is written.
 */
export async function rewrapWebhookSecrets(db: Db, keyring: MasterKeyring): Promise<number> {
  const current = keyring.currentId;
  let count = 0;
  for (;;) {
    const rows = await db.kysely
      .selectFrom('webhooks')
      .select(['id', 'secret_key_id', 'secret', 'previous_key_id', 'previous_secret'])
      .where((eb) => eb.or([eb('secret_key_id', '!=', current), eb.and([eb('previous_secret', 'is not', null), eb('previous_key_id', '!=', current)])]))
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return count;
    await db.write(async (trx) => {
      for (const row of rows) {
        const secret = rewrapSecret(keyring, row.id, { keyId: row.secret_key_id, wrapped: row.secret });
        const previous =
          row.previous_secret !== null && row.previous_key_id !== null
            ? rewrapSecret(keyring, row.id, { keyId: row.previous_key_id, wrapped: row.previous_secret })
            : null;
        await trx
          .updateTable('webhooks')
          .set({
            secret_key_id: secret.keyId,
            secret: secret.wrapped,
            ...(previous ? { previous_key_id: previous.keyId, previous_secret: previous.wrapped } : {}),
          })
          .where('id', '=', row.id)
          .where('secret', '=', row.secret)
          .where((eb) => (row.previous_secret === null ? eb('previous_secret', 'is', null) : eb('previous_secret', '=', row.previous_secret)))
          .execute();
      }
    });
    count += rows.length;
  }
}

/** The master keys the stored signing secrets (and rotations' previous ones) are wrapped by: the start-up check needs them all. */
export async function webhookMasterKeyIds(db: Db): Promise<string[]> {
  const rows = await db.kysely.selectFrom('webhooks').select(['secret_key_id', 'previous_key_id', 'previous_secret']).execute();
  return [...new Set(rows.flatMap((r) => (r.previous_secret === null ? [r.secret_key_id] : [r.secret_key_id, r.previous_key_id!])))];
}
