// Unguessable identifiers and hashes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 128-bit random, URL-safe (22 characters). */
export const newSessionId = () => randomBytes(16).toString('base64url');

/** A Jitsi room name: lowercase `[a-z0-9-]` only (Jitsi lowercases room names), 130 random bits. */
export function newRoomName(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(26);
  let out = 'v4h-';
  for (const b of bytes) out += alphabet[b & 31];
  return out;
}

export const newId = () => randomBytes(16).toString('base64url');

/** A 256-bit opaque secret (refresh tokens). */
export const newSecretToken = () => randomBytes(32).toString('base64url');

export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Constant-time string equality (length is not secret). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
