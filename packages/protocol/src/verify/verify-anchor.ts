// Checks that tie a manifest hash to a ledger: the Merkle path, then the local ledger entry or the EVM transaction.
import { fromBase64, fromHex, isHash, utf8 } from './bytes.js';
import { canonicalize } from './jcs.js';
import { ed25519Verify, jcsHash } from './digest.js';
import { rootFromInclusionProof } from './merkle.js';
import { EVM_ANCHOR_TAG, type BundleEntry, type EvmAnchor, type LocalAnchor } from './format.js';
import { rpcCall, type FetchLike, type RpcReceipt, type RpcTransaction } from './evm-rpc.js';
import type { Recorder } from './report.js';

export interface AnchorOptions {
  /** Raw 32-byte Ed25519 public key of the local ledger (required to check a local anchor). */
  ledgerKey?: Uint8Array;
  /** JSON-RPC URL of the EVM chain (required to check an EVM anchor). */
  rpcUrl?: string;
  /** The operator's published anchor address; when given, the transaction must come from it. */
  anchorAddress?: string;
  fetch?: FetchLike;
}

/** Verifies the inclusion proof and the anchor of one manifest whose hash was recomputed as `manifestHash`. */
export async function verifyAnchor(rec: Recorder, index: number, entry: BundleEntry, manifestHash: string, options: AnchorOptions): Promise<void> {
  const subject = `manifest ${index}`;
  const anchor = entry.anchor;
  if (!anchor || anchor.status !== 'anchored') {
    rec.fail('anchor-status', subject, anchor?.status === 'pending' ? `not anchored yet (${anchor.stage} since ${anchor.since})` : 'no anchor');
  }
  const proof = entry.proof;
  if (!proof || !Array.isArray(proof.path) || !isHash(proof.root) || !proof.path.every(isHash))
    rec.fail('merkle-proof', subject, 'missing or malformed inclusion proof');
  const root = await rootFromInclusionProof(fromHex(manifestHash), proof.leafIndex, proof.treeSize, proof.path);
  rec.expect(
    root !== null && root === proof.root,
    'merkle-proof',
    subject,
    `leaf ${proof.leafIndex} of ${proof.treeSize}, ${proof.path.length} steps → root ${proof.root}`,
    root === null
      ? `path of ${proof.path.length} steps does not fit leaf ${proof.leafIndex} of ${proof.treeSize}`
      : `path leads to ${root.slice(0, 12)}…, not the stated root ${proof.root.slice(0, 12)}…`,
  );

  if (anchor.ledger === 'v4h-local') await verifyLocal(rec, subject, anchor, proof.root, proof.treeSize, options);
  else if (/^evm:\d+$/.test(anchor.ledger)) await verifyEvm(rec, subject, anchor, proof.root, options);
  else rec.fail('anchor-status', subject, `unknown ledger type ${String((anchor as { ledger?: unknown }).ledger)}`);
}

async function verifyLocal(rec: Recorder, subject: string, anchor: LocalAnchor, root: string, treeSize: number, options: AnchorOptions) {
  const e = anchor.entry;
  const entryOk = !!e && e.v === 1 && e.kind === 'v4h-ledger-entry' && e.root === root && e.size === treeSize && isHash(e.prev);
  const entryHash = entryOk ? await jcsHash(e) : '';
  rec.expect(
    entryOk && entryHash === anchor.entryHash,
    'ledger-entry',
    subject,
    `ledger entry ${e?.seq} (${anchor.entryHash}) records the root`,
    !entryOk
      ? `ledger entry ${e?.seq} does not record root ${root.slice(0, 12)}… of a ${treeSize}-leaf tree`
      : `entry hash ${entryHash.slice(0, 12)}… ≠ stated ${String(anchor.entryHash).slice(0, 12)}…`,
  );
  if (!options.ledgerKey) return rec.skip('ledger-signature', subject, `not checked: no ledger key (entry ${e.seq}'s signature needs the ledger's public key)`);
  let valid: boolean;
  try {
    valid = await ed25519Verify(options.ledgerKey, fromBase64(anchor.signature), utf8(canonicalize(e)));
  } catch {
    valid = false;
  }
  rec.expect(
    valid,
    'ledger-signature',
    subject,
    `Ed25519 signature of entry ${e.seq} valid`,
    `Ed25519 signature of entry ${e.seq} does not verify with the given key`,
  );
}

async function verifyEvm(rec: Recorder, subject: string, anchor: EvmAnchor, root: string, options: AnchorOptions) {
  if (!options.rpcUrl)
    return rec.skip('ledger-transaction', subject, `not checked: no JSON-RPC URL of chain ${anchor.chainId} to look up transaction ${anchor.txHash}`);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const url = options.rpcUrl;
  let tx: RpcTransaction | null;
  let receipt: RpcReceipt | null;
  let chainId: string;
  try {
    chainId = await rpcCall<string>(fetchFn, url, 'eth_chainId', []);
    tx = await rpcCall<RpcTransaction | null>(fetchFn, url, 'eth_getTransactionByHash', [anchor.txHash]);
    receipt = await rpcCall<RpcReceipt | null>(fetchFn, url, 'eth_getTransactionReceipt', [anchor.txHash]);
  } catch (error) {
    rec.fail('ledger-transaction', subject, `cannot query ${url}: ${(error as Error).message}`);
  }
  const expectedData = `${EVM_ANCHOR_TAG}${root}`.toLowerCase();
  const address = (options.anchorAddress ?? anchor.address ?? '').toLowerCase();
  const problem =
    Number(chainId) !== anchor.chainId
      ? `the node is chain ${Number(chainId)}, the anchor says ${anchor.chainId}`
      : !tx
        ? `transaction ${anchor.txHash} not found`
        : !receipt || receipt.status !== '0x1'
          ? `transaction ${anchor.txHash} not mined successfully`
          : tx.input.toLowerCase() !== expectedData
            ? `transaction data ${tx.input.slice(0, 20)}… does not carry root ${root.slice(0, 12)}…`
            : tx.from.toLowerCase() !== address || (tx.to ?? '').toLowerCase() !== address
              ? `transaction is from ${tx.from} to ${tx.to}, not the anchor address ${address}`
              : Number(receipt.blockNumber) !== anchor.blockNumber
                ? `mined in block ${Number(receipt.blockNumber)}, the anchor says ${anchor.blockNumber}`
                : null;
  if (problem) rec.fail('ledger-transaction', subject, problem);
  rec.pass('ledger-transaction', subject, `tx ${anchor.txHash} in block ${anchor.blockNumber} of chain ${anchor.chainId} carries the root`);
}
