// One embedded call: reports presence to the server, and tears down once (hang-up, end, page leave).
import type { Emitter } from './events.js';
import type { FetchLike } from './http.js';
import type { JitsiMeetExternalAPI } from './jitsi.js';

/** What the server answers to start/join: everything needed to open the call. */
export interface Embed {
  sessionId: string;
  state: 'requested' | 'started' | 'ended';
  /** `<jitsi url>/external_api.js` */
  scriptUrl: string;
  /** Jitsi host (with port) for `new JitsiMeetExternalAPI(domain, …)`. */
  domain: string;
  roomName: string;
  /** Jitsi token, or null when the deployment takes none. */
  jwt: string | null;
  moderator: boolean;
  /** Null when the video engine reports presence to the server itself (the built-in room). */
  presenceToken: string | null;
}

export interface CallOptions {
  embed: Embed;
  api: JitsiMeetExternalAPI;
  /** Sent with the `avatarUrl` command when there is no token to carry it. */
  avatarUrl?: string;
  presenceUrl: string;
  fetch: FetchLike;
  events: Emitter;
  /** Called once, after the iframe is gone. */
  onEnd(call: Call): void;
}

export class Call {
  readonly sessionId: string;
  readonly api: JitsiMeetExternalAPI;
  readonly moderator: boolean;
  readonly #options: CallOptions;
  #joined = false;
  #over = false;
  readonly #onPageHide = () => this.end(true);

  constructor(options: CallOptions) {
    this.#options = options;
    this.sessionId = options.embed.sessionId;
    this.api = options.api;
    this.moderator = options.embed.moderator;
    const { api, events } = options;
    const sessionId = this.sessionId;
    api.on('videoConferenceJoined', (info) => {
      if (this.#over || this.#joined) return;
      this.#joined = true;
      if (!options.embed.jwt && options.avatarUrl) api.executeCommand('avatarUrl', options.avatarUrl);
      this.#report('joined', false);
      events.emit('joined', { sessionId, participantId: info?.id, displayName: info?.displayName });
    });
    api.on('participantJoined', (p) => events.emit('participantJoined', { sessionId, id: p?.id, displayName: p?.displayName }));
    api.on('participantLeft', (p) => events.emit('participantLeft', { sessionId, id: p?.id }));
    // readyToClose is suppressed when Jitsi shows its close page, so the first of the two ends the call.
    api.on('videoConferenceLeft', () => this.end());
    api.on('readyToClose', () => this.end());
    globalThis.addEventListener?.('pagehide', this.#onPageHide);
  }

  get over(): boolean {
    return this.#over;
  }

  /** Ends the call for this user (once): tells the server, removes the iframe, emits left and ended. */
  end(pageHidden = false): void {
    if (this.#over) return;
    this.#over = true;
    globalThis.removeEventListener?.('pagehide', this.#onPageHide);
    if (this.#joined) this.#report('left', pageHidden);
    try {
      this.api.dispose();
    } catch {
      // The iframe may already be gone with its page.
    }
    const { events, onEnd } = this.#options;
    events.emit('left', { sessionId: this.sessionId });
    onEnd(this);
    events.emit('ended', { sessionId: this.sessionId });
  }

  #report(event: 'joined' | 'left', pageHidden: boolean): void {
    const { presenceUrl, embed } = this.#options;
    if (embed.presenceToken === null) return;
    const body = JSON.stringify({ event, presenceToken: embed.presenceToken });
    // While the page unloads only a beacon is sure to leave; a string body goes as text/plain (no preflight).
    if (pageHidden && typeof navigator !== 'undefined' && navigator.sendBeacon?.(presenceUrl, body)) return;
    this.#options
      .fetch(presenceUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, keepalive: true })
      .catch(() => {
        // Presence is best effort: the server's idle timeout covers a lost report.
      });
  }
}
