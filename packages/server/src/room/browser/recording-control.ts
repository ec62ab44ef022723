// Recording in the meeting page: the consent question, the "recording" mark, the owner's recorder and its IFrame API
// commands (startRecording / stopRecording, event recordingStatusChanged), all following the conference's log.
import type { ClientMessage, PeerInfo, RecordingState, ServerMessage } from '../protocol.js';
import type { ParentChannel } from './parent.js';
import { ConsentPrompt, showRecording } from './consent-prompt.js';
import { ApiError, RoomApi, type StoredFileAnswer } from './recording/api.js';
import { RoomRecorder, type RecordingStatus } from './recording/room-recorder.js';
import type { RecordedPicture } from './recording/compositor.js';
import { t } from './page-strings.js';
import { $ } from './view.js';

export interface RecordingControlDeps {
  roomName: string;
  /** The page's room token: it also answers consent requests and reads the recording's state (the API takes it). */
  roomToken: string;
  send(msg: ClientMessage): void;
  me(): PeerInfo | undefined;
  peers(): PeerInfo[];
  /** A tile's video element (`local` for this page's own). */
  videoOf(id: string): HTMLVideoElement | undefined;
  localAudio(): MediaStreamTrack | undefined;
  emit: ParentChannel['emit'];
  notify(text: string): void;
}

/** GET …/recording (the API's RecordingStatus). */
interface CallRecording {
  state: 'recording' | 'idle';
  recordingId: string | null;
  consent: 'required' | 'off';
  requestId: string | null;
  participants: Array<{ participantId: string; owner: boolean; consent: 'given' | 'declined' | 'none' }>;
}

const TOKEN_MARGIN_MS = 30_000;
const TOKEN_TIMEOUT_MS = 15_000;

type Token = { token: string; expiresAt: number; sessionId: string };

export class RecordingControl {
  readonly #d: RecordingControlDeps;
  readonly #prompt: ConsentPrompt;
  readonly #recorder: RoomRecorder;
  readonly #button = $<HTMLButtonElement>('record');
  /** What the room server last said (from the log). */
  #signal: RecordingState | undefined;
  /** What the API last said: who is in the call and where their consent stands. */
  #call: CallRecording | undefined;
  #token: Token | undefined;
  #tokenWaiters: Array<{ resolve: (token: Token) => void; reject: (error: Error) => void }> = [];
  /** Syncs run one after another: each reads the state and acts on it. */
  #queue: Promise<void> = Promise.resolve();
  #finished = false;
  /** Requests answered from this page: a state read before the answer landed must not ask again. */
  readonly #answered = new Set<string>();

