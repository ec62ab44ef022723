// Admission tokens for the built-in room, checked the way Prosody's token auth checks Jitsi JWTs.
import { errors as joseErrors, jwtVerify } from 'jose';
import { randomBytes } from 'node:crypto';

/** Why a token was refused; stable, shown to the user and sent in `errorOccurred`. */
export type RoomTokenErrorCode = 'token_missing' | 'token_invalid' | 'token_expired' | 'token_not_yet_valid' | 'token_wrong_room';

/** A refused room token. */
export class RoomTokenError extends Error {
  constructor(
    readonly code: RoomTokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RoomTokenError';
  }
}

/** Who a verified token lets in. */
export interface RoomIdentity {
  /** `context.user.id`: a V4H user id, or `guest-…`. */
  id: string;
  /** The V4H user id, or null for a guest. */
  userId: string | null;
  name: string | null;
  avatar: string | null;
  moderator: boolean;
  /** The login session (refresh-token family) a user's token was issued in (claim `fid`), or null. */
  familyId: string | null;
  /** When the token expires (ms). */
  expiresAt: number;
}

export interface RoomTokenVerifierOptions {
  appId: string;
  appSecret: string;
  /** The room host (`sub`), e.g. the host name of the public URL. */
  domain: string;
  now: () => number;
}

/** `expiredUpTo`: also accept a token that expired at most this many seconds ago (resuming a live participant). */
export type RoomTokenVerifier = (jwt: string | undefined | null, roomName: string, options?: { expiredUpTo?: number }) => Promise<RoomIdentity>;

/**
 * Header `typ` JWT, HS256 only, signature with the app secret, `iss` = app id, `aud` = jitsi,
 * `sub` = the domain (or `*`), `room` compared lowercased (or `*`), `exp` and `nbf` required numbers.
 */
export function createRoomTokenVerifier(options: RoomTokenVerifierOptions): RoomTokenVerifier {
  const key = new TextEncoder().encode(options.appSecret);
  const domain = options.domain.toLowerCase();
  return async (jwt, roomName, verifyOptions) => {
    if (!jwt) throw new RoomTokenError('token_missing', 'this room needs a token (jwt) to join');
    let payload;
    try {
      ({ payload } = await jwtVerify(jwt, key, {
        algorithms: ['HS256'],
        typ: 'JWT',
        issuer: options.appId,
        audience: 'jitsi',
        requiredClaims: ['exp', 'nbf', 'room'],
        currentDate: new Date(options.now()),
        clockTolerance: verifyOptions?.expiredUpTo ?? 0,
      }));
    } catch (error) {
      throw mapJoseError(error);
    }
    const sub = typeof payload.sub === 'string' ? payload.sub.toLowerCase() : undefined;
    if (sub !== undefined && sub !== '*' && sub !== domain) {
      throw new RoomTokenError('token_invalid', 'the token is for another domain');
    }
    const room = typeof payload.room === 'string' ? payload.room.toLowerCase() : undefined;
    if (room !== '*' && room !== roomName.toLowerCase()) {
      throw new RoomTokenError('token_wrong_room', 'the token is for another room');
    }
    return identityFrom(payload.context, payload.exp! * 1000, typeof payload.fid === 'string' ? payload.fid : null);
  };
}

function mapJoseError(error: unknown): RoomTokenError {
  if (error instanceof joseErrors.JWTExpired) return new RoomTokenError('token_expired', 'the token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' && error.reason === 'check_failed') return new RoomTokenError('token_not_yet_valid', 'the token is not valid yet');
    return new RoomTokenError('token_invalid', `the token's "${error.claim}" claim is not accepted`);
  }
  if (error instanceof joseErrors.JOSEError) return new RoomTokenError('token_invalid', 'the token is not valid (signature, algorithm or format)');
  return new RoomTokenError('token_invalid', 'the token is not valid');
}

const text = (value: unknown, max: number) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, max) : null);

function identityFrom(context: unknown, expiresAt: number, familyId: string | null): RoomIdentity {
  const user = (context as { user?: Record<string, unknown> } | undefined)?.user ?? {};
  const id = text(user.id, 200) ?? `guest-${randomBytes(9).toString('base64url')}`;
  const avatar = text(user.avatar, 2000);
  return {
    id,
    userId: id.startsWith('guest-') ? null : id,
    name: text(user.name, 200),
    // Jitsi community plugins read either form.
    moderator: user.moderator === true || user.moderator === 'true' || user.affiliation === 'owner',
    avatar: avatar && /^(https?:|data:image\/)/i.test(avatar) ? avatar : null,
    familyId: id.startsWith('guest-') ? null : familyId,
    expiresAt,
  };
}
