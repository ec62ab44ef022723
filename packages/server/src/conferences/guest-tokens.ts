// V4H guest tokens: what a guest link carries when its conference has a waiting room. They open the guest's visit
// (/api/visit) and nothing else: never a video room. The video token comes only once the owner admits the guest.
import { SignJWT, jwtVerify } from 'jose';
import { unauthorized } from '../errors.js';
import { deriveKey } from '../lib/keys.js';

const AUDIENCE = 'v4h-guest';

export interface GuestClaims {
  sessionId: string;
  guestId: string;
  /** When the token expires (ms). */
  expiresAt: number;
}

export function createGuestTokens(secret: string, issuer: string) {
  // A key of its own: an access, presence or room token can never pass for a guest token, nor the reverse.
  const key = new Uint8Array(deriveKey(secret, 'v4h guest tokens v1'));
  return {
    async sign(claims: { sessionId: string; guestId: string }, ttlSeconds: number, nowMs: number): Promise<string> {
      const iat = Math.floor(nowMs / 1000);
      return new SignJWT({ sid: claims.sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setSubject(claims.guestId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(key);
    },
    async verify(token: string, nowMs: number): Promise<GuestClaims> {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer, audience: AUDIENCE, currentDate: new Date(nowMs) });
        if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw new Error('missing claims');
        return { sessionId: payload.sid, guestId: payload.sub, expiresAt: payload.exp * 1000 };
      } catch {
        throw unauthorized('invalid or expired guest token');
      }
    },
  };
}
export type GuestTokens = ReturnType<typeof createGuestTokens>;
