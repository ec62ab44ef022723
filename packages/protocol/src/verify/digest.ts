// SHA-256 and Ed25519 through WebCrypto (globalThis.crypto in browsers and Node ≥ 20).
import { canonicalize } from './jcs.js';
import { toHex, utf8 } from './bytes.js';

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto is unavailable (a secure context or Node ≥ 20 is required)');
  return s;
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', data as BufferSource));
}

/** Lowercase hex SHA-256 of a value's JCS bytes. */
export async function jcsHash(value: unknown): Promise<string> {
  return toHex(await sha256(utf8(canonicalize(value))));
}

/** Ed25519 signature check of `message` against a 32-byte raw public key. */
export async function ed25519Verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const key = await subtle().importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify']);
  return subtle().verify({ name: 'Ed25519' }, key, signature as BufferSource, message as BufferSource);
}
