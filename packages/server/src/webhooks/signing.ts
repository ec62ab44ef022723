// Webhook signing secrets: made here, shown once, kept wrapped under the master key (the key that already encrypts
// every stored file's data key, storage/encryption.ts), and the V4H-Signature header they sign deliveries with.
import { createHmac, randomBytes } from 'node:crypto';
import { SCHEME, type MasterKeyring } from '../storage/encryption.js';

const PREFIX = 'whsec_';

/** A new secret: `whsec_` and 32 random bytes (base64url). The whole string is the HMAC key. */
export function newWebhookSecret(): { text: string; bytes: Buffer } {
  const bytes = randomBytes(32);
  return { text: PREFIX + bytes.toString('base64url'), bytes };
}

/**
 * The secret as stored: AES-256-GCM under the current master key, bound to its endpoint (a wrapped secret moved to
 * another row does not open). A hash would not do: the server must sign with it.
 */
export function wrapSecret(keyring: MasterKeyring, webhookId: string, secret: Buffer): { keyId: string; wrapped: string } {
  const sealed = keyring.wrap(secret, bindingOf(webhookId));
  return { keyId: sealed.keyId, wrapped: sealed.dataKey };
}

/** The secret's text from its stored form (throws a MasterKeyError when the master key that wrapped it is missing). */
export function unwrapSecret(keyring: MasterKeyring, webhookId: string, stored: { keyId: string; wrapped: string }): string {
  return PREFIX + keyring.unwrap({ keyId: stored.keyId, dataKey: stored.wrapped }, bindingOf(webhookId)).toString('base64url');
}

/** The stored secret under the current master key (`v4h rotate-master-key`); the secret itself does not change. */
export function rewrapSecret(keyring: MasterKeyring, webhookId: string, stored: { keyId: string; wrapped: string }): { keyId: string; wrapped: string } {
  if (stored.keyId === keyring.currentId) return stored;
  const sealed = keyring.rewrap({ scheme: SCHEME, keyId: stored.keyId, dataKey: stored.wrapped }, bindingOf(webhookId));
  return { keyId: sealed.keyId, wrapped: sealed.dataKey };
}

// What the wrapping's authenticated data names: never a storage key (those are object paths without a colon).
const bindingOf = (webhookId: string) => `webhook-secret:${webhookId}`;

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, one v1 per secret: during a rotation the new secret's
 * first, then the old one's (Stripe's scheme: a receiver accepts the request when any v1 matches).
 */
export function signatureHeader(secrets: string[], body: string, unixSeconds: number): string {
  const signed = `${unixSeconds}.${body}`;
  return [`t=${unixSeconds}`, ...secrets.map((secret) => `v1=${createHmac('sha256', secret).update(signed).digest('hex')}`)].join(',');
}
