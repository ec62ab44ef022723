// Recording and consent in the built-in room: the conference's log (consent requests and answers, recording started
// and stopped) signalled to the room's pages as it grows, and an API token for the owner's page, which records.
import type { ServerMessage } from './protocol.js';
import type { RoomIdentity } from './room-tokens.js';

/** A member of a room whose socket this process holds. */
export interface RelayMember {
  id: string;
  identity: RoomIdentity;
  send(msg: ServerMessage): void;
}

/** A log row as the event hub delivers it. */
type Row = { seq: number; type: string; data: string };

export interface RoomRecordingOptions {
  /** Delivers a conference's log rows from the first on, then as appended (events/hub.ts); returns the unsubscribe. */
  subscribe(sessionId: string, listener: (rows: readonly Row[]) => void): () => void;
  /** An API access token for the owner's page (auth's signer, for an account still admitted), else undefined. */
  apiToken?(identity: RoomIdentity): Promise<{ token: string; expiresAt: number } | undefined>;
  log?: { warn(obj: object, msg: string): void };
}

interface Watched {
  ownerId: string;
  members: () => RelayMember[];
  unsubscribe: () => void;
  recording: boolean;
  requestId: string | null;
  /** The last consent or recording event: a page re-reads GET …/recording when it changes. */
  seq: number;
}

const RELEVANT = new Set(['consent_requested', 'consent_given', 'consent_declined', 'recording_started', 'recording_stopped', 'ended']);

/** One per room service: follows the log of every conference with a room member on this process. */
export class RoomRecording {
  readonly #o: RoomRecordingOptions;
  readonly #watched = new Map<string, Watched>();

  constructor(options: RoomRecordingOptions) {
    this.#o = options;
  }

  /** A room has a member on this process: follow its conference (once). */
  watch(sessionId: string, ownerId: string, members: () => RelayMember[]) {
    if (this.#watched.has(sessionId)) return;
    const w: Watched = { ownerId, members, unsubscribe: () => {}, recording: false, requestId: null, seq: 0 };
    this.#watched.set(sessionId, w);
    w.unsubscribe = this.#o.subscribe(sessionId, (rows) => this.#apply(sessionId, w, rows));
  }

  /** No member left on this process. */
  unwatch(sessionId: string) {
    this.#watched.get(sessionId)?.unsubscribe();
    this.#watched.delete(sessionId);
  }

  close() {
    for (const sessionId of [...this.#watched.keys()]) this.unwatch(sessionId);
  }

  /** A member joined, resumed or left: everyone's state again (the page that records may change; a newcomer is asked). */
  changed(sessionId: string) {
    const w = this.#watched.get(sessionId);
    if (w) this.#broadcast(sessionId, w);
  }

  /** The owner's page asks for an API token (it uploads the recording); anyone else is refused. */
  async apiToken(sessionId: string, ownerId: string, member: RelayMember) {
    if (member.identity.userId !== ownerId || !this.#o.apiToken) return member.send({ type: 'api-token-refused', reason: 'only the owner’s page records' });
    const token = await this.#o.apiToken(member.identity).catch((e: unknown) => void this.#o.log?.warn({ err: e }, 'room: issuing an API token failed'));
    member.send(token ? { type: 'api-token', ...token, sessionId } : { type: 'api-token-refused', reason: 'this account may no longer use the API' });
  }

  #apply(sessionId: string, w: Watched, rows: readonly Row[]) {
    let changed = false;
    for (const row of rows) {
      if (!RELEVANT.has(row.type)) continue;
      changed = true;
      w.seq = Number(row.seq);
      if (row.type === 'consent_requested') w.requestId = requestIdOf(row.data) ?? w.requestId;
      else if (row.type === 'recording_started') w.recording = true;
      else if (row.type === 'recording_stopped' || row.type === 'ended') w.recording = false;
    }
    if (changed && this.#watched.get(sessionId) === w) this.#broadcast(sessionId, w);
  }

  #broadcast(sessionId: string, w: Watched) {
    const members = w.members();
    // The owner's page that came first records (a second tab of the owner does not record twice).
    const recorderId = members.find((m) => m.identity.userId === w.ownerId)?.id ?? null;
    for (const m of members) m.send({ type: 'recording-state', sessionId, recording: w.recording, requestId: w.requestId, recorderId, seq: w.seq });
  }
}

function requestIdOf(data: string): string | undefined {
  try {
    const id = (JSON.parse(data) as { requestId?: unknown; purpose?: unknown }).requestId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
