// Chooses the ledger from config.ledger.url: `local` (embedded, default) or an EVM JSON-RPC URL.
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import type { Ledger } from './ledger.js';
import { LocalLedger } from './local-ledger.js';
import { loadLedgerSigningKey } from './signing-key.js';

export async function createLedger(config: Config, db: Kysely<Database>, clock: Clock): Promise<Ledger> {
  if (config.ledger.url === 'local') return new LocalLedger({ db, key: loadLedgerSigningKey(config.dataDir), clock });
  const { EvmLedger } = await import('./evm-ledger.js');
  return EvmLedger.connect({
    rpcUrl: config.ledger.url,
    privateKey: config.ledger.privateKey as `0x${string}`,
    confirmations: config.ledger.confirmations,
    replaceAfterMs: Math.max(3 * config.anchorInterval * 1000, 60_000),
    clock,
  });
}
