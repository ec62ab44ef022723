// Keys derived from the server's secrets (the token secret, the room app's secret): one key per purpose, so that what
// is signed for one use can never pass for another, and none of them is the secret itself.
import { createHmac, hkdfSync } from 'node:crypto';

// Fixed: changing it changes every derived key (and with it every link already handed out).
const SALT = 'v4h';

/**
 * A 32-byte key for one purpose: HKDF-SHA256 over `secret`, salt "v4h", info `purpose`. Name the purpose with a
 * version ("v4h storage download links v1"): a new label is a new key, and what was signed under the old one stops
 * verifying.
 */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, purpose, 32));
}

/**
 * The derivation used before deriveKey: HMAC-SHA256(secret, label). Kept only where values made with it must still
 * be recognised: hashes already stored (audit addresses, compared with new ones by whoever reads the audit) and, until
 * they expire, links and keys handed out before (verification links, room resume keys, presence tokens).
 */
export function legacyLabelKey(secret: string, label: string): Buffer {
  return createHmac('sha256', secret).update(label).digest();
}
