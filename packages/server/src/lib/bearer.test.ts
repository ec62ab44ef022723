// The one Authorization: Bearer reader (RFC 6750 §2.1) and the shared-secret check built on it.
import { describe, expect, it } from 'vitest';
import { bearerSecretCheck, isToken68, parseBearer } from './bearer.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

describe('parseBearer', () => {
  it('reads the token after the scheme, in any case, with the field’s surrounding spaces dropped', () => {
    expect(parseBearer(`Bearer ${JWT}`)).toBe(JWT);
    expect(parseBearer(`bearer ${JWT}`)).toBe(JWT);
    expect(parseBearer(`BEARER ${JWT}`)).toBe(JWT);
    expect(parseBearer(`bEaReR ${JWT}`)).toBe(JWT);
    expect(parseBearer(` \tBearer ${JWT}\t `)).toBe(JWT);
  });

  it('takes every token68 character, and "=" padding only at the end', () => {
    const all = 'AZaz09-._~+/';
    expect(parseBearer(`Bearer ${all}`)).toBe(all);
    expect(parseBearer('Bearer abc==')).toBe('abc==');
    expect(parseBearer('Bearer a=b')).toBeUndefined();
    expect(parseBearer('Bearer ==')).toBeUndefined();
  });

  it('refuses anything else: no header, another scheme, no token, two spaces, a tab, inner spaces, other characters', () => {
    const refused: (string | undefined)[] = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer   ',
      `Basic ${JWT}`,
      `Bearerx ${JWT}`,
      `Bearer${JWT}`,
      `Bearer  ${JWT}`,
      `Bearer\t${JWT}`,
      `Bearer ${JWT} x`,
      `Bearer ${JWT},`,
      'Bearer abc!',
      'Bearer "abc"',
      'Bearer ünïcödé.☃.✓',
      'Bearer abc\u0000',
    ];
    for (const header of refused) expect(parseBearer(header), JSON.stringify(header)).toBeUndefined();
  });
});

describe('isToken68', () => {
  it('tells which secrets a Bearer header can carry', () => {
    expect(isToken68('recorder-secret-for-tests-0123456789')).toBe(true);
    expect(isToken68('q1w2e3+/r4t5==')).toBe(true);
    expect(isToken68('has space')).toBe(false);
    expect(isToken68('semi;colon')).toBe(false);
    expect(isToken68('')).toBe(false);
  });
});

describe('bearerSecretCheck', () => {
  it('accepts the secret under the one rule and nothing else', () => {
    const check = bearerSecretCheck('s3cret-0123456789');
    expect(check('Bearer s3cret-0123456789')).toBe(true);
    expect(check('bearer s3cret-0123456789')).toBe(true);
    expect(check('Bearer s3cret-012345678')).toBe(false);
    expect(check('Bearer s3cret-01234567890')).toBe(false);
    expect(check('Bearer  s3cret-0123456789')).toBe(false);
    expect(check('s3cret-0123456789')).toBe(false);
    expect(check(undefined)).toBe(false);
  });
});
