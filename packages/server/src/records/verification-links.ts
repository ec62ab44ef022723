// Read-only verification links: `<sessionId>.<expiry>.<MAC>`, short enough for a URL path segment (< 100 chars).
import { createHmac } from 'node:crypto';
import { safeEqual } from '../lib/ids.js';

export interface VerificationLinkSigner {
  sign(sessionId: string, nowMs: number, ttlSeconds: number): { token: string; expiresAt: number };
  /** The session id the token opens, or null when it is invalid or expired. */
  verify(token: string, nowMs: number): string | null;
}

export function createVerificationLinkSigner(opts: { tokenSecret: string }): VerificationLinkSigner {
  // A key of its own (derived), so that no other token of the server can pass as a link.
  const key = createHmac('sha256', opts.tokenSecret).update('v4h verification links').digest();
  // 128-bit MAC over the session id and expiry (seconds, base 36).
  const mac = (sessionId: string, exp: string) => createHmac('sha256', key).update(`${sessionId}\n${exp}`).digest().subarray(0, 16).toString('base64url');
  return {
    sign(sessionId, nowMs, ttlSeconds) {
      const expSeconds = Math.floor(nowMs / 1000) + ttlSeconds;
      const exp = expSeconds.toString(36);
      return { token: `${sessionId}.${exp}.${mac(sessionId, exp)}`, expiresAt: expSeconds * 1000 };
    },
    verify(token, nowMs) {
      const match = /^([A-Za-z0-9_-]{1,64})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/.exec(token);
      if (!match) return null;
      const [, sessionId, exp, tag] = match;
      if (!safeEqual(tag, mac(sessionId, exp))) return null;
      return parseInt(exp, 36) * 1000 > nowMs ? sessionId : null;
    },
  };
}
