// Who is speaking: audio levels of every participant (the received audio for the others, the microphone as sent
// for us), smoothed, so that the dominant speaker changes only after about a second of speech.
//
// A level is the mean over the time since the previous sample (W3C stats: the growth of totalAudioEnergy over that
// of totalSamplesDuration), not the level of the newest packet: a word or a beep that fell between two samples still
// counts. The newest packet's level (RTP contributing sources) is the fallback for a browser without those stats.

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
/** Key prefix of our own microphone's energy on the connection to a peer. */
const LOCAL = 'local:';
/** Weight of the newest reading in the running average. */
const SMOOTHING = 0.35;

/** Tracks the loudest participant; `dominant` stays the last one who spoke when everyone falls silent. */
export class DominantSpeaker {
  readonly #levels = new Map<string, number>();
  /** Audio energy seen at the previous sample, per participant (ours per connection, under LOCAL + its peer). */
  readonly #energy = new Map<string, AudioEnergy>();
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
      const me = this.options.localId();
      let local: number | undefined;
      for (const [peerId, pc] of this.options.connections()) {
        if (pc.connectionState !== 'connected') continue;
        const stats = await pc.getStats();
        const received = this.#meanLevel(peerId, find(stats, 'inbound-rtp'));
        now.set(peerId, received ?? newestPacketLevel(pc));
        // Our microphone as sent on the first connection (every connection sends the same track; each counts its own).
        if (local === undefined && me)
          local = this.options.localMuted() || !sendsAudio(pc) ? 0 : (this.#meanLevel(`${LOCAL}${peerId}`, find(stats, 'media-source')) ?? 0);
      }
      if (me) now.set(me, local ?? 0);
      for (const id of [...this.#levels.keys()]) if (!now.has(id)) this.#levels.delete(id);
      for (const key of [...this.#energy.keys()]) if (!now.has(key.startsWith(LOCAL) ? key.slice(LOCAL.length) : key)) this.#energy.delete(key);
      let loudest: string | undefined;
      let loudestLevel = SPEAKING_LEVEL;
      for (const [id, level] of now) {
        const smoothed = (this.#levels.get(id) ?? 0) * (1 - SMOOTHING) + level * SMOOTHING;
        this.#levels.set(id, smoothed);
        if (smoothed > loudestLevel) {
          loudest = id;
          loudestLevel = smoothed;
        }
      }
      if (loudest !== undefined && loudest !== this.#dominant) this.options.changed((this.#dominant = loudest));
    } catch (error) {
      console.warn('v4h room: reading audio levels failed:', error);
    } finally {
      this.#busy = false;
    }
  }

  /** The mean level since this participant's previous sample (0 at the first); undefined without energy stats. */
  #meanLevel(id: string, current: AudioEnergy | undefined): number | undefined {
    if (!current) return undefined;
    const previous = this.#energy.get(id);
    this.#energy.set(id, current);
    const duration = previous ? current.duration - previous.duration : 0;
    // No time passed, or the counters restarted (a new connection after a failure): no reading this time.
    if (!previous || duration <= 0 || current.energy < previous.energy) return 0;
    return Math.min(1, Math.sqrt((current.energy - previous.energy) / duration));
  }
}

interface AudioEnergy {
  energy: number;
  duration: number;
}

/** The getStats() fields read here (the DOM hands the entries over as any, and lists no audio energy). */
interface AudioStatsEntry {
  type: string;
  kind?: string;
  totalAudioEnergy?: unknown;
  totalSamplesDuration?: unknown;
}

/** The audio stats of one type ('inbound-rtp' for what we receive, 'media-source' for our microphone). */
function find(stats: RTCStatsReport, type: 'inbound-rtp' | 'media-source'): AudioEnergy | undefined {
  let found: AudioEnergy | undefined;
  stats.forEach((r: AudioStatsEntry) => {
    if (r.type === type && r.kind === 'audio' && typeof r.totalAudioEnergy === 'number' && typeof r.totalSamplesDuration === 'number') {
      found = { energy: r.totalAudioEnergy, duration: r.totalSamplesDuration };
    }
  });
  return found;
}

function sendsAudio(pc: RTCPeerConnection): boolean {
  return pc.getSenders().some((s) => s.track?.kind === 'audio' && s.track.enabled);
}

/** The level of the newest audio packet received (0–1), for a browser without energy stats. */
function newestPacketLevel(pc: RTCPeerConnection): number {
  let level = 0;
  for (const receiver of pc.getReceivers()) {
    if (receiver.track.kind !== 'audio') continue;
    for (const source of receiver.getSynchronizationSources()) level = Math.max(level, source.audioLevel ?? 0);
  }
  return level;
}
