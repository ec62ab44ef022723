// One embedded call: reports presence to the server, hangs up gracefully, and tears down once.
import { V4HError } from './errors.js';
import type { Emitter } from './events.js';
import type { FetchLike } from './http.js';
import type { JitsiMeetExternalAPI } from './jitsi.js';
import type { Embed } from '@v4h/protocol';

/** What the server answers to start/join: everything needed to open the call (the wire's type). */
export type { Embed };

/**
 * Why a call is hung up: `leave` (this user only), `end` (the owner ends it for everyone) or `ended` (the
 * server says the conference is over, e.g. ended from another device, by REST or by a timeout).
 */
export type HangUpReason = 'leave' | 'end' | 'ended';

export interface CallOptions {
  embed: Embed;
  api: JitsiMeetExternalAPI;
  /** Sent with the `avatarUrl` command when there is no token to carry it. */
  avatarUrl?: string;
  presenceUrl: string;
  fetch: FetchLike;
  events: Emitter;
  /** Called once, after the iframe is gone. */
  onEnd: (call: Call) => void;
  /** How long hangUp waits for Jitsi's videoConferenceLeft/readyToClose before disposing (default 3000 ms). */
  hangUpWaitMs?: number;
  /** How long a videoConferenceLeft may wait for a re-join (breakout rooms, Jitsi reloading) before the call is over (default 5000 ms). */
  rejoinWindowMs?: number;
}

// Errors Jitsi reports that leave the user outside the conference without anything else happening.
const PASSWORD_REQUIRED = 'conference.passwordRequired';

export class Call {
  readonly sessionId: string;
  readonly api: JitsiMeetExternalAPI;
  readonly moderator: boolean;
  /** In the built-in room (it records itself), not Jitsi. */
  readonly builtin: boolean;
  readonly #options: CallOptions;
  #joined = false;
  #over = false;
  #hangingUp: Promise<void> | null = null;
  #leftConference: (() => void) | null = null;
  #rejoinTimer: ReturnType<typeof setTimeout> | undefined;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onPageHide = () => this.end(true);

  constructor(options: CallOptions) {
    this.#options = options;
    this.sessionId = options.embed.sessionId;
    this.api = options.api;
    this.moderator = options.embed.moderator;
    this.builtin = options.embed.presenceToken === null;
    const { api, events } = options;
    const sessionId = this.sessionId;
    api.on('videoConferenceJoined', (info) => {
      if (this.#over) return;
      // A join right after a leave is Jitsi moving us (breakout room) or reloading itself: the call goes on.
      clearTimeout(this.#rejoinTimer);
      this.#rejoinTimer = undefined;
      if (this.#joined) return;
      this.#joined = true;
      if (!options.embed.jwt && options.avatarUrl) api.executeCommand('avatarUrl', options.avatarUrl);
      if (options.embed.lobby) api.executeCommand('toggleLobby', true);
      this.#report('joined', false);
      events.emit('joined', { sessionId, participantId: info?.id, displayName: info?.displayName });
    });
    api.on('participantJoined', (p) => events.emit('participantJoined', { sessionId, id: p?.id, displayName: p?.displayName }));
    api.on('participantLeft', (p) => events.emit('participantLeft', { sessionId, id: p?.id }));
    api.on('networkQualityChanged', (q) => events.emit('networkQualityChanged', { ...q, sessionId }));
    // Jitsi (no Jibri or JaaS recording) or the built-in room (a browser that cannot record) says it cannot record.
    api.on('recordingStatusChanged', (s) => s?.error && events.emit('recordingUnavailable', { sessionId, reason: s.error, message: s.message }));
    api.on('videoConferenceLeft', () => {
      if (this.#leftConference) return this.#leftConference();
      // Not asked to leave: over unless a re-join follows (readyToClose, when Jitsi sends it, settles it at once).
      if (this.#over || this.#rejoinTimer) return;
      this.#rejoinTimer = setTimeout(() => this.end(), options.rejoinWindowMs ?? 5000);
    });
    api.on('readyToClose', () => (this.#leftConference ? this.#leftConference() : this.end()));
    api.on('errorOccurred', (payload) => {
      const error = payload?.error;
      if (!error?.isFatal) return;
      this.#fail(error.name, error.message);
    });
    api.on('passwordRequired', () => this.#fail(PASSWORD_REQUIRED, 'the room is locked with a password'));
    globalThis.addEventListener?.('pagehide', this.#onPageHide);
  }

  get over(): boolean {
    return this.#over;
  }

  /**
   * Hangs up gracefully: sends `endConference` (a moderator ending it for everyone, or told by the server that it
   * ended) or `hangup`, hides the iframe, and disposes it once Jitsi confirms the leave (videoConferenceLeft or
   * readyToClose) or after a bounded wait. Resolves when the call is over; calling it again joins the same wait.
   */
  hangUp(reason: HangUpReason = 'leave'): Promise<void> {
    if (this.#over) return Promise.resolve();
    if (this.#hangingUp) return this.#hangingUp;
    clearTimeout(this.#rejoinTimer);
    this.#hangingUp = new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.end();
        resolve();
      };
      const timer = setTimeout(finish, this.#options.hangUpWaitMs ?? 3000);
      this.#leftConference = finish;
      try {
        const frame = this.api.getIFrame?.();
        if (frame) frame.style.visibility = 'hidden';
      } catch {
        // Hiding is cosmetic; the iframe goes with dispose() below.
      }
      try {
        this.api.executeCommand(reason !== 'leave' && this.moderator ? 'endConference' : 'hangup');
      } catch {
        finish();
      }
      // Never joined: Jitsi has nothing to leave and would confirm nothing.
      if (!this.#joined) finish();
    });
    return this.#hangingUp;
  }

  /** Ends the call for this user at once (once): tells the server, removes the iframe, emits left and ended. */
  end(pageHidden = false): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#rejoinTimer);
    clearTimeout(this.#renewTimer);
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

  #fail(name: string, message: string | undefined): void {
    if (this.#over) return;
    const error = new V4HError('jitsi_error', `Jitsi reported ${name}${message ? `: ${message}` : ''}`);
    this.#options.events.emit('error', { sessionId: this.sessionId, error });
  }

  /**
   * Reports `joined` / `left`, or renews the presence token (`renew`): it is short-lived, and the answers to `joined`
   * and `renew` carry the next one and when to renew it, for as long as the user's session holds.
   */
  #report(event: 'joined' | 'left' | 'renew', pageHidden: boolean): void {
    const { presenceUrl, embed } = this.#options;
    if (embed.presenceToken === null) return;
    const body = JSON.stringify({ event, presenceToken: embed.presenceToken });
    // While the page unloads only a beacon is sure to leave; a string body goes as text/plain (no preflight).
    if (pageHidden && typeof navigator !== 'undefined' && navigator.sendBeacon?.(presenceUrl, body)) return;
    this.#options
      .fetch(presenceUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, keepalive: true })
      .then((res) => res.json())
      .then((reply: { presenceToken?: string; renewIn: number }) => {
        if (this.#over || !reply.presenceToken) return;
        embed.presenceToken = reply.presenceToken;
        this.#renewTimer = setTimeout(() => this.#report('renew', false), reply.renewIn * 1000);
      })
      .catch(() => {
        // Presence is best effort: the server's idle timeout covers a lost report.
      });
  }
}
