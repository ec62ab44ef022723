// Pure parsers of request headers: Range against a size, and RFC 9530 digests.
import { describe, expect, it } from 'vitest';
import { parseRange } from './ranges.js';
import { declaredSha256, formatSha256 } from './digests.js';
import { AppError } from '../errors.js';

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=90-1000', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-1000', 100, { start: 0, end: 99 }],
    [' bytes=5-5 ', 100, { start: 5, end: 5 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=9-1', 100, undefined],
    ['bytes=0-1,3-4', 100, undefined],
    ['bytes=-', 100, undefined],
    ['items=0-1', 100, undefined],
    [undefined, 100, undefined],
  ] as const)('%s of %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('declaredSha256', () => {
  const hex = 'a'.repeat(64);
  const field = formatSha256(hex);

  it('reads sha-256 among other algorithms, from either field', () => {
    expect(declaredSha256([`sha-512=:AAAA:, ${field}`, undefined])?.toString('hex')).toBe(hex);
    expect(declaredSha256([undefined, field])?.toString('hex')).toBe(hex);
    expect(declaredSha256([field, field])?.toString('hex')).toBe(hex);
    expect(declaredSha256([undefined, undefined])).toBeUndefined();
    expect(declaredSha256(['sha-512=:AAAA:'])).toBeUndefined();
  });

  it.each([['sha-256=abc'], ['sha-256=:AAAA:'], ['sha-256'], ['garbage;;']])('refuses %s as bad_request', (value) => {
    expect(() => declaredSha256([value])).toThrow(AppError);
  });

  it('refuses two fields that disagree', () => {
    expect(() => declaredSha256([field, formatSha256('b'.repeat(64))])).toThrow(/disagree/);
  });
});
