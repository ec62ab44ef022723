// Password hashing (argon2id, computed off the event loop by @node-rs/argon2) and the password rules.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { AppError } from '../errors.js';

// `Algorithm` is an ambient const enum, which isolatedModules cannot inline: 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. Stored in each hash, so raising it later keeps old hashes valid. */
const HASH_OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

/** Throws validation_failed unless the password has 8 to 1024 characters. */
export function checkPassword(password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new AppError('validation_failed', `password must have ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
  }
}

/**
 * Runs `work` when fewer than `limit` runs are in progress, else after the earlier ones, first come first served.
 */
export function concurrencyLimit(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (work) => {
    // A finished run hands its slot straight to the next in line: a newcomer in between cannot take it.
    if (running < limit) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

// Each argon2id computation holds a whole core for tens of milliseconds (on libuv's thread pool, 4 threads by
// default). Run as many as there are cores and the event loop, which answers every other request, waits behind them:
// a login flood then delays every other request. One core is left to it; logins queue instead (the A/B behind this:
// bench/results/README.md). Every hash and verification goes through the same queue, the dummy one for unknown users
// included, so queueing says nothing about a username.
const argon2 = concurrencyLimit(Math.max(1, os.availableParallelism() - 1));

/** An argon2id PHC string for the password. */
export const hashPassword = (password: string): Promise<string> => argon2(() => hash(password, HASH_OPTIONS));

/** True when the password matches; false (never a throw) for a malformed stored hash. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await argon2(() => verify(storedHash, password));
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
