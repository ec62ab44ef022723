// The conference's record and its verification: V4H methods whose code is loaded on first use (features/index.ts).
import { checkSessionId } from '../checks.js';
import { fetchManifest, verifyManifestBundle, type ManifestBundle, type VerificationReport, type VerifyConferenceOptions } from '../records.js';
import type { FeatureContext } from './context.js';

/**
 * Owner: the conference's tamper-evident record — its sealed manifests with their Merkle proofs and
 * anchoring status (see docs/manifest.md).
 * @example
 * const record = await v4h.getManifest(id);
 * console.log(record.manifests.map((m) => m.anchor.status));
 */
export async function getManifest(ctx: FeatureContext, sessionId: string): Promise<ManifestBundle> {
  checkSessionId(sessionId);
  return fetchManifest(ctx.http, sessionId);
}

/**
 * Owner: fetches the record and re-checks every hash, the event chain, the Merkle path and the ledger
 * entry's signature (or, with `rpcUrl`, the EVM transaction) — the checks of `node packages/server/bin/v4h.js verify`.
 * @example
 * const report = await v4h.verifyConference(id);
 * if (!report.ok) console.warn(`${report.failure.name}: ${report.failure.detail}`);
 */
export async function verifyConference(ctx: FeatureContext, sessionId: string, options: VerifyConferenceOptions = {}): Promise<VerificationReport> {
  checkSessionId(sessionId);
  return verifyManifestBundle(ctx.http, ctx.fetch, await fetchManifest(ctx.http, sessionId), options);
}
