// Unguessable identifiers and hashes.
import { hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

/** Lowercase base32 in ASCII order (digits before letters): encoded numbers sort like the numbers, bytewise and in PostgreSQL's collations. */
const BASE32 = '0123456789abcdefghijklmnopqrstuv';

// Random bytes drawn from a pool filled 4 KiB at a time: one randomFillSync per id costs more than the rest of the id.
// Each byte is handed out once (the offset only moves forward until the next fill overwrites the pool).
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** `n` fresh bytes from the CSPRNG; read them before the next call. */
function randomChunk(n: number): Buffer {
  if (poolOffset + n > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const chunk = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return chunk;
}

/** `n` random base32 characters (5 bits each). */
function randomBase32(n: number): string {
  const bytes = randomChunk(n);
  let out = '';
  for (const b of bytes) out += BASE32[b & 31];
  return out;
}

/**
 * The creation time in milliseconds as 9 base32 characters (until the year 3084). Ids that start with it are
 * inserted at the end of their indexes: a batch of new conferences dirties a few B-tree pages instead of one per
 * row and index. The creation time is no secret (the owner sees it, guests' tokens carry their issue time).
 */
function timePrefix(): string {
  const now = Date.now();
  if (now === lastPrefix.ms) return lastPrefix.text;
  let ms = now;
  let text = '';
  for (let i = 0; i < 9; i++) {
    text = BASE32[ms % 32] + text;
    ms = Math.floor(ms / 32);
  }
  lastPrefix = { ms: now, text };
  return text;
}
let lastPrefix = { ms: -1, text: '' };

/** A conference's session id: the creation time (9 characters) then 128 random bits (22), URL-safe. */
export const newSessionId = () => timePrefix() + randomChunk(16).toString('base64url');

/** A Jitsi room name: lowercase `[a-z0-9-]` only (Jitsi lowercases room names): the creation time, then 130 random bits. */
export const newRoomName = () => `v4h-${timePrefix()}${randomBase32(26)}`;

/** A row id that sorts by creation time (9 characters) then 96 random bits (16): appended rows land at the end of the index. */
export const newOrderedId = () => timePrefix() + randomChunk(12).toString('base64url');

/** 128-bit random, URL-safe (22 characters). */
export const newId = () => randomChunk(16).toString('base64url');

/** A 256-bit opaque secret (refresh tokens). */
export const newSecretToken = () => randomBytes(32).toString('base64url');

// crypto.hash: one call, about half the cost of createHash().update().digest() on short inputs (Node ≥ 20.12).
export const sha256Hex = (data: string | Buffer) => hash('sha256', data, 'hex');

/** Constant-time string equality (length is not secret). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
