// V4HError: the one error type the SDK throws, with a stable code callers can switch on.
import type { ErrorCode } from '@v4h/protocol';

/** Codes the SDK itself produces. */
export type V4HClientErrorCode =
  'invalid_argument' | 'not_signed_in' | 'session_expired' | 'jitsi_unavailable' | 'jitsi_error' | 'network_error' | 'bad_response' | 'invalid_signature';

/** Codes the V4H server answers with (see docs/api.md): the wire's list. */
export type V4HServerErrorCode = ErrorCode;

/** Every code a {@link V4HError} can carry. */
export type V4HErrorCode = V4HClientErrorCode | V4HServerErrorCode;

// A registry-wide symbol so that isV4HError works across realms and bundle copies.
const brand = Symbol.for('v4h.error');

/**
 * A failed SDK call: `code` is stable, `status` is the HTTP status (0 when no answer came).
 * @example
 * try { await v4h.login(user, pass) } catch (e) { if (isV4HError(e) && e.code === 'invalid_credentials') … }
 */
export class V4HError extends Error {
  /** Stable error code. */
  readonly code: V4HErrorCode;
  /** HTTP status of the server's answer, 0 when there was none. */
  readonly status: number;

  constructor(code: V4HErrorCode, message: string, status = 0, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'V4HError';
    this.code = code;
    this.status = status;
    (this as unknown as Record<symbol, boolean>)[brand] = true;
  }
}

/** True for a {@link V4HError}, also one from another window or another copy of the SDK. */
export function isV4HError(value: unknown): value is V4HError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Shorthand for argument errors, raised before any request is made. */
export const invalidArgument = (message: string): V4HError => new V4HError('invalid_argument', message);
