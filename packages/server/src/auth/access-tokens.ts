// Access tokens: short-lived HS256 JWTs. The algorithm is pinned on verification (no `none`, no RS/HS confusion).
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

export const ACCESS_AUDIENCE = 'v4h';

export interface AccessClaims {
  userId: string;
  username: string;
  /** Refresh-token family this token belongs to: revoked families invalidate their access tokens. */
  familyId: string;
  expiresAt: number;
}

export interface AccessTokenSigner {
  sign(claims: Omit<AccessClaims, 'expiresAt'>, nowMs: number): Promise<{ token: string; expiresAt: number }>;
  /** Throws InvalidAccessToken for anything but a valid token of ours. */
  verify(token: string, nowMs: number): Promise<AccessClaims>;
}

export class InvalidAccessToken extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'access token expired' : 'invalid access token');
  }
}

export function createAccessTokenSigner(opts: { secret: string; issuer: string; ttlSeconds: number }): AccessTokenSigner {
  const key = new TextEncoder().encode(opts.secret);
  return {
    async sign(claims, nowMs) {
      const iat = Math.floor(nowMs / 1000);
      const exp = iat + opts.ttlSeconds;
      const token = await new SignJWT({ name: claims.username, sid: claims.familyId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(opts.issuer)
        .setAudience(ACCESS_AUDIENCE)
        .setSubject(claims.userId)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresAt: exp * 1000 };
    },
    async verify(token, nowMs) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: opts.issuer,
          audience: ACCESS_AUDIENCE,
          currentDate: new Date(nowMs),
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        });
        if (typeof payload.name !== 'string' || typeof payload.sid !== 'string') throw new InvalidAccessToken('invalid');
        return { userId: payload.sub!, username: payload.name, familyId: payload.sid, expiresAt: payload.exp! * 1000 };
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new InvalidAccessToken('expired');
        throw new InvalidAccessToken('invalid');
      }
    },
  };
}
