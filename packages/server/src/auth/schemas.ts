// JSON schemas (TypeBox) of the /api/auth routes: validated on the way in, serialized on the way out, published as OpenAPI.
import { Type } from '@fastify/type-provider-typebox';
import { ErrorBody } from '../errors.js';


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

// A refresh token is 32 random bytes in base64url (43 characters); the bound only stops junk early.
const RefreshToken = Type.String({ minLength: 1, maxLength: 256, description: 'opaque refresh token' });

export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false });

export const TokenPairBody = Type.Object({
  accessToken: Type.String({ description: 'JWT (HS256) for `Authorization: Bearer …`' }),
  refreshToken: RefreshToken,
  expiresIn: Type.Integer({ description: 'seconds until the access token expires' }),
});

export const OkBody = Type.Object({ status: Type.Literal('ok') });

export const SessionBody = Type.Object({
  status: Type.Literal('ok'),
  username: Type.String(),
  expiresAt: Type.String({ format: 'date-time', description: 'when the presented access token expires' }),
});

const tags = ['auth'];

export const loginSchema = {
  tags,
  summary: 'Log in with a username and password',
  description: 'Rate limited per username and per client address (429 with Retry-After).',
  body: LoginBody,
  response: { 200: TokenPairBody, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
};

export const refreshSchema = {
  tags,
  summary: 'Exchange a refresh token for a new token pair',
  description: 'The refresh token is rotated; presenting a used one revokes its whole session.',
  body: RefreshBody,
  response: { 200: TokenPairBody, 400: ErrorBody, 401: ErrorBody },
};

export const logoutSchema = {
  tags,
  summary: 'Revoke the session of a refresh token',
  description: 'Its refresh and access tokens stop working. Repeating it answers 200; an unknown token answers 401.',
  body: RefreshBody,
  response: { 200: OkBody, 400: ErrorBody, 401: ErrorBody },
};

export const sessionSchema = {
  tags,
  summary: 'Check an access token and whose it is (the SDK\'s loginWithToken)',
  security: [{ bearer: [] }],
  response: { 200: SessionBody, 401: ErrorBody },
};
