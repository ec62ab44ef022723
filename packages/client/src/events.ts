// A minimal typed event emitter (no dependencies): on/off/emit over a map of event → payload.
import type { V4HError } from './errors.js';
import type { StoredFile, VisitState, WaitingEntry } from '@v4h/protocol';

/** Events a {@link V4H} instance emits, with their payloads. */
export interface V4HEvents {
  /** The call is over for this user (hang-up, ended by the owner, page left). */
  ended: { sessionId: string };
  /** This user joined the call. */
  joined: { sessionId: string; participantId?: string; displayName?: string };
  /** This user left the call. */
  left: { sessionId: string };
  /** Someone else joined. */
  participantJoined: { sessionId: string; id: string; displayName?: string };
  /** Someone else left. */
  participantLeft: { sessionId: string; id: string };
  /**
   * The built-in room measured a change in the link to another participant (Jitsi never sends it): `state` good,
   * warning or bad, `reasons` the figures past their limits (`rtt`, `packetLoss`, `bitrate`, `disconnected`).
   */
  networkQualityChanged: {
    sessionId: string;
    participantId: string;
    state: 'good' | 'warning' | 'bad';
    reasons: Array<'rtt' | 'packetLoss' | 'bitrate' | 'disconnected'>;
    rttMs: number | null;
    packetLoss: number | null;
    bitrateKbps: number | null;
  };
  /** Jitsi reported a fatal error (e.g. its token was refused) or asked for a room password: code `jitsi_error`. */
  error: { sessionId: string; error: V4HError };
  /** The owner asked for consent (`requestConsent`): show `text` and answer with `answerConsent` (the built-in room asks by itself). */
  consentRequested: { sessionId: string; requestId: string; purpose: string; text: string; locale: string };
  /** The conference is being recorded (the built-in room shows it to everyone; Jitsi shows its own). */
  recordingStarted: { sessionId: string };
  /** `reason`: `owner`, `consent_declined` (someone refused: they are not recorded) or `conference_ended`. */
  recordingStopped: { sessionId: string; reason: string };
  /** A recording of the conference was stored: its server-computed `sha256` and a signed `url` (Range supported). */
  recordingStored: { sessionId: string; file: StoredFile };
  /** The call cannot record: `reason` e.g. Jitsi's error (no Jibri or JaaS recording), or the browser cannot record. */
  recordingUnavailable: { sessionId: string; reason: string; message?: string };
  /** Owner: a guest knocked at the conference's waiting room (docs/api.md, Waiting room); `name` as they gave it. */
  knocking: { sessionId: string; participantId: string; name: string | null };
  /** Owner: the waiting room's list changed (a knock, an admission, a denial, a guest who left). */
  waitingChanged: { sessionId: string; waiting: WaitingEntry[] };
  /** Guest (`joinAsGuest`): where the visit stands: `new`, `waiting`, `admitted`, `denied` (with `reason`), `ended`. */
  visitStateChanged: { sessionId: string; state: VisitState; reason?: string; hostName: string };
  /** The session could not be renewed: sign in again. */
  authExpired: { error: V4HError };
}

export type V4HEventName = keyof V4HEvents;
export type V4HListener<E extends V4HEventName> = (payload: V4HEvents[E]) => void;

export class Emitter {
  #listeners = new Map<V4HEventName, Set<(payload: never) => void>>();

  on<E extends V4HEventName>(event: E, listener: V4HListener<E>): void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
  }

  off<E extends V4HEventName>(event: E, listener: V4HListener<E>): void {
    this.#listeners.get(event)?.delete(listener);
  }

  emit<E extends V4HEventName>(event: E, payload: V4HEvents[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      // A throwing listener must not break the SDK's own bookkeeping or the other listeners.
      try {
        (listener as V4HListener<E>)(payload);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
