// JaaS recordings: downloads each RECORDING_UPLOADED link (allowed hosts only, redirects checked, bounded in time) and
// streams it through the file service's upload path, so it is hashed, stored and logged like any uploaded recording.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import type { RecordingHost } from '../config.js';
import { AppError } from '../errors.js';
import { appendEvent, lockConference } from '../db/event-log.js';
import { baseMediaType, isAllowed } from '../lib/media-types.js';
import { allowedRecordingUrl } from './recording-link.js';

/** Why a recording was not stored: a code for the event log and the logs (never the link, which is a secret). */
export type RecordingFailure =
  | 'host_not_allowed'
  | 'redirect_not_allowed'
  | 'too_many_redirects'
  | `http_${number}`
  | 'timeout'
  | 'network_error'
  | 'too_large'
  | 'empty'
  | 'unsupported_media_type'
  | 'storage_unavailable'
  | 'busy'
  | 'shutdown'
  | 'failed';

export interface RecordingJob {
  sessionId: string;
  link: URL;
  /** JaaS's meeting session id, kept with the failure event to tell recordings apart. */
  jitsiSessionId?: string;
}

/** A download as the fetcher hands it to the file service's upload path: as the recorder, a recording. */
export interface RecordingUpload {
  principal: { kind: 'recorder' };
  target: { sessionId: string };
  kind: 'recording';
  name?: string;
  contentType: string;
  contentLength?: number;
  digests: string[];
  body: Readable;
}

/**
 * What the fetcher needs of the file service (storage/service.ts FileService): declared here, so jitsi does not
 * import storage, which imports conferences, which imports jitsi.
 */
export interface RecordingUploads {
  upload(input: RecordingUpload): Promise<{ fileId: string; size: number }>;
}

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

export interface RecordingFetcherDeps {
  db: Db;
  clock: Clock;
  files: RecordingUploads;
  hosts: readonly RecordingHost[];
  /** A download taking longer than this in all is abandoned. */
  timeoutMs: number;
  log: Log;
  /** Downloads at once (default 2; the file service lets the recorder run 4 uploads at once). */
  concurrency?: number;
}

const MAX_REDIRECTS = 3;

class Failure extends Error {
  constructor(readonly reason: RecordingFailure) {
    super(reason);
  }
}

export class JaasRecordingFetcher {
  readonly #deps: RecordingFetcherDeps;
  readonly #queue: RecordingJob[] = [];
  readonly #running = new Set<{ abort: AbortController; done: Promise<void> }>();
  #closed = false;

  constructor(deps: RecordingFetcherDeps) {
    this.#deps = deps;
  }

