// HTTP Range (RFC 9110 §14) for downloads: one byte range, or the whole file when the header is absent or unusable.
import type { ByteRange } from './backend.js';

/**
 * Parses `Range: bytes=…` against a file size. Returns the range to serve, undefined to serve the whole
 * file (no header, another unit, several ranges, bad syntax: all may be ignored per RFC 9110), or
 * 'unsatisfiable' (answer 416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1], match[2]];
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}
