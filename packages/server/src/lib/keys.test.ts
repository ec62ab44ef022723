// Keys derived from the server's secrets, and the values that must not change with them: download links, verification
// links signed before, audit address hashes already stored.
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, legacyLabelKey } from './keys.js';
import { createLinkSigner } from '../storage/signed-links.js';
import { createVerificationLinkSigner } from '../records/verification-links.js';
import { addressKeeper } from '../audit/addresses.js';
import { createPresenceTokens } from '../conferences/presence-tokens.js';
import { SignJWT } from 'jose';

const SECRET = 'a-token-secret-of-at-least-32-bytes!';

describe('deriveKey', () => {
  it('is HKDF-SHA256 (salt "v4h", info the purpose): 32 bytes, one key per purpose and per secret', () => {
    const key = deriveKey(SECRET, 'v4h test purpose v1');
    expect(key).toHaveLength(32);
    expect(key).toEqual(Buffer.from(hkdfSync('sha256', SECRET, 'v4h', 'v4h test purpose v1', 32)));
    expect(deriveKey(SECRET, 'v4h test purpose v1')).toEqual(key);
    expect(deriveKey(SECRET, 'v4h test purpose v2')).not.toEqual(key);
    expect(deriveKey(`${SECRET}x`, 'v4h test purpose v1')).not.toEqual(key);
    expect(key.toString('latin1')).not.toContain(SECRET);
  });
});

describe('what depends on the derivation', () => {
  it('disk download links keep their signatures (the key is the one they had before deriveKey)', () => {
    const before = Buffer.from(hkdfSync('sha256', SECRET, 'v4h', 'v4h storage download links v1', 32));
    const signature = createHmac('sha256', before).update('file-1\n2000000000').digest('base64url');
    expect(createLinkSigner(SECRET).sign('file-1', 2_000_000_000)).toBe(signature);
  });

  it('audit address hashes stay what is stored: HMAC under the label key', () => {
    const key = createHmac('sha256', SECRET).update('v4h audit addresses').digest();
    const stored = `hmac:${createHmac('sha256', key).update('203.0.113.77').digest('hex').slice(0, 16)}`;
    expect(addressKeeper('hashed', SECRET)('203.0.113.77')).toBe(stored);
    expect(legacyLabelKey(SECRET, 'v4h audit addresses')).toEqual(key);
  });

  it('verification links: new ones under the derived key; one signed before still opens until it expires, a forged one never', () => {
    const signer = createVerificationLinkSigner({ tokenSecret: SECRET });
    const now = Date.UTC(2026, 11, 6);
    const { token } = signer.sign('session-1', now, 3600);
    expect(signer.verify(token, now)).toBe('session-1');
    const exp = token.split('.')[1];
    const derived = createHmac('sha256', deriveKey(SECRET, 'v4h verification links v1'))
      .update(`session-1\n${exp}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    expect(token).toBe(`session-1.${exp}.${derived}`);
    // Signed by the previous release (label key), as a third party may still hold it.
    const oldKey = createHmac('sha256', SECRET).update('v4h verification links').digest();
    const oldTag = createHmac('sha256', oldKey).update(`session-1\n${exp}`).digest().subarray(0, 16).toString('base64url');
    expect(signer.verify(`session-1.${exp}.${oldTag}`, now)).toBe('session-1');
    expect(signer.verify(`session-1.${exp}.${oldTag}`, now + 3601_000)).toBeNull();
    expect(signer.verify(`session-2.${exp}.${oldTag}`, now)).toBeNull();
    expect(createVerificationLinkSigner({ tokenSecret: `${SECRET}x` }).verify(token, now)).toBeNull();
  });

  it('presence tokens: signed under the derived key, one signed under the former key still verifies, another secret’s never', async () => {
    const tokens = createPresenceTokens(SECRET, 'http://v4h.test');
    const now = Date.now();
    const claims = { sessionId: 's', participantId: 'p', userId: 'u', username: 'ana' };
    const fresh = await tokens.sign(claims, 60, now);
    expect(await tokens.verify(fresh, now)).toMatchObject(claims);
    const signed = (key: Uint8Array) =>
      new SignJWT({ sid: 's', uid: 'u', name: 'ana' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('http://v4h.test')
        .setAudience('v4h-presence')
        .setSubject('p')
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(key);
    expect(await tokens.verify(await signed(new TextEncoder().encode(`presence:${SECRET}`)), now)).toMatchObject(claims);
    // The former key is not the secret itself: a token under the raw secret was never valid.
    await expect(tokens.verify(await signed(new TextEncoder().encode(SECRET)), now)).rejects.toThrow('invalid or expired presence token');
    await expect(createPresenceTokens(`${SECRET}x`, 'http://v4h.test').verify(fresh, now)).rejects.toThrow('invalid or expired presence token');
  });
});
