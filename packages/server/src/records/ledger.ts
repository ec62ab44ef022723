// The ledger interface: the embedded chain (`local`) or an EVM chain (a JSON-RPC URL), chosen by config.ledger.url.
import type { AnchorBatchesTable } from '../db/schema.js';
import type { EvmAnchor, LocalAnchor } from '@v4h/protocol/verify';

/** What GET /.well-known/v4h-ledger.json publishes. */
export interface LedgerDescription {
  type: string;
  /** Local ledger: the Ed25519 public key (raw 32 bytes, base64url) and as a JWK. */
  publicKey?: string;
  publicKeyJwk?: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  /** EVM: the chain and the anchoring account (sender and recipient of every anchor transaction). */
  chainId?: number;
  address?: string;
  /** How the root is carried (EVM). */
  anchorData?: string;
}

export type AnchorDetails = Omit<LocalAnchor, 'status'> | Omit<EvmAnchor, 'status'>;

export type AnchorOutcome =
  | { status: 'anchored'; dltId: string; anchoredAt: number; anchor: AnchorDetails }
  /** Sent and waiting for inclusion or confirmations. */
  | { status: 'submitted' };

/** Where a ledger records what it is about to send, before sending it (the outbox). */
export interface AttemptStore {
  recordTxAttempts(batchId: string, nonce: number | null, attempts: string): Promise<void>;
}

export interface Ledger {
  /** `v4h-local` or `evm:<chainId>` (the DLTType). */
  readonly type: string;
  describe(): LedgerDescription;
  /**
   * Moves a batch towards anchored. Idempotent: after a crash or an error it is called again with
   * the batch as last recorded and resumes (never publishing the same batch twice in a way that matters).
   * Throws when the ledger is unreachable or refuses; the worker retries with backoff.
   */
  advance(batch: AnchorBatchesTable, store: AttemptStore): Promise<AnchorOutcome>;
  close?(): Promise<void>;
}
