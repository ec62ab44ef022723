// Password hashing (argon2id, computed off the event loop by @node-rs/argon2) and the account name/password rules.
import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { AppError } from '../errors.js';

// `Algorithm` is an ambient const enum, which isolatedModules cannot inline: 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. Stored in each hash, so raising it later keeps old hashes valid. */
const HASH_OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const USERNAME_PATTERN = /^[a-zA-Z0-9._@-]{1,64}$/;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

/** Throws validation_failed unless the username is 1–64 of `a-z A-Z 0-9 . _ @ -`. */
export function checkUsername(username: string): void {
  if (!USERNAME_PATTERN.test(username)) {
    throw new AppError('validation_failed', 'username must be 1 to 64 characters of a-z, A-Z, 0-9, ".", "_", "@", "-"');
  }
}

/** Throws validation_failed unless the password has 8 to 1024 characters. */
export function checkPassword(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new AppError('validation_failed', `password must have ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
  }
}

/** An argon2id PHC string for the password. */
export const hashPassword = (password: string): Promise<string> => hash(password, HASH_OPTIONS);

/** True when the password matches; false (never a throw) for a malformed stored hash. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as checking a real password, for logins whose user does not exist:
 * without it, "unknown user" would answer measurably faster than "wrong password".
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
  await verifyPassword(await dummyHash, password);
  return false;
}
