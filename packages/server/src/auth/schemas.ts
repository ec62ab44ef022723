// The /api/auth routes' schemas (bodies from @v4h/protocol): validated on the way in, serialized on the way out, published as OpenAPI.
import { ErrorBody, LoginBody, OkBody, RefreshBody, SessionBody, TokenPair } from '@v4h/protocol';

const tags = ['auth'];

export const loginSchema = {
  tags,
  summary: 'Log in with a username and password',
  description: 'Rate limited per username and per client address (429 with Retry-After).',
  body: LoginBody,
  response: { 200: TokenPair, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
};

export const refreshSchema = {
  tags,
  summary: 'Exchange a refresh token for a new token pair',
  description: 'The refresh token is rotated; presenting a used one revokes its whole session.',
  body: RefreshBody,
  response: { 200: TokenPair, 400: ErrorBody, 401: ErrorBody },
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
  summary: "Check an access token and whose it is (the SDK's loginWithToken)",
  security: [{ bearer: [] }],
  response: { 200: SessionBody, 401: ErrorBody },
};
