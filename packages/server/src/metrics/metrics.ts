// The metrics interface services and hooks report to: no prom-client here, and a no-op when metrics are off.
import type { Backend } from '../lib/error-backends.js';

/** How a login attempt ended. */
export type LoginOutcome = 'success' | 'failure' | 'rate_limited' | 'error';
/** How an upload ended: stored, refused (4xx: the client's fault) or failed (5xx: ours or a back end's). */
export type UploadOutcome = 'stored' | 'rejected' | 'failed';
/**
 * What the server counts. Every method is cheap and synchronous (a counter increment); none takes personal data
 * or an unbounded value (no session ids, user names or URLs).
 */
export interface Metrics {
  /** One HTTP request answered: `route` is the matched route pattern (never the raw URL), or 'unmatched'. */
  httpRequest(route: string | undefined, method: string, status: number, seconds: number): void;
  login(outcome: LoginOutcome): void;
  upload(outcome: UploadOutcome, bytes: number, seconds: number): void;
  manifestsSealed(count: number): void;
  /** A batch of `size` manifests anchored at `anchoredAt` (ms); the lag from the conferences' end is looked up. */
  batchAnchored(batchId: string, size: number, anchoredAt: number): void;
  ledgerError(): void;
  backendError(backend: Backend): void;
  /** A signaling WebSocket of the built-in room opened (+1) or closed (-1). */
  signalingSocket(delta: 1 | -1): void;
}

/** Metrics off: every call does nothing. */
export const noMetrics: Metrics = {
  httpRequest() {},
  login() {},
  upload() {},
  manifestsSealed() {},
  batchAnchored() {},
  ledgerError() {},
  backendError() {},
  signalingSocket() {},
};
