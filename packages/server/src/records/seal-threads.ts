// Worker threads that read and hash for the sealer on SQLite (seal-worker-thread.ts), so that a large seal run uses a
// second core, and the thread that serves the API only stores what they computed.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ManifestsTable } from '../db/schema.js';

export interface SealRequest {
  id: number;
  sessionIds: string[];
  sealedAt: number;
}
export type SealReply = { id: number; sealed: ManifestsTable[] } | { id: number; error: string };

/** The compiled worker script; absent when running from the TypeScript sources (tests then pass dist's). */
export function defaultSealThreadScript(): URL | undefined {
  const script = new URL('./seal-worker-thread.js', import.meta.url);
  return fs.existsSync(fileURLToPath(script)) ? script : undefined;
}

export class SealThreads {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve(rows: ManifestsTable[]): void; reject(error: Error): void }>();
  #nextId = 0;
  #failure: Error | undefined;

  constructor(script: URL, file: string, count: number) {
    this.#workers = Array.from({ length: count }, () => {
      const worker = new Worker(script, { workerData: { file } });
      worker.on('message', (reply: SealReply) => {
        const pending = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        if ('error' in reply) pending?.reject(new Error(`seal thread: ${reply.error}`));
        else pending?.resolve(reply.sealed);
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => this.#fail(new Error(`seal thread exited (code ${code})`)));
      return worker;
    });
  }

  /** The manifests that seal these conferences (read and hashed by the next thread in turn); not stored yet. */
  seal(sessionIds: string[], sealedAt: number): Promise<ManifestsTable[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#workers[id % this.#workers.length].postMessage({ id, sessionIds, sealedAt } satisfies SealRequest);
    });
  }

  async close(): Promise<void> {
    this.#failure ??= new Error('seal threads closed');
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }

  /** A thread that fails or exits fails every request still waiting (the run fails; the next run starts over). */
  #fail(error: Error) {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
