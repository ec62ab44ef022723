// Conference records in the SDK: the owner's manifest bundle and its verification (the same checks as `v4h verify`).
import type { HttpClient, FetchLike } from './http.js';
import { invalidArgument } from './errors.js';
import type { Check, ManifestBundle, VerificationReport } from '@v4h/protocol/verify';

/** The verifier module (@v4h/protocol/verify): dist/verify.js, served by the V4H server as /v4h-verify.js. */
export type VerifierModule = typeof import('./verify.js');

/**
 * Loads the verifier on first use, so that the one-file SDK (v4h.js) stays small: in a browser from the
 * V4H server (/v4h-verify.js), in Node from this package (`@v4h/client/verify`).
 */
export function loadVerifier(http: HttpClient): Promise<VerifierModule> {
  const specifier = typeof window === 'undefined' ? '@v4h/client/verify' : http.url('/v4h-verify.js');
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<VerifierModule>;
}

export type { Check, CheckName, ManifestBundle, VerificationReport } from '@v4h/protocol/verify';

/** Options of `verifyConference`. */
export interface VerifyConferenceOptions {
  /**
   * The local ledger's Ed25519 public key (hex, base64url or 32 bytes). Default: the key the server
   * publishes at /.well-known/v4h-ledger.json — pass your own trusted copy for a check that does not
   * rely on the server.
   */
  ledgerKey?: string | Uint8Array;
  /** EVM JSON-RPC URL: needed to check an EVM anchor. */
  rpcUrl?: string;
  /** The expected EVM anchor address. Default: the one the server publishes. */
  anchorAddress?: string;
  /** Called as each check completes. */
  onCheck?: (check: Check) => void;
}

interface LedgerDescription {
  type: string;
  publicKey?: string;
  address?: string;
}

/** GET /api/conferences/:sessionId/manifest (owner). */
export function fetchManifest(http: HttpClient, sessionId: string): Promise<ManifestBundle> {
  return http.request<ManifestBundle>('GET', `/api/conferences/${encodeURIComponent(sessionId)}/manifest`);
}

function decodeKey(v: VerifierModule, key: string | Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) return key;
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(key)) return v.fromHex(key);
  if (/^[A-Za-z0-9_-]{43}=?$/.test(key)) return v.fromBase64(key);
  throw invalidArgument('ledgerKey: expected 32 bytes as hex or base64url');
}

/** Verifies a bundle, filling in the server's published ledger key and anchor address when not given. */
export async function verifyManifestBundle(
  http: HttpClient,
  fetchFn: FetchLike,
  bundle: ManifestBundle,
  options: VerifyConferenceOptions = {},
  verifier?: VerifierModule,
): Promise<VerificationReport> {
  const v = verifier ?? (await loadVerifier(http));
  let ledgerKey = options.ledgerKey === undefined ? undefined : decodeKey(v, options.ledgerKey);
  let anchorAddress = options.anchorAddress;
  if (!ledgerKey || !anchorAddress) {
    const published = await http.request<LedgerDescription>('GET', '/.well-known/v4h-ledger.json', { auth: false });
    if (!ledgerKey && published.publicKey) ledgerKey = v.fromBase64(published.publicKey);
    anchorAddress ??= published.address;
  }
  return v.verifyBundle(bundle, {
    ledgerKey,
    rpcUrl: options.rpcUrl,
    anchorAddress,
    fetch: (url, init) => fetchFn(url, init),
    onCheck: options.onCheck,
  });
}
