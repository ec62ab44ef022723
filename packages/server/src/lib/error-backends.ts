// Which back end an unexpected error came from (no imports: errors.ts and metrics use it).

/** The back ends whose errors are counted apart (metrics/metrics.ts). */
export type Backend = 'database' | 'storage' | 'other';

const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM', 'EMFILE', 'ENOENT']);

type ErrorShape = { code?: unknown; $metadata?: unknown; cause?: unknown; message?: unknown; severity?: unknown };

/** The back end behind an error, by its code or shape (fs codes and AWS errors, SQLite and pg); a coded error's cause counts. */
export function backendOf(error: unknown, depth = 0): Backend {
  const e = error as ErrorShape | undefined;
  if (!e || typeof e !== 'object') return 'other';
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.$metadata !== undefined || STORAGE_CODES.has(code)) return 'storage';
  // SQLite codes, PostgreSQL SQLSTATEs (five characters) and pg's errors (a severity), or a lost pg connection.
  if (code.startsWith('SQLITE_') || /^[0-9A-Z]{5}$/.test(code) || e.severity !== undefined) return 'database';
  if (typeof e.message === 'string' && /^Connection terminated|connection error and is not queryable/.test(e.message)) return 'database';
  // A coded 5xx error (AppError) wraps the back end's error as its cause.
  return e.cause !== undefined && depth < 3 ? backendOf(e.cause, depth + 1) : 'other';
}
