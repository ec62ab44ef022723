// Verifies a manifest bundle end to end (hashes, chain, Merkle path, ledger) with WebCrypto only.
import { isHash } from './bytes.js';
import type { ManifestBundle } from './format.js';
import { verifyManifest } from './verify-manifest.js';
import { verifyAnchor, type AnchorOptions } from './verify-anchor.js';
import { CheckFailed, Recorder, type Check, type VerificationReport } from './report.js';

export type { Check, CheckName, VerificationReport } from './report.js';
export type * from './format.js';
export type { AnchorOptions } from './verify-anchor.js';
export type { FetchLike } from './evm-rpc.js';
export { canonicalize } from './jcs.js';
export { EVENT_FORMAT_VERSION, GENESIS_HASH, EVM_ANCHOR_TAG } from './format.js';
export { rootFromInclusionProof, leafHash, nodeHash } from './merkle.js';
export { computeEventHash } from './verify-manifest.js';
export { sha256, jcsHash } from './digest.js';
export { toHex, fromHex, fromBase64 } from './bytes.js';
export { computeCommitment, verifyCommitment } from './commitment.js';

export interface VerifyOptions extends AnchorOptions {
  /** Called as each check completes (the CLI prints them). */
  onCheck?: (check: Check) => void;
}

/**
 * Recomputes every event hash, the event chain, each manifest hash and link, each Merkle path,
 * and the ledger entry signature or transaction. Stops at the first failed check. Without a ledger key (local) or
 * a JSON-RPC URL (EVM) the ledger check is skipped, not failed: the report is then neither ok nor failed.
 */
export async function verifyBundle(bundle: ManifestBundle, options: VerifyOptions = {}): Promise<VerificationReport> {
  const rec = new Recorder(options.onCheck);
  try {
    const shapeOk =
      !!bundle &&
      bundle.kind === 'v4h-manifest-bundle' &&
      bundle.v === 1 &&
      typeof bundle.sessionId === 'string' &&
      Array.isArray(bundle.manifests) &&
      bundle.manifests.length > 0;
    rec.expect(
      shapeOk,
      'bundle-format',
      'bundle',
      `session ${bundle?.sessionId}, ${bundle?.manifests?.length} manifest(s)`,
      Array.isArray(bundle?.manifests) && bundle.manifests.length === 0 ? 'no sealed manifest yet' : 'not a v4h-manifest-bundle v1',
    );
    const hashes: string[] = [];
    for (let i = 0; i < bundle.manifests.length; i++) {
      hashes.push(await verifyManifest(rec, bundle.sessionId, i, bundle.manifests[i], i > 0 ? bundle.manifests[i - 1] : null));
    }
    const latest = hashes[hashes.length - 1];
    if (bundle.hash !== null && bundle.hash !== undefined) {
      rec.expect(
        isHash(bundle.hash) && bundle.hash === latest,
        'conference-hash',
        'bundle',
        `conference hash is manifest ${hashes.length - 1}'s`,
        `conference hash ${String(bundle.hash).slice(0, 12)}… is not the latest manifest's ${latest.slice(0, 12)}…`,
      );
    }
    for (let i = 0; i < bundle.manifests.length; i++) {
      await verifyAnchor(rec, i, bundle.manifests[i], hashes[i], options);
    }
    return { ok: rec.skipped.length === 0, checks: rec.checks, failure: null, skipped: rec.skipped };
  } catch (error) {
    if (error instanceof CheckFailed) return { ok: false, checks: rec.checks, failure: error.check, skipped: rec.skipped };
    const check: Check = { name: 'bundle-format', subject: 'bundle', ok: false, detail: `malformed: ${(error as Error).message}` };
    rec.checks.push(check);
    options.onCheck?.(check);
    return { ok: false, checks: rec.checks, failure: check, skipped: rec.skipped };
  }
}
