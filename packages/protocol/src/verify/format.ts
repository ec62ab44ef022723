// The record formats (docs/manifest.md is the normative description): events, manifests, proofs, anchors, bundles.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Version (`v`) of the event format. */
export const EVENT_FORMAT_VERSION = 1;

/** Hash that the first event of a conference names as its predecessor. */
export const GENESIS_HASH = '0'.repeat(64);

/** The 4 bytes ("V4H" 0x01) that start the data of an EVM anchor transaction; the 32-byte root follows. */
export const EVM_ANCHOR_TAG = '0x56344801';

/** One event of a conference's log; `hash` is SHA-256 of the JCS of every other member. */
export interface ManifestEvent {
  v: number;
  sessionId: string;
  seq: number;
  type: string;
  actor: string;
  at: string;
  data: { [key: string]: Json };
  prev: string;
  hash: string;
}

/** A sealed run of events; its hash is SHA-256 of its JCS bytes. Part 0 opens the chain, later parts are addenda. */
export interface Manifest {
  v: 1;
  kind: 'v4h-manifest';
  sessionId: string;
  part: number;
  /** Hash of manifest `part - 1`, null for part 0. */
  prev: string | null;
  fromSeq: number;
  toSeq: number;
  sealedAt: string;
  events: ManifestEvent[];
}

/** RFC 6962 audit path of a manifest hash in its batch's Merkle tree. */
export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  /** Sibling hashes from the leaf up (hex). */
  path: string[];
  root: string;
}

/** One entry of the embedded ledger; signed (Ed25519) over its JCS bytes. */
export interface LocalLedgerEntry {
  v: 1;
  kind: 'v4h-ledger-entry';
  seq: number;
  /** Hash (SHA-256 of the JCS) of entry `seq - 1`, GENESIS_HASH for the first. */
  prev: string;
  root: string;
  size: number;
  at: string;
}

export interface LocalAnchor {
  status: 'anchored';
  ledger: 'v4h-local';
  anchoredAt: string;
  entry: LocalLedgerEntry;
  entryHash: string;
  /** base64url Ed25519 signature of the entry's JCS bytes. */
  signature: string;
}

export interface EvmAnchor {
  status: 'anchored';
  ledger: `evm:${number}`;
  anchoredAt: string;
  chainId: number;
  /** The anchoring account: sender and recipient of the transaction. */
  address: string;
  txHash: string;
  blockNumber: number;
}

export interface PendingAnchor {
  status: 'pending';
  /** Why it waits: not batched yet, or a batch on its way to the ledger. */
  stage: 'unbatched' | 'batched' | 'submitted';
  since: string;
  lastError: string | null;
}

export type Anchor = LocalAnchor | EvmAnchor | PendingAnchor;

export interface BundleEntry {
  hash: string;
  manifest: Manifest;
  proof: InclusionProof | null;
  anchor: Anchor;
}

/** What the manifest route, verification links and `v4h verify` exchange. */
export interface ManifestBundle {
  kind: 'v4h-manifest-bundle';
  v: 1;
  sessionId: string;
  /** The conference's `hash` as getConference reports it (the latest sealed manifest). */
  hash: string | null;
  manifests: BundleEntry[];
  /** Events logged but not sealed yet (they will be part of the next manifest). */
  unsealedEvents: number;
}
