// Disk storage (the embedded default): write to a temporary name, fsync, then rename into place.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../lib/private-files.js';
import { assertKey, NotFoundInStorage, type ByteRange, type StorageBackend } from './backend.js';

/** Temporary files older than this are leftovers of a crash and are removed at start. */
const STALE_TEMP_MS = 24 * 3600 * 1000;
/** Chunks queue up to this while a write is in flight, then go out in one writev. */
const WRITE_BUFFER = 1024 * 1024;
/** A file being written has its data synced each time this much more has passed (see syncAsWritten). */
export const SYNC_EVERY = 32 * 1024 * 1024;

export class FileStorage implements StorageBackend {
  readonly kind = 'file' as const;
  readonly #root: string;
  readonly #tempDir: string;

  private constructor(root: string) {
    this.#root = root;
    this.#tempDir = path.join(root, '.partial');
  }

  /** Opens (creating if needed) the directory of a `file:` URL. */
  static async open(url: string): Promise<FileStorage> {
    const root = url.startsWith('file://') ? fileURLToPath(url) : path.resolve(url.slice('file:'.length));
    const storage = new FileStorage(root);
    await fsp.mkdir(storage.#tempDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await storage.#removeStaleTemps();
    return storage;
  }

  #path(key: string): string {
    assertKey(key);
    return path.join(this.#root, ...key.split('/'));
  }

  async put(key: string, body: Readable): Promise<void> {
    const finalPath = this.#path(key);
    const temp = path.join(this.#tempDir, `${key.replaceAll('/', '_')}.${randomBytes(6).toString('hex')}`);
    try {
      // flush: the write stream fsyncs before it closes, so the file is durable before it gets its name.
      const handle = await fsp.open(temp, 'wx', PRIVATE_FILE_MODE);
      await pipeline(body, syncAsWritten(handle), handle.createWriteStream({ flush: true, highWaterMark: WRITE_BUFFER }));
      await fsp.mkdir(path.dirname(finalPath), { recursive: true, mode: PRIVATE_DIR_MODE });
      await fsp.rename(temp, finalPath);
    } catch (error) {
      await fsp.rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(path.dirname(finalPath));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.#path(key);
    // Open first so that a missing file rejects here rather than as a stream error mid-response.
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundInStorage(key);
      throw error;
    }
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      return { size: (await fsp.stat(this.#path(key))).size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.#path(key), { force: true });
  }

  async signedUrl(): Promise<null> {
    return null; // the service signs a V4H download route instead
  }

  async close(): Promise<void> {}

  async #removeStaleTemps() {
    const now = Date.now();
    for (const name of await fsp.readdir(this.#tempDir)) {
      const file = path.join(this.#tempDir, name);
      const stat = await fsp.stat(file).catch(() => null);
      if (stat && now - stat.mtimeMs > STALE_TEMP_MS) await fsp.rm(file, { force: true });
    }
  }
}

/**
 * Passes the data on unchanged, starting a data sync of `file` each time SYNC_EVERY more bytes have passed. Without
 * it a large upload stays in the page cache (well under the kernel's writeback thresholds) until the fsync at the
 * end, which then waits for the disk to write all of it; with it the disk writes while the upload arrives and the
 * last fsync has a few MiB left. At most one sync runs at a time, and the stream ends only after it: the file is
 * never closed under it. Its errors are left to the final fsync, which fails on the same ones.
 */
function syncAsWritten(file: fsp.FileHandle): Transform {
  let sinceSync = 0;
  let running: Promise<void> | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sinceSync += chunk.length;
      if (sinceSync >= SYNC_EVERY && !running) {
        sinceSync = 0;
        running = file.datasync().then(
          () => (running = undefined),
          () => (running = undefined),
        );
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (!running) return callback();
      // `running` never rejects: both outcomes of the sync were handled where it started.
      void running.then(() => callback());
    },
  });
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function syncDirectory(dir: string) {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the data itself is already synced.
  } finally {
    await handle.close();
  }
}
