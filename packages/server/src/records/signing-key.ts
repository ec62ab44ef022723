// The server's Ed25519 ledger key: generated once, kept in the data dir (0600) as PKCS#8 PEM.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { loadOrCreateSecret } from '../secrets.js';

export interface LedgerSigningKey {
  /** Raw 32-byte public key, base64url. */
  publicKey: string;
  sign(message: string): string;
  /** Whether `signature` (base64url) is this key's signature of `message`. */
  verify(message: string, signature: string): boolean;
}

export function loadLedgerSigningKey(dataDir: string): LedgerSigningKey {
  const pem = loadOrCreateSecret(dataDir, 'ledger-ed25519.pem', () =>
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  return signingKeyFromPem(pem);
}

export function signingKeyFromPem(pem: string): LedgerSigningKey {
  const privateKey: KeyObject = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string };
  return {
    publicKey: jwk.x,
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64url'),
    verify: (message, signature) => verify(null, Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64url')),
  };
}
