// The shape of an API key (`v4hk_<id>_<secret>`): making one, telling one from an access token, and its stored hash.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every API key starts so: the server tells a key from an access token (a JWT, `eyJ…`) by it, and so can a secret scanner. */
export const API_KEY_PREFIX = 'v4hk_';
const ID_PATTERN = /^[0-9a-f]{16}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A fresh key: a public id (16 hex digits, listed and logged) and 256 random bits of secret. */
export function newApiKey(): { id: string; key: string; secretHash: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `${API_KEY_PREFIX}${id}_${secret}`, secretHash: hashApiKeySecret(secret) };
}

/** True when a bearer token is meant as an API key (well formed or not). */
export const looksLikeApiKey = (token: string) => token.startsWith(API_KEY_PREFIX);

/** The id and secret of a well-formed key, or undefined. */
export function parseApiKey(token: string): { id: string; secret: string } | undefined {
  if (!looksLikeApiKey(token)) return undefined;
  const id = token.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + 16);
  const secret = token.slice(API_KEY_PREFIX.length + 17);
  if (token.charAt(API_KEY_PREFIX.length + 16) !== '_' || !ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return undefined;
  return { id, secret };
}

/**
 * What the database keeps of a secret: SHA-256, hex. The secret is 256 random bits, so no guess can find it from the
 * hash and a slow hash (argon2id, as for passwords) would only cost CPU on every request; no server-side key (HMAC
 * pepper) either, so that rotating V4H_TOKEN_SECRET does not break every integration's key.
 */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(`v4h api key\0${secret}`).digest('hex');
}

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export function apiKeySecretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKeySecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
