// Records the call in the owner's browser: every picture in one canvas, every voice mixed, MediaRecorder (WebM) in
// timeslices uploaded while it records; a reloaded page completes what the previous one stored.
import { ApiError, type RoomApi, type StoredFileAnswer } from './api.js';
import { ChunkUploader } from './chunk-uploader.js';
import { AudioMixer } from './mixer.js';
import { Compositor, type RecordedPicture } from './compositor.js';

/** What `recordingStatusChanged` carries (Jitsi's names; `message` and `details` are ours). */
export interface RecordingStatus {
  on: boolean;
  mode: 'file';
  error?: string;
  message?: string;
  details?: Record<string, unknown>;
}

export interface RoomRecorderOptions {
  /** The API as the owner (resolves once the page has a token). */
  api: () => Promise<RoomApi>;
  /** Whose pictures and voices are recorded right now (those who consented). */
  pictures: () => RecordedPicture[];
  voices: () => Map<string, MediaStreamTrack>;
  /** sessionStorage key of the upload in progress. */
  storageKey: string;
  status(status: RecordingStatus): void;
  stored(file: StoredFileAnswer): void;
  /** MediaRecorder timeslice: at most this much is lost when the page dies (default 2000 ms). */
  timesliceMs?: number;
}

/** The API's Recording (the chunked upload of a live recording). */
interface LiveRecording {
  recordingId: string;
  live: 'recording' | 'stopped' | null;
  state: 'open' | 'completing' | 'complete' | 'abandoned';
  nextIndex: number;
  maxChunkBytes: number;
}

interface Pending {
  sessionId: string;
  recordingId: string;
  nextIndex: number;
}

// Bounds a backlog (network down) to what a browser tab holds comfortably: ~30 minutes at the bit rates below.
const MAX_BACKLOG_BYTES = 256 * 1024 * 1024;
const VIDEO_BPS = 1_000_000;
const AUDIO_BPS = 64_000;

/** The WebM the browser can record: VP9 or VP8 with Opus. */
export function recordingMimeType(): string | undefined {
  return ['video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8,opus', 'video/webm'].find((type) => MediaRecorder.isTypeSupported(type));
}

export class RoomRecorder {
  readonly #o: RoomRecorderOptions;
  #state: 'idle' | 'starting' | 'on' | 'stopping' = 'idle';
  #running:
    | {
        api: RoomApi;
        recordingId: string;
        media: MediaRecorder;
        compositor: Compositor;
        mixer: AudioMixer;
        uploader: ChunkUploader;
        timer: ReturnType<typeof setInterval>;
      }
    | undefined;

  constructor(options: RoomRecorderOptions) {
    this.#o = options;
  }

  get on(): boolean {
    return this.#state === 'on' || this.#state === 'starting';
  }

