// A pass-through that hashes (SHA-256) and counts the bytes flowing by, enforcing a size limit and a declared digest.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.js';

/**
 * Errors the stream (so the storage engine discards what it wrote) as soon as more than `maxBytes`
 * arrive, or at the end when the SHA-256 differs from `expected`; the object is never committed then.
 */
export class HashingStream extends Transform {
  readonly #hash = createHash('sha256');
  readonly #maxBytes: number;
  readonly #expected?: Buffer;
  #received = 0;
  #hex?: string;
  #failure?: AppError;

  constructor(options: { maxBytes: number; expected?: Buffer }) {
    // 1 MiB of slack each side keeps the socket flowing while the engine writes (Node 20's default is 16 KiB).
    super({ highWaterMark: 1024 * 1024 });
    this.#maxBytes = options.maxBytes;
    this.#expected = options.expected;
  }

  /** Bytes seen so far. (Not `size`: the AWS SDK would read that as the body's length.) */
  get received(): number {
    return this.#received;
  }

  /** Why this stream refused the upload (limit or digest), if it did. */
  get failure(): AppError | undefined {
    return this.#failure;
  }

  /** Lowercase hex SHA-256; available once the stream has ended. */
  get sha256(): string {
    if (this.#hex === undefined) throw new Error('the upload has not finished');
    return this.#hex;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#received += chunk.length;
    if (this.#received > this.#maxBytes) {
      callback((this.#failure = new AppError('payload_too_large', `the file exceeds the ${this.#maxBytes}-byte limit`)));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const digest = this.#hash.digest();
    if (this.#expected && !this.#expected.equals(digest)) {
      callback((this.#failure = new AppError('digest_mismatch', 'the SHA-256 of the received bytes differs from the declared digest; nothing was stored')));
      return;
    }
    this.#hex = digest.toString('hex');
    callback();
  }
}
