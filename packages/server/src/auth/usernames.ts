// Account names: case-insensitive, stored normalised (NFC, lowercase), letters of any language.
import { AppError } from '../errors.js';

/** Letters of any language (with their combining marks), digits, `.`, `_`, `@`, `-`; 1 to 64 characters once normalised. */
export const USERNAME_PATTERN = /^[\p{L}\p{M}\p{Nd}._@-]{1,64}$/u;

/**
 * The stored form of a username: NFC and lowercase, so that `Dr.Ana`, `DR.ANA` and `dr.ana` (or `joão` typed with a
 * combining accent) name one account. Every lookup goes through it.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFC').toLowerCase().normalize('NFC');
}

/** Throws validation_failed unless the normalised username is 1–64 letters (any language), digits, `.`, `_`, `@`, `-`. */
export function checkUsername(username: string): void {
  if (!USERNAME_PATTERN.test(normalizeUsername(username))) {
    throw new AppError('validation_failed', 'username must be 1 to 64 letters (of any language), digits, ".", "_", "@" or "-"');
  }
}
