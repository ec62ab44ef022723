// Commitments to personal data in events (docs/manifest.md §1.1): HMAC-SHA256 under the subject's key, via WebCrypto.
import { canonicalize } from './jcs.js';
import { fromHex, toHex, utf8 } from './bytes.js';

/** The bytes a commitment authenticates: the JCS text of `[attribute, value]` (so no two pairs share bytes). */
export const commitmentMessage = (attribute: string, value: string): Uint8Array => utf8(canonicalize([attribute, value]));

/** Lowercase hex HMAC-SHA256 of `[attribute, value]` under the subject's 32-byte key (hex). */
export async function computeCommitment(keyHex: string, attribute: string, value: string): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto is unavailable (a secure context or Node ≥ 20 is required)');
  const key = await subtle.importKey('raw', fromHex(keyHex) as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toHex(new Uint8Array(await subtle.sign('HMAC', key, commitmentMessage(attribute, value) as BufferSource)));
}

/**
 * True when `commitment` (as found in an event's `data.commitments`) commits to `value` for `attribute` under the
 * subject's key: proof that this value was shown, for whoever holds the value and the key.
 * @example await verifyCommitment({ key, attribute: 'name', value: 'Maria Silva', commitment: event.data.commitments.name })
 */
export async function verifyCommitment(c: { key: string; attribute: string; value: string; commitment: string }): Promise<boolean> {
  const expected = await computeCommitment(c.key, c.attribute, c.value);
  // Both are public once the key is disclosed: a plain comparison leaks nothing worth protecting.
  return expected === c.commitment.toLowerCase();
}
