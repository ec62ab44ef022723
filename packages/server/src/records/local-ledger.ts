// The embedded ledger: an append-only, hash-linked chain of signed batch roots in the database.
import type { Kysely } from 'kysely';
import type { AnchorBatchesTable, Database, LedgerEntriesTable } from '../db/schema.js';
import { sha256Hex } from '../lib/ids.js';
import type { Clock } from '../lib/clock.js';
import { canonicalize, GENESIS_HASH, type LocalLedgerEntry } from '@v4h/protocol/verify';
import type { AnchorOutcome, Ledger, LedgerDescription } from './ledger.js';
import type { LedgerSigningKey } from './signing-key.js';

export const LOCAL_LEDGER_TYPE = 'v4h-local';

export class LocalLedger implements Ledger {
  readonly type = LOCAL_LEDGER_TYPE;

  constructor(private readonly deps: { db: Kysely<Database>; key: LedgerSigningKey; clock: Clock }) {}

  describe(): LedgerDescription {
    const x = this.deps.key.publicKey;
    return { type: this.type, publicKey: x, publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x } };
  }

  /** Appends the batch's entry (once: an entry already written for the batch is reused). */
  async advance(batch: AnchorBatchesTable): Promise<AnchorOutcome> {
    const { db } = this.deps;
    let row = await db.selectFrom('ledger_entries').selectAll().where('batch_id', '=', batch.id).executeTakeFirst();
    if (!row) {
      row = await db.transaction().execute(async (trx) => {
        const last = await trx.selectFrom('ledger_entries').select(['seq', 'hash', 'body', 'signature']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
        // Servers sharing a database must share the key: a chain signed by two keys would fail verification against
        // the one key a verifier holds. Refused here, the batch waits (and is retried) until the keys agree.
        if (last && !this.deps.key.verify(last.body, last.signature)) {
          throw new Error(
            `ledger entry ${last.seq} in this database was signed by another ledger key: give every server sharing the database the same ledger-ed25519.pem (see docs/manifest.md)`,
          );
        }
        const at = this.deps.clock.now();
        const entry: LocalLedgerEntry = {
          v: 1,
          kind: 'v4h-ledger-entry',
          seq: (last?.seq ?? 0) + 1,
          prev: last?.hash ?? GENESIS_HASH,
          root: batch.root,
          size: batch.size,
          at: new Date(at).toISOString(),
        };
        const body = canonicalize(entry);
        // The primary key on seq makes a concurrent writer fail instead of forking the chain.
        const inserted: LedgerEntriesTable = {
          seq: entry.seq,
          hash: sha256Hex(body),
          prev_hash: entry.prev,
          root: entry.root,
          size: entry.size,
          at,
          body,
          signature: this.deps.key.sign(body),
          batch_id: batch.id,
        };
        await trx.insertInto('ledger_entries').values(inserted).execute();
        return inserted;
      });
    }
    return {
      status: 'anchored',
      dltId: String(row.seq),
      anchoredAt: row.at,
      anchor: {
        ledger: LOCAL_LEDGER_TYPE,
        anchoredAt: new Date(row.at).toISOString(),
        entry: JSON.parse(row.body) as LocalLedgerEntry,
        entryHash: row.hash,
        signature: row.signature,
      },
    };
  }
}
