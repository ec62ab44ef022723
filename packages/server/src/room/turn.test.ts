// TURN REST API credentials: the format coturn's use-auth-secret checks (expiry:id, base64 HMAC-SHA1).
import { describe, expect, it } from 'vitest';
import { turnCredentials } from './turn.js';

describe('turnCredentials', () => {
  it('matches a vector computed with openssl', () => {
    // echo -n "1700003600:r-abc" | openssl dgst -sha1 -hmac "north-star" -binary | base64
    const c = turnCredentials({ urls: ['turn:t.example:3478'], secret: 'north-star', ttlSeconds: 3600 }, 'r-abc', 1_700_000_000_900);
    expect(c).toEqual({ urls: ['turn:t.example:3478'], username: '1700003600:r-abc', credential: 'c0xAR3hQOkfoGN7/t6Kl5bw9dAM=' });
  });
});
