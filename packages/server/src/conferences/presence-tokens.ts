// Presence tokens: handed to the SDK with each start/join so it can report joined/left, even from
// navigator.sendBeacon on page hide (which cannot send an Authorization header).
import { SignJWT, jwtVerify } from 'jose';
import { AppError } from '../errors.js';
import { deriveKey } from '../lib/keys.js';

const AUDIENCE = 'v4h-presence';

export interface PresenceClaims {
  sessionId: string;
  participantId: string;
  userId: string;
  username: string;
  /** The login session (refresh-token family) the token was issued in: reports stop when it is revoked. */
  familyId?: string;
}

export function createPresenceTokens(secret: string, issuer: string) {
  const key = new Uint8Array(deriveKey(secret, 'v4h presence tokens v1'));
  // Tokens signed before deriveKey (the key was "presence:" + secret) are still taken: each lives admissionTokenTtl
  // (5 min by default) and is renewed under the new key, so this can go with the next release.
  const legacyKey = new TextEncoder().encode(`presence:${secret}`);
  return {
    async sign(claims: PresenceClaims, ttlSeconds: number, nowMs: number): Promise<string> {
      const iat = Math.floor(nowMs / 1000);
      return new SignJWT({ sid: claims.sessionId, uid: claims.userId, name: claims.username, ...(claims.familyId ? { fid: claims.familyId } : {}) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setSubject(claims.participantId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .sign(key);
    },
    async verify(token: string, nowMs: number): Promise<PresenceClaims> {
      try {
        const options = { algorithms: ['HS256'], issuer, audience: AUDIENCE, currentDate: new Date(nowMs) };
        const { payload } = await jwtVerify(token, key, options).catch(() => jwtVerify(token, legacyKey, options));
        if (typeof payload.sid !== 'string' || typeof payload.uid !== 'string' || typeof payload.name !== 'string' || !payload.sub) {
          throw new Error('missing claims');
        }
        const familyId = typeof payload.fid === 'string' ? payload.fid : undefined;
        return { sessionId: payload.sid, participantId: payload.sub, userId: payload.uid, username: payload.name, familyId };
      } catch {
        throw new AppError('unauthorized', 'invalid or expired presence token');
      }
    },
  };
}
export type PresenceTokens = ReturnType<typeof createPresenceTokens>;
