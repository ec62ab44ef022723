// Who is speaking: audio levels of every participant (RTP contributing sources for the others, the microphone's
// sender stats for us), smoothed, so that the dominant speaker changes only after about a second of speech.

export interface SpeakerOptions {
  connections(): Array<[string, RTCPeerConnection]>;
  /** Our participant id (undefined before we joined). */
  localId(): string | undefined;
  /** Whether our microphone is muted (a muted track still reports the level of silence, but be sure). */
  localMuted(): boolean;
  changed(id: string): void;
  intervalMs?: number;
}

/** Below this smoothed level (0–1, RFC 6464 as a linear value) nobody is speaking. */
const SPEAKING_LEVEL = 0.02;
/** Weight of the newest reading in the running average. */
const SMOOTHING = 0.35;

/** Tracks the loudest participant; `dominant` stays the last one who spoke when everyone falls silent. */
export class DominantSpeaker {
  readonly #levels = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #dominant: string | undefined;
  #busy = false;

  constructor(readonly options: SpeakerOptions) {}

  get dominant(): string | undefined {
    return this.#dominant;
  }

  start() {
    this.#timer ??= setInterval(() => void this.sample(), this.options.intervalMs ?? 300);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async sample() {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const now = new Map<string, number>();
      let local = 0;
      for (const [peerId, pc] of this.options.connections()) {
        if (pc.connectionState !== 'connected') continue;
        for (const receiver of pc.getReceivers()) {
          if (receiver.track.kind !== 'audio') continue;
          // Sources heard in the last 10 s; a muted microphone sends silence (level 0).
          for (const source of receiver.getSynchronizationSources()) now.set(peerId, Math.max(now.get(peerId) ?? 0, source.audioLevel ?? 0));
        }
        if (!local && !this.options.localMuted()) local = await senderLevel(pc);
      }
      const me = this.options.localId();
      if (me) now.set(me, local);
      for (const id of [...this.#levels.keys()]) if (!now.has(id)) this.#levels.delete(id);
      let loudest: string | undefined;
      let loudestLevel = SPEAKING_LEVEL;
      for (const [id, level] of now) {
        const smoothed = (this.#levels.get(id) ?? 0) * (1 - SMOOTHING) + level * SMOOTHING;
        this.#levels.set(id, smoothed);
        if (smoothed > loudestLevel) (loudest = id), (loudestLevel = smoothed);
      }
      if (loudest !== undefined && loudest !== this.#dominant) this.options.changed((this.#dominant = loudest));
    } catch (error) {
      console.warn('v4h room: reading audio levels failed:', error);
    } finally {
      this.#busy = false;
    }
  }
}

/** Our microphone's level as sent on this connection (media-source stats). */
async function senderLevel(pc: RTCPeerConnection): Promise<number> {
  const sender = pc.getSenders().find((s) => s.track?.kind === 'audio' && s.track.enabled);
  if (!sender) return 0;
  let level = 0;
  (await sender.getStats()).forEach((r) => {
    if (r.type === 'media-source' && r.kind === 'audio' && typeof r.audioLevel === 'number') level = Math.max(level, r.audioLevel);
  });
  return level;
}
