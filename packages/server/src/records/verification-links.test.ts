// Verification links name their session id: random, chosen, and organisation-scoped (`<organisationId>~<chosen>`) ids
// all round-trip; a changed id, expiry or MAC does not.
import { describe, expect, it } from 'vitest';
import { createVerificationLinkSigner } from './verification-links.js';

describe('verification links', () => {
  const signer = createVerificationLinkSigner({ tokenSecret: 's'.repeat(32) });
  const now = Date.UTC(2026, 11, 6);

  it.each(['Hq3Yw0sR1uS7cT9vXa2bZd', 'appt-123', `${'o'.repeat(22)}~${'a'.repeat(64)}`])('%s round-trips, and only unchanged', (sessionId) => {
    const { token, expiresAt } = signer.sign(sessionId, now, 3600);
    expect(token.length).toBeLessThanOrEqual(200); // the route's limit (records/schemas.ts)
    expect(expiresAt).toBe(now + 3600_000);
    expect(signer.verify(token, now)).toBe(sessionId);
    expect(signer.verify(token, now + 3601_000)).toBeNull();
    const [id, exp, mac] = token.split('.');
    expect(signer.verify(`${id}x.${exp}.${mac}`, now)).toBeNull();
    expect(signer.verify(`${id}.${(parseInt(exp, 36) + 1).toString(36)}.${mac}`, now)).toBeNull();
    expect(signer.verify(`${id}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, now)).toBeNull();
  });

  it('refuses what is not a session id before any MAC', () => {
    expect(signer.verify('a~b~c.1.' + 'A'.repeat(22), now)).toBeNull();
    expect(signer.verify('../x.1.' + 'A'.repeat(22), now)).toBeNull();
  });
});
