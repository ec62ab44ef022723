// Coded errors thrown by services, and the one Fastify error handler that maps them to `{ error, message }`.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, ErrorBody, type ErrorCode } from '@v4h/protocol';
import { backendOf } from './lib/error-backends.js';
import { isSqliteBusy } from './db/sqlite-lock.js';

// The codes, their statuses and the `{ error, message }` body are the wire's (docs/api.md): @v4h/protocol owns them.
export { ERROR_STATUS, ErrorBody, type ErrorCode };

/** An error meant for the caller: its code and message are sent as they are. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'not allowed') => new AppError('forbidden', message);
export const unauthorized = (message = 'missing or invalid access token') => new AppError('unauthorized', message);

/** Fastify's own client errors (bad JSON, too large, bad content type) by their codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
};

export function errorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  // A download that fails before its first byte (a stored file that cannot be decrypted) had already set the file's
  // headers: the error body is JSON, so drop them (with video/webm left on, Fastify refused to serialise the object).
  for (const name of ['content-length', 'content-range', 'content-disposition', 'content-encoding']) reply.removeHeader(name);
  reply.type('application/json; charset=utf-8');
  if (error instanceof AppError) {
    if (error.status >= 500) {
      request.log.error({ err: error }, error.message);
      request.server.metrics?.backendError(backendOf(error));
    }
    return reply.status(error.status).headers(error.headers).send({ error: error.code, message: error.message });
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    return reply.status(400).send({ error: 'validation_failed', message: fe.message });
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return reply.status(ERROR_STATUS[mapped]).send({ error: mapped, message: fe.message });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Other 4xx raised by Fastify or a plugin (e.g. a malformed header): pass the status, not the internals.
    return reply.status(fe.statusCode).send({ error: fe.statusCode === 413 ? 'payload_too_large' : 'bad_request', message: fe.message });
  }
  if (isRefusedText(error)) {
    // A text value the database cannot store (PostgreSQL refuses NUL): the caller's input, not our fault.
    return reply.status(400).send({ error: 'bad_request', message: 'the request holds a character that is not allowed (a control character such as NUL)' });
  }
  if (isStorageFailure(error)) {
    request.log.error({ err: error }, 'storage full or failing');
    return reply
      .status(503)
      .header('retry-after', '30')
      .send({ error: 'service_unavailable', message: 'the server cannot store data right now; try again later' });
  }
  if (isUnavailable(error)) {
    request.log.error({ err: error }, 'back end unavailable');
    request.server.metrics?.backendError(backendOf(error));
    return reply.status(503).header('retry-after', '5').send({ error: 'service_unavailable', message: 'a back end is unavailable; try again shortly' });
  }
  request.log.error({ err: error }, 'unhandled error');
  request.server.metrics?.backendError(backendOf(error));
  return reply.status(500).send({ error: 'internal_error', message: 'internal error' });
}

/** PostgreSQL's "invalid byte sequence" (NUL in text) and "untranslatable character". */
function isRefusedText(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === '22021' || code === '22P05';
}

/**
 * A full disk or failing I/O under a back end: SQLite's SQLITE_FULL / SQLITE_IOERR_* (and SQLITE_CANTOPEN), PostgreSQL's
 * class 53 (53100 disk_full, 53200 out of memory, …) and 58030 io_error, Node's ENOSPC, EDQUOT, EIO, EROFS.
 * Answered 503: the API promises that for a server that cannot do its work right now (docs/api.md).
 */
export function isStorageFailure(error: unknown): boolean {
  const raw = (error as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
  return (
    code === 'SQLITE_FULL' ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_CANTOPEN' ||
    (code.startsWith('53') && code.length === 5) ||
    code === '58030' ||
    ['ENOSPC', 'EDQUOT', 'EIO', 'EROFS'].includes(code)
  );
}

/** Connection-level failures of a back end (database, storage, ledger) become 503, not 500. */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  // pg reports a connection lost mid-query (and any later use of that client, e.g. the ROLLBACK) without a code.
  if (/^Connection terminated|connection error and is not queryable/.test((error as Error)?.message ?? '')) return true;
  // SQLITE_BUSY (and its extended codes): another process held the write lock past the wait (db/sqlite-lock.ts).
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03', '08006', '08001'].includes(code ?? '') || isSqliteBusy(error);
}

/**
 * Fastify's router refuses malformed URLs and over-long path parameters before any hook or error handler runs;
 * this answers them like every other error (`bad_request`, docs/api.md), without echoing the URL (it may hold a token).
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'malformed URL';
  void reply.status(400).send({ error: 'bad_request', message });
}