  constructor(deps: RecordingControlDeps) {
    this.#d = deps;
    this.#prompt = new ConsentPrompt(async (ask, accepted) => {
      await this.#participantApi().request('POST', `/consent-requests/${encodeURIComponent(ask.requestId)}/answer`, { accepted, locale: ask.locale });
      this.#answered.add(ask.requestId);
      this.#d.notify(accepted ? t.consent.agreed : t.consent.refused);
      this.#sync();
    });
    this.#recorder = new RoomRecorder({
      api: () => this.#ownerApi(),
      pictures: () => this.#pictures(),
      voices: () => this.#voices(),
      storageKey: `v4h.recording.${deps.roomName}`,
      status: (s) => this.#status(s),
      stored: (file) => this.#stored(file),
    });
    this.#button.addEventListener('click', () => (this.#signal?.recording || this.#recorder.on ? this.stop() : this.start({ mode: 'file' })));
  }

  /** Once joined: the owner's controls. */
  joined(me: PeerInfo) {
    this.#button.hidden = !me.moderator;
  }

  /** Handles the room server's recording messages; false for any other message. */
  onMessage(msg: ServerMessage): boolean {
    switch (msg.type) {
      case 'recording-state':
        this.#onSignal(msg);
        return true;
      case 'api-token':
        this.#token = msg;
        for (const w of this.#tokenWaiters.splice(0)) w.resolve(msg);
        return true;
      case 'api-token-refused':
        for (const w of this.#tokenWaiters.splice(0)) w.reject(new ApiError(403, 'forbidden', msg.reason, {}));
        return true;
      default:
        return false;
    }
  }

  /** IFrame API `startRecording({ mode: 'file' })` and the owner's button. */
  start(options: unknown) {
    const mode = (options as { mode?: unknown } | undefined)?.mode ?? 'file';
    const refuse = (error: string, message: string) => this.#d.emit('recordingStatusChanged', { on: false, mode: 'file', error, message });
    if (mode !== 'file') return refuse('unsupported_mode', `mode ${JSON.stringify(mode)} is not available in the built-in room`);
    const me = this.#d.me();
    if (!me?.moderator) return refuse('not_moderator', 'only the owner records');
    const recorderId = this.#signal?.recorderId;
    if (!recorderId || recorderId === me.id) return void this.#recorder.start();
    // The owner's other page records: starting on the server starts it there.
    void this.#ownerApi()
      .then((api) => api.request('POST', '/recording/start', {}))
      .catch((e: ApiError) => refuse(e.code ?? 'recording_failed', e.message));
  }

  /** IFrame API `stopRecording('file')` and the owner's button. */
  stop() {
    if (this.#recorder.on) return void this.#recorder.stop();
    // Another page records (the owner's other tab): stopping on the server stops it there.
    void this.#ownerApi()
      .then((api) => api.request('POST', '/recording/stop', {}))
      .catch(() => {});
  }

  /** The page is leaving: what is recorded so far is completed (best effort). */
  finish() {
    this.#finished = true;
    this.#prompt.hide();
    void this.#recorder.stop();
  }

  /** Whether this participant's picture and voice may be recorded now: the owner, or someone who consented. */
  #recordable(id: string) {
    if (id === this.#d.me()?.id) return true;
    const call = this.#call;
    if (!call) return false;
    const p = call.participants.find((x) => x.participantId === id);
    return call.consent === 'off' || (!!p && (p.owner || p.consent === 'given'));
  }

  #pictures(): RecordedPicture[] {
    const me = this.#d.me();
    const people = [...(me ? [{ p: me, tile: 'local' }] : []), ...this.#d.peers().map((p) => ({ p, tile: p.id }))];
    return people
      .filter(({ p }) => this.#recordable(p.id))
      .map(({ p, tile }) => ({ id: p.id, video: this.#d.videoOf(tile), initials: initials(p.displayName) }));
  }

  #voices(): Map<string, MediaStreamTrack> {
    // Who is in the recording right now, on the page for tests and tools (ids only).
    $('meeting').dataset.recorded = this.#pictures()
      .map((p) => p.id)
      .join(' ');
    const voices = new Map<string, MediaStreamTrack>();
    const me = this.#d.me();
    const mine = this.#d.localAudio();
    if (me && mine) voices.set(me.id, mine);
    for (const p of this.#d.peers()) {
      const track = (this.#d.videoOf(p.id)?.srcObject as MediaStream | null)?.getAudioTracks()[0];
      if (track && this.#recordable(p.id)) voices.set(p.id, track);
    }
    return voices;
  }

  #onSignal(next: RecordingState) {
    const before = this.#signal;
    this.#signal = next;
    showRecording(next.recording || this.#recorder.on);
    this.#button.setAttribute('aria-pressed', String(next.recording));
    this.#button.textContent = next.recording ? t.recording.stop : t.recording.start;
    const me = this.#d.me();
    // The page that records reports its own status; the others follow the log (Jitsi tells everyone).
    if (next.recorderId !== me?.id && (before?.recording ?? false) !== next.recording)
      this.#d.emit('recordingStatusChanged', { on: next.recording, mode: 'file' });
    this.#sync();
  }

  /** Reads the recording's state from the API and acts on it: the question, the owner's notices, the recorder. */
  #sync() {
    this.#queue = this.#queue.then(() => this.#syncNow()).catch((error: unknown) => console.warn('v4h room: recording state:', error));
  }

  async #syncNow() {
    const signal = this.#signal;
    const me = this.#d.me();
    if (!signal || !me || this.#finished) return;
    const before = this.#call;
    const call = await this.#participantApi().request<CallRecording>('GET', '/recording');
    this.#call = call;
    const mine = call.participants.find((p) => p.participantId === me.id);
    // Asked once per request, everyone but the owner (who starts the recording); a late joiner too.
    const requestId = call.requestId;
    if (call.consent === 'required' && requestId && mine && !mine.owner && mine.consent === 'none' && !this.#answered.has(requestId)) {
      if (this.#prompt.asking !== requestId) {
        const shown = await this.#participantApi().request<{ requestId: string; purpose: string; text: string; locale: string }>(
          'GET',
          `/consent-requests/${encodeURIComponent(requestId)}?locale=${encodeURIComponent(t.htmlLang)}`,
        );
        if (!this.#finished && !this.#answered.has(requestId)) this.#prompt.ask(shown);
      }
    } else this.#prompt.hide();
    if (mine?.owner && before) {
      const declined = call.participants.some(
        (p) => p.consent === 'declined' && before.participants.find((b) => b.participantId === p.participantId)?.consent !== 'declined',
      );
      if (declined) this.#d.notify(t.recording.declined);
    }
    if (signal.recorderId !== me.id) return;
    // The recording page follows the log: records while it says so (also after a reload), else stops.
    const leftover = await this.#recorder.completeLeftover();
    if (leftover?.wasLive) return void (await this.#recorder.start());
    if (call.state === 'recording' && call.recordingId && !this.#recorder.on) await this.#recorder.start({ live: call.recordingId });
    else if (call.state !== 'recording' && this.#recorder.on) await this.#recorder.stop();
    else this.#recorder.refresh();
  }

  #status(s: RecordingStatus) {
    if (!s.on) delete $('meeting').dataset.recorded;
    this.#d.emit('recordingStatusChanged', s);
    showRecording(s.on || !!this.#signal?.recording);
    if (s.on) this.#d.notify(t.recording.started);
    else if (s.error === 'consent_missing') this.#d.notify(t.recording.consentMissing);
    else if (s.error) this.#d.notify(this.#signal?.recording ? t.recording.interrupted : t.recording.failed);
  }

  #stored(file: StoredFileAnswer) {
    this.#d.notify(t.recording.stored);
    // Jitsi's event; our links are signed for a limited time (the API's file listing gives fresh ones).
    if (file.url) this.#d.emit('recordingLinkAvailable', { link: file.url, ttl: linkTtl(file.url) });
  }

  /** The API as this participant (its room token): the recording's state, consent texts and answers. */
  #participantApi(): RoomApi {
    return new RoomApi(this.#signal!.sessionId, async () => this.#d.roomToken);
  }

  /** The API as the owner (an access token from the room server): recording, chunks, completion. */
  async #ownerApi(): Promise<RoomApi> {
    const first = await this.#accessToken(false);
    return new RoomApi(first.sessionId, async (renew) => (await this.#accessToken(!!renew)).token);
  }

  /** The owner's API token from the room server, asked again shortly before it expires (or when refused). */
  #accessToken(renew: boolean): Promise<Token> {
    const current = this.#token;
    if (current && !renew && current.expiresAt - TOKEN_MARGIN_MS > Date.now()) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ApiError(0, 'unavailable', 'the room did not hand out an API token', {})), TOKEN_TIMEOUT_MS);
      this.#tokenWaiters.push({ resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
      if (this.#tokenWaiters.length === 1) this.#d.send({ type: 'api-token' });
    });
  }
}

function initials(name: string) {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0].toUpperCase())
      .join('') || '?'
  );
}

/** Milliseconds a signed link stays valid (its `expires` parameter, seconds since the epoch), else 0 (unknown). */
function linkTtl(url: string): number {
  try {
    const expires = Number(new URL(url, location.href).searchParams.get('expires'));
    return Number.isFinite(expires) && expires > 0 ? Math.max(0, expires * 1000 - Date.now()) : 0;
  } catch {
    return 0;
  }
}