  /**
   * Queues the download of a link on an allowed host (`accepted`); a link elsewhere is refused at once, fetching
   * nothing, and recorded as failed. The outcome of a download goes to the event log (file_stored or
   * jitsi_recording_failed).
   */
  async accept(job: Omit<RecordingJob, 'link'> & { link: string }): Promise<{ status: 'accepted' } | { status: 'refused'; reason: 'host_not_allowed' }> {
    const link = allowedRecordingUrl(job.link, this.#deps.hosts);
    if (!link) {
      // The host alone tells the operator what to allow; the path and query (the link's secret) stay out.
      this.#deps.log.warn({ host: hostOf(job.link) }, 'JaaS recording link names a host not in V4H_JAAS_RECORDING_HOSTS: not fetched');
      await this.fail(job, 'host_not_allowed');
      return { status: 'refused', reason: 'host_not_allowed' };
    }
    this.#enqueue({ ...job, link });
    return { status: 'accepted' };
  }

  #enqueue(job: RecordingJob): void {
    if (this.#closed) return void this.fail(job, 'shutdown');
    this.#queue.push(job);
    this.#next();
  }

  /** Appends `jitsi_recording_failed` with the reason, and logs it: ids and the reason only. */
  async fail(job: Pick<RecordingJob, 'sessionId' | 'jitsiSessionId'>, reason: RecordingFailure): Promise<void> {
    this.#deps.log.warn({ sessionId: job.sessionId, reason }, 'JaaS recording not stored');
    const data: Record<string, string> = { source: 'jaas', reason };
    if (job.jitsiSessionId) data.jitsiSessionId = job.jitsiSessionId;
    try {
      await this.#deps.db.write(async (trx) => {
        if (!(await lockConference(trx, job.sessionId, this.#deps.db.dialect))) return;
        await appendEvent(trx, { sessionId: job.sessionId, type: 'jitsi_recording_failed', actor: 'system', at: this.#deps.clock.now(), data });
      });
    } catch (error) {
      this.#deps.log.warn({ sessionId: job.sessionId, code: (error as { code?: string }).code }, 'JaaS recording: the failure could not be logged');
    }
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running].map((run) => run.done));
  }

  /** Stops: queued downloads are recorded as failed (shutdown), running ones aborted; resolves when all have settled. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) await this.fail(job, 'shutdown');
    for (const run of this.#running) run.abort.abort(new Failure('shutdown'));
    await this.idle();
  }

  #next(): void {
    while (!this.#closed && this.#queue.length > 0 && this.#running.size < (this.#deps.concurrency ?? 2)) {
      const job = this.#queue.shift()!;
      const abort = new AbortController();
      const run = { abort, done: Promise.resolve() };
      run.done = this.#run(job, abort).finally(() => {
        this.#running.delete(run);
        this.#next();
      });
      this.#running.add(run);
    }
  }

  async #run(job: RecordingJob, abort: AbortController): Promise<void> {
    const timer = setTimeout(() => abort.abort(new Failure('timeout')), this.#deps.timeoutMs);
    timer.unref();
    try {
      const stored = await this.#download(job, abort.signal);
      this.#deps.log.info({ sessionId: job.sessionId, fileId: stored.fileId, size: stored.size }, 'JaaS recording stored');
    } catch (error) {
      await this.fail(job, reasonOf(error, abort.signal));
    } finally {
      clearTimeout(timer);
    }
  }

  async #download(job: RecordingJob, signal: AbortSignal) {
    const response = await this.#open(job.link, signal);
    if (!response.body) throw new Failure('empty');
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    // The abort (timeout, shutdown) can fail the body before the file service listens to it.
    body.on('error', () => {});
    try {
      const length = response.headers.get('content-length');
      return await this.#deps.files.upload({
        principal: { kind: 'recorder' },
        target: { sessionId: job.sessionId },
        kind: 'recording',
        name: fileName(job.link),
        contentType: mediaType(response.headers.get('content-type')),
        contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : undefined,
        digests: [],
        body,
      });
    } finally {
      // Refused before reading (too large, wrong type) or failed mid-way: let the connection go.
      body.destroy();
    }
  }

  /** GET, following at most three redirects, each to an allowed host; anything but 200 is a failure. */
  async #open(link: URL, signal: AbortSignal): Promise<Response> {
    let url = link;
    for (let hop = 0; ; hop++) {
      // identity: the bytes as stored (the length and the hash are the object's, not a compressed copy's).
      const response = await fetch(url, { redirect: 'manual', signal, headers: { 'accept-encoding': 'identity' } });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => {});
        if (hop >= MAX_REDIRECTS) throw new Failure('too_many_redirects');
        const next = allowedRecordingUrl(new URL(response.headers.get('location') ?? '', url), this.#deps.hosts);
        if (!next) throw new Failure('redirect_not_allowed');
        url = next;
        continue;
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {});
        throw new Failure(`http_${response.status}`);
      }
      return response;
    }
  }
}

function hostOf(link: string): string {
  try {
    return new URL(link).host;
  } catch {
    return '(not a URL)';
  }
}

/** The type the store keeps: the response's when it is a recording type, mp4 (JaaS's documented format) when unnamed. */
function mediaType(header: string | null): string {
  const type = baseMediaType(header ?? undefined);
  if (type === undefined || type === 'application/octet-stream' || type === 'binary/octet-stream') return 'video/mp4';
  if (!isAllowed('recording', type)) throw new Failure('unsupported_media_type');
  return type;
}

/** The object's own name (`<room>_<time>.mp4`), when it is a plain file name. */
function fileName(link: URL): string | undefined {
  try {
    const name = decodeURIComponent(link.pathname.split('/').pop() ?? '');
    return /^[\w.-]{1,200}$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown, signal: AbortSignal): RecordingFailure {
  if (signal.aborted && signal.reason instanceof Failure) return signal.reason.reason;
  if (error instanceof Failure) return error.reason;
  if (error instanceof AppError) {
    switch (error.code) {
      case 'payload_too_large':
        return 'too_large';
      case 'unsupported_media_type':
        return 'unsupported_media_type';
      case 'rate_limited':
        return 'busy';
      case 'service_unavailable':
        return 'storage_unavailable';
      case 'bad_request':
        // The file service's words for an empty body, and for a source that failed mid-way.
        return /empty/.test(error.message) ? 'empty' : 'network_error';
      default:
        return 'failed';
    }
  }
  // fetch() itself: refused connection, DNS, TLS, reset.
  return 'network_error';
}
