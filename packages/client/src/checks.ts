// Argument checks, run before any request so that caller mistakes fail fast as invalid_argument.
import { invalidArgument } from './errors.js';

export function checkString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(`${name} must be a non-empty string`);
}

export function checkName(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgument(`${name} must be a string`);
}

export function checkSessionId(value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidArgument('sessionId is required');
}

export function checkUrl(value: unknown, name: string): asserts value is string {
  let ok = false;
  try {
    ok = typeof value === 'string' && /^https?:$/.test(new URL(value).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw invalidArgument(`${name} must be an http(s) URL`);
}

export function checkParentNode(value: unknown): asserts value is Element {
  // nodeType 1 also accepts Elements from another frame, which instanceof would refuse.
  const isElement = typeof value === 'object' && value !== null && (value as Node).nodeType === 1 && typeof (value as Element).appendChild === 'function';
  if (!isElement) throw invalidArgument('parentNode must be a DOM Element');
}

// The lengths Jitsi's IFrame API accepts; other strings it silently ignores.
const CSS_LENGTH = /^(\d+\.?\d*|\.\d+)(px|em|rem|pt|%|[dls]?v[hw])$/;

/** A number (px, > 0), a digits-only string (px) or a CSS length; undefined/null → fallback. */
export function checkSize(value: unknown, name: string, fallback: number): number | string {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed) && Number(trimmed) > 0) return Number(trimmed);
    if (CSS_LENGTH.test(trimmed) && parseFloat(trimmed) > 0) return trimmed;
  }
  throw invalidArgument(`${name} must be a positive number of pixels or a CSS length such as '100%', got ${JSON.stringify(value)}`);
}

/** Expiry (ms) of an access token: from the server's answer, else the JWT's exp, else 5 minutes. */
export function expiryOf(accessToken: string, expiresAt: unknown): number {
  if (typeof expiresAt === 'number') return expiresAt < 1e12 ? expiresAt * 1000 : expiresAt;
  if (typeof expiresAt === 'string' && !Number.isNaN(Date.parse(expiresAt))) return Date.parse(expiresAt);
  try {
    const payload = accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(payload)).exp;
    if (typeof exp === 'number') return exp * 1000;
  } catch {
    // Not a JWT we can read: fall through.
  }
  return Date.now() + 300_000;
}
