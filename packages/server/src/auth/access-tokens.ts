// Access tokens: short-lived HS256 JWTs. The algorithm is pinned on verification (no `none`, no RS/HS confusion).
import { createHmac, createSecretKey, randomUUID, timingSafeEqual } from 'node:crypto';

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
  /** Throws InvalidAccessToken for anything but a valid token of ours. Synchronous: it runs on every request. */
  verify(token: string, nowMs: number): AccessClaims;
}

export class InvalidAccessToken extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'access token expired' : 'invalid access token');
  }
}

export function createAccessTokenSigner(opts: { secret: string; issuer: string; ttlSeconds: number }): AccessTokenSigner {
  // A KeyObject: createHmac copies a raw key on every call, and this runs on every request.
  const key = createSecretKey(Buffer.from(opts.secret, 'utf8'));
  // Tokens that passed every check below, with their claims: a client sends the same token with each request for
  // its lifetime (5 min), and a second HMAC, base64 decode and JSON parse of it would learn nothing new. Only the
  // expiry depends on time, and it is checked on every use. Revocation is the caller's check (authenticate.ts).
  // A hit needs the whole token, signature included: it is never a shortcut past the signature check. The map is
  // keyed by the signature alone (43 characters): V8 hashes a fresh key string on every lookup, and the whole token
  // is several times longer; the hit then compares the whole token.
  let verified = new Map<string, { token: string; claims: AccessClaims }>();
  return {
    // Signed with node:crypto too (jose's SignJWT goes through WebCrypto and the thread pool, see verify).
    async sign(claims, nowMs) {
      const iat = Math.floor(nowMs / 1000);
      const exp = iat + opts.ttlSeconds;
      const header = OUR_HEADER;
      const payload = encodeJson({
        name: claims.username,
        sid: claims.familyId,
        iss: opts.issuer,
        aud: ACCESS_AUDIENCE,
        sub: claims.userId,
        iat,
        exp,
        jti: randomUUID(),
      });
      const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
      return { token: `${header}.${payload}.${signature}`, expiresAt: exp * 1000 };
    },
    // Verified with node:crypto on the calling thread, not with jose: WebCrypto runs every HMAC on libuv's thread
    // pool, where it queues behind argon2 hashes — during a login rush each authenticated request waited tens of ms
    // (see bench/results/latest.md). Same rules as jwtVerify with { algorithms: ['HS256'], issuer, audience,
    // requiredClaims: ['sub', 'exp', 'iat', 'jti'] } and no clock tolerance.
    verify(token, nowMs) {
      const signature = token.slice(token.lastIndexOf('.') + 1);
      const known = verified.get(signature);
      if (known && known.token === token) {
        if (known.claims.expiresAt <= Math.floor(nowMs / 1000) * 1000) {
          verified.delete(signature);
          throw new InvalidAccessToken('expired');
        }
        return known.claims;
      }
      const claims = Object.freeze(verifyFully(token, nowMs));
      if (verified.size >= VERIFIED_TOKENS_KEPT) verified = new Map();
      verified.set(signature, { token, claims });
      return claims;
    },
  };

  /** Every rule, from scratch. */
  function verifyFully(token: string, nowMs: number): AccessClaims {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) throw new InvalidAccessToken('invalid');
    // Compared as canonical base64url text: one signature has exactly one accepted spelling.
    const expected = Buffer.from(createHmac('sha256', key).update(`${parts[0]}.${parts[1]}`).digest('base64url'));
    const given = Buffer.from(parts[2]);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidAccessToken('invalid');
    // Our own header needs no parsing; any other spelling is parsed and held to the same rules.
    const header = parts[0] === OUR_HEADER ? { alg: 'HS256' } : decodeJson(parts[0]);
    const payload = decodeJson(parts[1]);
    if (!header || header.alg !== 'HS256' || header.crit !== undefined || header.b64 !== undefined || !payload) throw new InvalidAccessToken('invalid');
    const now = Math.floor(nowMs / 1000);
    const audience = payload.aud;
    const audienceOk = audience === ACCESS_AUDIENCE || (Array.isArray(audience) && audience.includes(ACCESS_AUDIENCE));
    if (payload.iss !== opts.issuer || !audienceOk) throw new InvalidAccessToken('invalid');
    if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || !isNumber(payload.iat) || !isNumber(payload.exp)) {
      throw new InvalidAccessToken('invalid');
    }
    if (payload.nbf !== undefined && (!isNumber(payload.nbf) || payload.nbf > now)) throw new InvalidAccessToken('invalid');
    if (payload.exp <= now) throw new InvalidAccessToken('expired');
    if (typeof payload.name !== 'string' || typeof payload.sid !== 'string') throw new InvalidAccessToken('invalid');
    return { userId: payload.sub, username: payload.name, familyId: payload.sid, expiresAt: payload.exp * 1000 };
  }
}

/** At most this many verified tokens are remembered (about 3 MB); past that the memory starts over. */
const VERIFIED_TOKENS_KEPT = 10_000;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const encodeJson = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const OUR_HEADER = encodeJson({ alg: 'HS256', typ: 'JWT' });

/** A base64url JSON object, or undefined (arrays, primitives and bad JSON included). */
function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
