// File modes of the data dir: it holds password hashes and health data, so it is 0700 and every file in it 0600.
import fs from 'node:fs';

/** Mode of every directory V4H creates for its data (owner only). */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file V4H creates for its data (owner read/write only). */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) owner-only; an existing directory is left as it is (see exposedDirWarning). */
export function mkdirPrivate(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Sets `file` to 0600 when it exists (files made before this rule, or by a library with its own mode). */
export function chmodPrivate(file: string): void {
  try {
    fs.chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** A warning when `dir` exists and other users (group or others) may read or enter it; undefined otherwise. */
export function exposedDirWarning(dir: string): string | undefined {
  let mode: number;
  try {
    mode = fs.statSync(dir).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  return `data directory ${dir} is readable by other users of this machine (mode ${mode.toString(8).padStart(4, '0')}): it holds password hashes and health data; run chmod 700 ${dir}`;
}
