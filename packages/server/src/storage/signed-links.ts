// Time-limited download links for the disk engine: HMAC-SHA256 over the file id and expiry, checked in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../lib/keys.js';

export interface LinkSigner {
  /** Signature (base64url) for a file id valid until `expires` (Unix seconds). */
  sign(fileId: string, expires: number): string;
  /** True when the signature is ours and `nowMs` is not past the expiry. */
  verify(fileId: string, expires: number, signature: string, nowMs: number): boolean;
}

/** A key of its own, derived from the token secret, so a link signature can never double as anything else. */
export function createLinkSigner(tokenSecret: string): LinkSigner {
  const key = deriveKey(tokenSecret, 'v4h storage download links v1');
  const mac = (fileId: string, expires: number) => createHmac('sha256', key).update(`${fileId}\n${expires}`).digest();
  return {
    sign: (fileId, expires) => mac(fileId, expires).toString('base64url'),
    verify(fileId, expires, signature, nowMs) {
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(fileId, expires);
      const valid = given.length === expected.length && timingSafeEqual(given, expected);
      return valid && nowMs <= expires * 1000;
    },
  };
}
