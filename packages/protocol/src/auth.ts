// The bodies of /api/auth: login, refresh, logout and the session check (docs/api.md).
import { Type, type Static } from 'typebox';

// Login accepts any name up to a bound and answers 401 for names that cannot exist: a 400 would tell which. Names with
// C0 control characters are the exception (400): no account can have one, and PostgreSQL refuses NUL in a query.
// Passwords may hold any character: they are only ever hashed.
export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    password: Type.String({ minLength: 1, maxLength: 1024, format: 'password' }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

// A refresh token is 32 random bytes in base64url (43 characters); the bound only stops junk early.
const RefreshToken = Type.String({ minLength: 1, maxLength: 256, description: 'opaque refresh token' });

export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false });
export type RefreshBody = Static<typeof RefreshBody>;

/** What login and refresh answer. */
export const TokenPair = Type.Object({
  accessToken: Type.String({ description: 'JWT (HS256) for `Authorization: Bearer …`' }),
  refreshToken: RefreshToken,
  expiresIn: Type.Integer({ description: 'seconds until the access token expires' }),
});
export type TokenPair = Static<typeof TokenPair>;

export const OkBody = Type.Object({ status: Type.Literal('ok') });
export type OkBody = Static<typeof OkBody>;

/** What the session check answers: whose the access token is, and until when. */
export const SessionBody = Type.Object({
  status: Type.Literal('ok'),
  username: Type.String(),
  expiresAt: Type.String({ format: 'date-time', description: 'when the presented access token expires' }),
});
export type SessionBody = Static<typeof SessionBody>;
