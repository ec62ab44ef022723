// Stands in for errors.ts inside the lazily loaded features chunk (/v4h-features.js): the V4HError is the one of the v4h.js that loaded it.
import type { V4HError as V4HErrorClass } from './errors.js';

export type { V4HErrorCode } from './errors.js';

/** The loading script's V4HError (set by useErrors before any chunk function runs). */
export let V4HError: typeof V4HErrorClass; // set once by the loader

/** Shorthand for argument errors, as in errors.ts. */
export const invalidArgument = (message: string): V4HErrorClass => new V4HError('invalid_argument', message);

/** As errors.ts's isV4HError, for the loading script's class. */
export const isV4HError = (value: unknown): value is V4HErrorClass => value instanceof V4HError;

/** Called by v4h.js right after importing the chunk. */
export function useErrors(errorClass: typeof V4HErrorClass): void {
  V4HError = errorClass;
}
