// The error model of the HTTP API (docs/api.md): every error answer is `{ error, message }` with one of these codes.
import { Type, type Static } from 'typebox';

/** Stable error codes, each with the one HTTP status it is answered with. */
export const ERROR_STATUS = {
  validation_failed: 400,
  bad_request: 400,
  digest_mismatch: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_refresh_token: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  conference_ended: 409,
  expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  too_early: 425,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

/** A code the V4H server answers with: callers can `switch` on it. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Every {@link ErrorCode}. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** `{ error, message }`, the body of every error answer: the response schema routes declare for 4xx and 5xx. */
export const ErrorBody = Type.Object(
  { error: Type.Unsafe<ErrorCode>({ type: 'string', enum: ERROR_CODES, description: 'stable error code' }), message: Type.String() },
  { description: 'error' },
);
export type ErrorBody = Static<typeof ErrorBody>;
