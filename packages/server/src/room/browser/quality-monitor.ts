// Samples getStats() of every peer link every few seconds, classifies each link and keeps the call's summary.
import { classifyLink, worse, type LinkFigures, type QualityReason, type QualityState, type QualitySummary } from '../quality.js';

/** What the page hears when a link's state changes (the IFrame event networkQualityChanged minus the id). */
export interface LinkQuality {
  state: QualityState;
  reasons: QualityReason[];
  rttMs: number | null;
  packetLoss: number | null;
  bitrateKbps: number | null;
}

export interface QualityMonitorOptions {
  connections(): Array<[string, RTCPeerConnection]>;
  /** Whether this peer should be sending video (its camera is on): low video bitrate only counts then. */
  expectsVideo(peerId: string): boolean;
  /** A link's state changed (also its first classification). */
  changed(peerId: string, quality: LinkQuality): void;
  /** The worst link changed (the local tile shows it); undefined when no link is measured. */
  overall(state: QualityState | undefined): void;
  /** Every `reportEvery` samples: the summary so far (the page sends it to the server). */
  report(summary: QualitySummary): void;
  intervalMs?: number;
  reportEvery?: number;
}

interface Counters {
  at: number;
  bytes: number;
  videoBytes: number;
  lost: number;
  received: number;
}

interface Link {
  pc: RTCPeerConnection;
  prev?: Counters;
  state?: QualityState;
}

/** The getStats() fields read here, of the transport, inbound-rtp and candidate-pair entries (the DOM hands them over as any). */
interface StatsEntry {
  type: string;
  id: string;
  selectedCandidatePairId?: string;
  kind?: string;
  bytesReceived?: number;
  packetsLost?: number;
  packetsReceived?: number;
  framesDecoded?: number;
  currentRoundTripTime?: number;
  nominated?: boolean;
  state?: string;
}

/** Reads what the figures need from one getStats() report. */
function read(report: RTCStatsReport): { counters: Counters; rttMs: number | null; videoFlowing: boolean } {
  const counters: Counters = { at: performance.now(), bytes: 0, videoBytes: 0, lost: 0, received: 0 };
  let rttMs: number | null = null;
  let pairId: string | undefined;
  let videoFlowing = false;
  report.forEach((r: StatsEntry) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
  });
  report.forEach((r: StatsEntry) => {
    if (r.type === 'inbound-rtp') {
      counters.bytes += r.bytesReceived ?? 0;
      counters.lost += Math.max(0, r.packetsLost ?? 0);
      counters.received += r.packetsReceived ?? 0;
      if (r.kind === 'video') {
        counters.videoBytes += r.bytesReceived ?? 0;
        // Bitrate is judged once video has been decoded: the first seconds of a link ramp up.
        videoFlowing ||= (r.framesDecoded ?? 0) > 0;
      }
    } else if (r.type === 'candidate-pair' && typeof r.currentRoundTripTime === 'number') {
      if (r.id === pairId || (pairId === undefined && r.nominated && r.state === 'succeeded')) rttMs = Math.round(r.currentRoundTripTime * 1000);
    }
  });
  return { counters, rttMs, videoFlowing };
}

/** Running sums for the call summary. */
class SummaryBuilder {
  samples = 0;
  seconds: Record<QualityState, number> = { good: 0, warning: 0, bad: 0 };
  #rtt = { n: 0, sum: 0, max: 0 };
  #loss = { n: 0, sum: 0, max: 0 };
  #rate = { n: 0, sum: 0, min: Infinity };

  add(f: LinkFigures) {
    this.samples++;
    if (f.rttMs !== null) {
      this.#rtt.n++;
      this.#rtt.sum += f.rttMs;
      this.#rtt.max = Math.max(this.#rtt.max, f.rttMs);
    }
    if (f.packetLoss !== null) {
      this.#loss.n++;
      this.#loss.sum += f.packetLoss;
      this.#loss.max = Math.max(this.#loss.max, f.packetLoss);
    }
    if (f.bitrateKbps !== null) {
      this.#rate.n++;
      this.#rate.sum += f.bitrateKbps;
      this.#rate.min = Math.min(this.#rate.min, f.bitrateKbps);
    }
  }

