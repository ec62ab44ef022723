// `Authorization: Bearer <token>` (RFC 6750 §2.1): the one reading of that header, for access tokens and the shared
// secrets (recorder, metrics, Prosody event_sync) alike.
import { createHash, timingSafeEqual } from 'node:crypto';

// token68 (RFC 7235 §2.1): ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then any "=" padding. Sticky (`y`):
// it is tried where the token starts, in the header itself, with no copy of the token made first.
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;
const PREFIX = 'bearer ';

/**
 * The token of a `Bearer` credential, or undefined when the header is absent or is not one: the scheme in any case,
 * exactly one space, then a token68 (surrounding spaces and tabs are the field's, not the credential's). Every
 * authenticated request runs it, on a token of several hundred characters: the pattern, compiled to machine code by
 * V8, reads them faster than a loop over the characters in JavaScript.
 */
export function parseBearer(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  let start = 0;
  let end = header.length;
  while (start < end && isSpace(header.charCodeAt(start))) start++;
  while (end > start && isSpace(header.charCodeAt(end - 1))) end--;
  if (end - start <= PREFIX.length) return undefined;
  if (!header.startsWith('Bearer ', start) && header.slice(start, start + PREFIX.length).toLowerCase() !== PREFIX) return undefined;
  const tokenStart = start + PREFIX.length;
  TOKEN68.lastIndex = tokenStart;
  return TOKEN68.test(header) && TOKEN68.lastIndex === end ? header.slice(tokenStart, end) : undefined;
}

/** True when `secret` may be sent as a bearer token at all (config.ts refuses shared secrets that may not). */
export function isToken68(secret: string): boolean {
  return parseBearer(`Bearer ${secret}`) === secret;
}

/**
 * A check of the `Authorization` header against a shared secret: its bearer token compared in constant time (as
 * SHA-256 digests, so that a length difference tells nothing either).
 */
export function bearerSecretCheck(secret: string): (header: string | undefined) => boolean {
  const expected = sha256(secret);
  return (header) => {
    const presented = parseBearer(header);
    return presented !== undefined && timingSafeEqual(sha256(presented), expected);
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();
const isSpace = (code: number) => code === 0x20 || code === 0x09;
