// Read-only verification links: `<sessionId>.<expiry>.<MAC>`, short enough for a URL path segment (< 200 chars, an organisation-scoped session id included).
import { createHmac } from 'node:crypto';
import { safeEqual } from '../lib/ids.js';
import { deriveKey, legacyLabelKey } from '../lib/keys.js';

export interface VerificationLinkSigner {
  sign(sessionId: string, nowMs: number, ttlSeconds: number): { token: string; expiresAt: number };
  /** The session id the token opens, or null when it is invalid or expired. */
  verify(token: string, nowMs: number): string | null;
}

export function createVerificationLinkSigner(opts: { tokenSecret: string }): VerificationLinkSigner {
  // A key of its own (derived), so that no other token of the server can pass as a link.
  const key = deriveKey(opts.tokenSecret, 'v4h verification links v1');
  // Links signed before deriveKey (under the label key) stay valid until they expire: third parties hold them for up
  // to MAX_LINK_TTL (366 days, so until December 2027 at the latest); then this key can go.
  const legacyKey = legacyLabelKey(opts.tokenSecret, 'v4h verification links');
  // 128-bit MAC over the session id and expiry (seconds, base 36).
  const macWith = (k: Buffer, sessionId: string, exp: string) =>
    createHmac('sha256', k).update(`${sessionId}\n${exp}`).digest().subarray(0, 16).toString('base64url');
  const mac = (sessionId: string, exp: string) => macWith(key, sessionId, exp);
  return {
    sign(sessionId, nowMs, ttlSeconds) {
      const expSeconds = Math.floor(nowMs / 1000) + ttlSeconds;
      const exp = expSeconds.toString(36);
      return { token: `${sessionId}.${exp}.${mac(sessionId, exp)}`, expiresAt: expSeconds * 1000 };
    },
    verify(token, nowMs) {
      const match = /^([A-Za-z0-9_-]{1,64}(?:~[A-Za-z0-9_-]{1,64})?)\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/.exec(token);
      if (!match) return null;
      const [, sessionId, exp, tag] = match;
      if (!safeEqual(tag, mac(sessionId, exp)) && !safeEqual(tag, macWith(legacyKey, sessionId, exp))) return null;
      return parseInt(exp, 36) * 1000 > nowMs ? sessionId : null;
    },
  };
}