  build(): QualitySummary {
    const { good, warning, bad } = this.seconds;
    return {
      durationSeconds: good + warning + bad,
      samples: this.samples,
      seconds: { ...this.seconds },
      rttMs: this.#rtt.n ? { avg: this.#rtt.sum / this.#rtt.n, max: this.#rtt.max } : null,
      packetLoss: this.#loss.n ? { avg: this.#loss.sum / this.#loss.n, max: this.#loss.max } : null,
      bitrateKbps: this.#rate.n ? { avg: this.#rate.sum / this.#rate.n, min: this.#rate.min } : null,
    };
  }
}

/** The page's quality sampler: start() once in the call, stop() when it ends. */
export class QualityMonitor {
  readonly #links = new Map<string, Link>();
  readonly #summary = new SummaryBuilder();
  #timer: ReturnType<typeof setInterval> | undefined;
  #ticks = 0;
  #overall: QualityState | undefined;
  #sampling = false;

  constructor(readonly options: QualityMonitorOptions) {}

  start() {
    this.#timer ??= setInterval(() => void this.sample(), this.options.intervalMs ?? 2000);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  summary(): QualitySummary {
    return this.#summary.build();
  }

  /** One round: every link's figures since the last round. */
  async sample() {
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      const interval = (this.options.intervalMs ?? 2000) / 1000;
      const live = new Set<string>();
      let worst: QualityState | undefined;
      for (const [peerId, pc] of this.options.connections()) {
        live.add(peerId);
        let link = this.#links.get(peerId);
        // A new connection to the same peer (reconnection, restart) starts its counters afresh.
        if (!link || link.pc !== pc) this.#links.set(peerId, (link = { pc }));
        if (pc.connectionState === 'new' || pc.connectionState === 'connecting' || pc.connectionState === 'closed') continue;
        const { counters, rttMs, videoFlowing } = read(await pc.getStats());
        const prev = link.prev;
        link.prev = counters;
        const connected = pc.connectionState === 'connected';
        if (!prev && connected) continue;
        const seconds = prev ? (counters.at - prev.at) / 1000 : 0;
        const rate = (bytes: number) => (seconds > 0 ? Math.max(0, Math.round((bytes * 8) / 1000 / seconds)) : null);
        const lost = prev ? counters.lost - prev.lost : 0;
        const received = prev ? counters.received - prev.received : 0;
        const figures: LinkFigures = {
          rttMs,
          packetLoss: lost + received > 0 ? Math.max(0, lost) / (Math.max(0, lost) + received) : null,
          bitrateKbps: prev ? rate(counters.bytes - prev.bytes) : null,
          videoKbps: prev && videoFlowing && this.options.expectsVideo(peerId) ? rate(counters.videoBytes - prev.videoBytes) : null,
          connected,
        };
        const { state, reasons } = classifyLink(figures);
        this.#summary.add(figures);
        worst = worst === undefined ? state : worse(worst, state);
        if (state !== link.state) {
          link.state = state;
          const round = (v: number | null, d: number) => (v === null ? null : Math.round(v * 10 ** d) / 10 ** d);
          this.options.changed(peerId, { state, reasons, rttMs: figures.rttMs, packetLoss: round(figures.packetLoss, 4), bitrateKbps: figures.bitrateKbps });
        }
      }
      for (const id of [...this.#links.keys()]) if (!live.has(id)) this.#links.delete(id);
      if (worst !== undefined) this.#summary.seconds[worst] += interval;
      if (worst !== this.#overall) this.options.overall((this.#overall = worst));
      if (++this.#ticks % (this.options.reportEvery ?? 15) === 0 && this.#summary.samples) this.options.report(this.summary());
    } catch (error) {
      console.warn('v4h room: sampling the connection quality failed:', error);
    } finally {
      this.#sampling = false;
    }
  }
}
