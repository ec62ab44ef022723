// Wrappers that report how an awaited operation (a login, an upload) ended, so routes stay one-liners.
import { AppError } from '../errors.js';
import { backendOf } from '../lib/error-backends.js';
import type { LoginOutcome, Metrics } from './metrics.js';

/** Reports the login's outcome and passes its result or error through unchanged. */
export function trackLogin<T>(metrics: Metrics, login: Promise<T>): Promise<T> {
  return login.then(
    (tokens) => {
      metrics.login('success');
      return tokens;
    },
    (error: unknown) => {
      metrics.login(loginOutcome(error));
      throw error;
    },
  );
}

function loginOutcome(error: unknown): LoginOutcome {
  if (!(error instanceof AppError)) return 'error';
  if (error.code === 'rate_limited') return 'rate_limited';
  return error.status < 500 ? 'failure' : 'error';
}

/** Reports the upload's size and duration (stored) or its failure, and passes the result or error through. */
export function trackUpload<T extends { size: number }>(metrics: Metrics, upload: Promise<T>): Promise<T> {
  const started = performance.now();
  return upload.then(
    (file) => {
      metrics.upload('stored', file.size, (performance.now() - started) / 1000);
      return file;
    },
    (error: unknown) => {
      const refused = error instanceof AppError && error.status < 500;
      metrics.upload(refused ? 'rejected' : 'failed', 0, (performance.now() - started) / 1000);
      if (!refused) metrics.backendError(backendOf(error));
      throw error;
    },
  );
}