  /**
   * Starts recording: asks the server first (409 consent_missing names who has not consented), or, when it is
   * already started (`live`: by the SDK or the REST API), records into that live recording.
   */
  async start(o: { live?: string } = {}): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'starting';
    let api: RoomApi | undefined;
    let started = false;
    try {
      api = await this.#o.api();
      const mimeType = recordingMimeType();
      if (!mimeType || typeof MediaRecorder === 'undefined') throw new ApiError(0, 'unsupported', 'this browser cannot record WebM', {});
      const recording = o.live
        ? await api.request<LiveRecording>('GET', `/recordings/${encodeURIComponent(o.live)}`)
        : await api.request<LiveRecording>('POST', '/recording/start', { mimeType });
      started = !o.live;
      const compositor = new Compositor(this.#o.pictures);
      const mixer = new AudioMixer();
      await mixer.resume();
      mixer.set(this.#o.voices());
      const media = new MediaRecorder(new MediaStream([compositor.start(), mixer.track]), {
        mimeType,
        videoBitsPerSecond: VIDEO_BPS,
        audioBitsPerSecond: AUDIO_BPS,
      });
      const pending: Pending = { sessionId: api.sessionId, recordingId: recording.recordingId, nextIndex: recording.nextIndex };
      this.#save(pending);
      const uploader = new ChunkUploader({
        put: (index, body) => api!.putChunk(recording.recordingId, index, body),
        stored: (nextIndex) => this.#save({ ...pending, nextIndex }),
        maxChunkBytes: recording.maxChunkBytes,
        maxBacklogBytes: MAX_BACKLOG_BYTES,
        firstIndex: recording.nextIndex,
      });
      media.ondataavailable = (event) => {
        if (!event.data.size) return;
        try {
          uploader.push(event.data);
        } catch (error) {
          void this.stop(error as Error);
        }
      };
      // Who is heard changes (someone joins, consents, switches microphone): the mix follows within a second.
      const timer = setInterval(() => mixer.set(this.#o.voices()), 1000);
      this.#running = { api, recordingId: recording.recordingId, media, compositor, mixer, uploader, timer };
      media.start(this.#o.timesliceMs ?? 2000);
      this.#state = 'on';
      this.#o.status({ on: true, mode: 'file' });
    } catch (error) {
      this.#state = 'idle';
      if (started && api) void api.request('POST', '/recording/stop', {}).catch(() => {});
      this.#o.status(failed(error));
    }
  }

  /** The mix follows the participants now (instead of within a second). */
  refresh() {
    this.#running?.mixer.set(this.#o.voices());
  }

  /** Stops, uploads the rest and completes the file; `cause`: stopped by a failure (the status says which). */
  async stop(cause?: Error): Promise<void> {
    const run = this.#running;
    if (this.#state !== 'on' || !run) return;
    this.#state = 'stopping';
    clearInterval(run.timer);
    await new Promise<void>((resolve) => {
      run.media.onstop = () => resolve();
      if (run.media.state === 'inactive') resolve();
      else run.media.stop();
    });
    run.compositor.stop();
    run.mixer.close();
    this.#running = undefined;
    await run.api.request('POST', '/recording/stop', {}).catch(() => {});
    try {
      // A refused chunk leaves what was stored before it: still completed, a shorter but whole file.
      await run.uploader.drain().catch((error: unknown) => (cause ??= error as Error));
      const file = await run.api.request<StoredFileAnswer>('POST', `/recordings/${encodeURIComponent(run.recordingId)}/complete`, {});
      this.#save(null);
      this.#o.stored(file);
      this.#o.status(cause ? failed(cause) : { on: false, mode: 'file' });
    } catch (error) {
      // Kept in sessionStorage: completeLeftover tries again (e.g. once a late joiner has answered).
      this.#o.status(failed(cause ?? error));
    } finally {
      this.#state = 'idle';
    }
  }

  /**
   * After a reload: the upload the previous page left (every chunk it stored) is stopped if still live (a new
   * MediaRecorder's WebM cannot continue another's) and completed; one with no chunk yet is left to be recorded into. Resolves whether it was live (the caller starts a
   * new one), or undefined when there was nothing to do. A refused completion (consent missing) is tried again later.
   */
  async completeLeftover(): Promise<{ wasLive: boolean } | undefined> {
    const pending = this.#load();
    if (!pending || this.#state !== 'idle') return undefined;
    const api = await this.#o.api();
    if (api.sessionId !== pending.sessionId) return void this.#save(null);
    try {
      const recording = await api.request<LiveRecording>('GET', `/recordings/${encodeURIComponent(pending.recordingId)}`);
      if (recording.state !== 'open') return void this.#save(null);
      // Nothing stored yet (reloaded within the first timeslice): no file to complete, and a live recording is
      // recorded into again from its first chunk (the caller follows the log); completing it would be refused (400).
      if (recording.nextIndex === 0) return void this.#save(null);
      const wasLive = recording.live === 'recording';
      if (wasLive) await api.request('POST', '/recording/stop', {});
      const file = await api.request<StoredFileAnswer>('POST', `/recordings/${encodeURIComponent(pending.recordingId)}/complete`, {});
      this.#save(null);
      this.#o.stored(file);
      return { wasLive };
    } catch (error) {
      // Gone: nothing left to do with it. Anything else (network, consent missing): tried again on the next change.
      if (error instanceof ApiError && error.status === 404) this.#save(null);
      return undefined;
    }
  }

  #save(pending: Pending | null) {
    try {
      if (pending) sessionStorage.setItem(this.#o.storageKey, JSON.stringify(pending));
      else sessionStorage.removeItem(this.#o.storageKey);
    } catch {
      // Storage blocked (a privacy setting): a reload then cannot complete the upload; the server's stays incomplete.
    }
  }

  #load(): Pending | undefined {
    try {
      const raw = sessionStorage.getItem(this.#o.storageKey);
      const p = raw ? (JSON.parse(raw) as Pending) : undefined;
      return p && typeof p.recordingId === 'string' && typeof p.sessionId === 'string' ? p : undefined;
    } catch {
      return undefined;
    }
  }
}

function failed(error: unknown): RecordingStatus {
  if (error instanceof ApiError) {
    const { error: _code, message: _message, ...details } = error.body;
    return { on: false, mode: 'file', error: error.code, message: error.message, ...(Object.keys(details).length ? { details } : {}) };
  }
  return { on: false, mode: 'file', error: 'recording_failed', message: String((error as Error)?.message ?? error) };
}
