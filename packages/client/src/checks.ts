// Argument checks, run before any request so that caller mistakes fail fast as invalid_argument.
import { invalidArgument } from './errors.js';
import type { JitsiEmbedOptions } from './jitsi.js';

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
  let ok: boolean;
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

/** An optional argument the caller gave: undefined, null and '' all mean "not given" (as the seed's users write them). */
export function given<T>(value: T | undefined | null | ''): value is T {
  return value !== undefined && value !== null && value !== '';
}

// jitsi-meet's parseSizeParam (external_api.js): a string must end in a CSS length; other strings it silently ignores.
const CSS_LENGTH = /([0-9]*\.?[0-9]+)(em|pt|px|((d|l|s)?v)(h|w)|%)$/;

/**
 * What Jitsi's IFrame API accepts as a size: a number (px) or a string ending in px, em, pt, %, vh, vw (and their
 * d/l/s variants); a digits-only string becomes a number (Jitsi would ignore it). Not given → fallback. The rest
 * (`rem`, `auto`, …), which Jitsi would silently ignore, is refused.
 */
export function checkSize(value: unknown, name: string, fallback: number): number | string {
  if (!given(value)) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    if (CSS_LENGTH.test(value)) return value;
  }
  throw invalidArgument(`${name} must be a number of pixels or a CSS length in px, em, pt, %, vh or vw (e.g. '100%'), got ${JSON.stringify(value)}`);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Jitsi options passed through to the IFrame API: plain objects and a language string, nothing else. */
export function checkEmbedOptions(value: unknown, name: string): JitsiEmbedOptions {
  if (!isPlainObject(value)) throw invalidArgument(`${name} must be an object`);
  const known = ['configOverwrite', 'interfaceConfigOverwrite', 'lang', 'devices'];
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length) throw invalidArgument(`${name} takes ${known.join(', ')}; unknown: ${unknown.join(', ')}`);
  for (const key of ['configOverwrite', 'interfaceConfigOverwrite', 'devices']) {
    if (given(value[key]) && !isPlainObject(value[key])) throw invalidArgument(`${name}.${key} must be an object`);
  }
  if (given(value.lang) && typeof value.lang !== 'string') throw invalidArgument(`${name}.lang must be a string such as 'pt-BR'`);
  const options: JitsiEmbedOptions = {};
  if (given(value.configOverwrite)) options.configOverwrite = value.configOverwrite as Record<string, unknown>;
  if (given(value.interfaceConfigOverwrite)) options.interfaceConfigOverwrite = value.interfaceConfigOverwrite as Record<string, unknown>;
  if (given(value.lang)) options.lang = value.lang;
  if (given(value.devices)) options.devices = value.devices as JitsiEmbedOptions['devices'];
  return options;
}

/** Expiry (ms) of an access token: from the server's answer, else the JWT's exp, else 5 minutes. */
export function expiryOf(accessToken: string, expiresAt: unknown): number {
  if (typeof expiresAt === 'number') return expiresAt < 1e12 ? expiresAt * 1000 : expiresAt;
  if (typeof expiresAt === 'string' && !Number.isNaN(Date.parse(expiresAt))) return Date.parse(expiresAt);
  try {
    const payload = accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = (JSON.parse(atob(payload)) as { exp?: unknown }).exp;
    if (typeof exp === 'number') return exp * 1000;
  } catch {
    // Not a JWT we can read: fall through.
  }
  return Date.now() + 300_000;
}
