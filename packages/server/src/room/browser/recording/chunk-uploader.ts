// Uploads a recording's pieces in order while it records: one at a time, retried with backoff, never two copies in memory.

/** A refusal no retry will change (4xx other than 408/429): the recording stops with it. */
export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ChunkUploaderOptions {
  /** PUTs one chunk; idempotent on the server, so a retry after a lost answer is harmless. */
  put(index: number, body: Blob): Promise<void>;
  /** Called after each stored chunk with the next index (kept so that a reloaded page knows where the upload was). */
  stored(nextIndex: number): void;
  /** The server's limit per chunk: larger pieces are split. */
  maxChunkBytes: number;
  /** Memory a backlog may take (network down) before the recording has to stop. */
  maxBacklogBytes: number;
  /** First index to use (a resumed upload). */
  firstIndex?: number;
  /** Waits between retries, doubled up to the last. */
  backoffMs?: readonly number[];
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

/**
 * Holds only what is not stored yet: pieces leave memory as soon as the server has them, so a two-hour visit is
 * never kept whole, and a crash loses the chunks not yet stored (normally at most the one being recorded).
 */
export class ChunkUploader {
  readonly #o: ChunkUploaderOptions;
  readonly #queue: Array<{ index: number; body: Blob }> = [];
  #nextIndex: number;
  #backlog = 0;
  #pumping = false;
  #failure: Error | undefined;
  #idle: Array<() => void> = [];

  constructor(options: ChunkUploaderOptions) {
    this.#o = options;
    this.#nextIndex = options.firstIndex ?? 0;
  }

  /** Why uploading stopped for good, if it did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Bytes recorded but not stored yet. */
  get backlog(): number {
    return this.#backlog;
  }

  /** Queues a piece of the recording (split to the server's limit); throws once the backlog is over its bound. */
  push(data: Blob) {
    if (this.#failure) throw this.#failure;
    if (this.#backlog + data.size > this.#o.maxBacklogBytes) {
      this.#failure = new Error(`the upload is ${this.#backlog} bytes behind (network down?): recording stopped`);
      throw this.#failure;
    }
    for (let at = 0; at < data.size; at += this.#o.maxChunkBytes) {
      const body = data.slice(at, at + this.#o.maxChunkBytes);
      this.#queue.push({ index: this.#nextIndex++, body });
      this.#backlog += body.size;
    }
    if (!this.#pumping) {
      this.#pumping = true;
      void this.#pump();
    }
  }

  /** Resolves once everything pushed is stored; rejects if uploading failed for good. */
  async drain(): Promise<void> {
    while (this.#queue.length && !this.#failure) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#failure) throw this.#failure;
  }

  async #pump() {
    let attempt = 0;
    while (this.#queue.length && !this.#failure) {
      const chunk = this.#queue[0];
      try {
        await this.#o.put(chunk.index, chunk.body);
        this.#queue.shift();
        this.#backlog -= chunk.body.size;
        attempt = 0;
        this.#o.stored(chunk.index + 1);
      } catch (error) {
        if (error instanceof UploadRefused) {
          this.#failure = error;
          break;
        }
        const backoff = this.#o.backoffMs ?? BACKOFF_MS;
        await new Promise((resolve) => setTimeout(resolve, backoff[Math.min(attempt++, backoff.length - 1)]));
      }
    }
    this.#pumping = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
