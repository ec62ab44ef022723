// Network quality of the built-in room, shared by the meeting page and the server: how a link is classified, and
// the per-participant call summary a page reports (numbers and ids only: no personal data).

export type QualityState = 'good' | 'warning' | 'bad';
export type QualityReason = 'rtt' | 'packetLoss' | 'bitrate' | 'disconnected';

/** One link's figures over the last sampling interval (null: not measurable yet). */
export interface LinkFigures {
  /** Round-trip time of the selected ICE candidate pair, ms. */
  rttMs: number | null;
  /** Fraction (0–1) of the packets this peer sent us that were lost. */
  packetLoss: number | null;
  /** Everything received from this peer, kbit/s. */
  bitrateKbps: number | null;
  /** Video received from this peer, kbit/s; null when the peer sends no video (camera off). */
  videoKbps: number | null;
  /** False while the peer connection is disconnected or failed. */
  connected: boolean;
}

/**
 * Limits, warning then bad. RTT from ITU-T G.114 (above ~300 ms one-way-ish delay hurts conversation); loss where
 * Opus and VP8 concealment stops hiding it; video bitrate below which a camera image is barely recognisable.
 */
export const QUALITY_LIMITS = {
  rttMs: [300, 600],
  packetLoss: [0.03, 0.1],
  videoKbps: [100, 30],
} as const;

const RANK: Record<QualityState, number> = { good: 0, warning: 1, bad: 2 };

export const worse = (a: QualityState, b: QualityState): QualityState => (RANK[b] > RANK[a] ? b : a);

/** Classifies one link: the worst of its figures decides; `reasons` lists every figure past a limit. */
export function classifyLink(f: LinkFigures): { state: QualityState; reasons: QualityReason[] } {
  if (!f.connected) return { state: 'bad', reasons: ['disconnected'] };
  let state: QualityState = 'good';
  const reasons: QualityReason[] = [];
  const check = (reason: QualityReason, level: QualityState) => {
    if (level === 'good') return;
    state = worse(state, level);
    reasons.push(reason);
  };
  const above = (v: number | null, [warn, bad]: readonly [number, number]): QualityState =>
    v === null ? 'good' : v >= bad ? 'bad' : v >= warn ? 'warning' : 'good';
  const below = (v: number | null, [warn, bad]: readonly [number, number]): QualityState =>
    v === null ? 'good' : v <= bad ? 'bad' : v <= warn ? 'warning' : 'good';
  check('rtt', above(f.rttMs, QUALITY_LIMITS.rttMs));
  check('packetLoss', above(f.packetLoss, QUALITY_LIMITS.packetLoss));
  check('bitrate', below(f.videoKbps, QUALITY_LIMITS.videoKbps));
  return { state, reasons };
}

/** What one participant's page measured over its call (all its links), reported on leave and every 30 s. */
export interface QualitySummary {
  /** Seconds of the call that were sampled. */
  durationSeconds: number;
  /** Link samples taken (one per peer per interval). */
  samples: number;
  /** Seconds in each state (the worst link decides each interval). */
  seconds: Record<QualityState, number>;
  rttMs: { avg: number; max: number } | null;
  packetLoss: { avg: number; max: number } | null;
  bitrateKbps: { avg: number; min: number } | null;
}

const MAX_SECONDS = 7 * 24 * 3600;
const num = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max;
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Validates a summary from a page and rebuilds it from known fields only (nothing else can ride along); undefined when malformed. */
export function parseQualitySummary(v: unknown): QualitySummary | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const s = v as Record<string, unknown>;
  const pair = <K extends string>(o: unknown, a: 'avg', b: K, max: number, digits: number) => {
    if (o === null) return null;
    const x = o as Record<string, unknown> | undefined;
    if (!x || typeof x !== 'object' || !num(x[a], max) || !num(x[b], max)) return undefined;
    return { [a]: round(x[a], digits), [b]: round(x[b], digits) } as { avg: number } & Record<K, number>;
  };
  const seconds = s.seconds as Record<string, unknown> | undefined;
  if (!num(s.durationSeconds, MAX_SECONDS) || !Number.isInteger(s.samples) || !num(s.samples, 10_000_000)) return undefined;
  if (!seconds || typeof seconds !== 'object' || !(['good', 'warning', 'bad'] as const).every((k) => num(seconds[k], MAX_SECONDS))) return undefined;
  const rttMs = pair(s.rttMs, 'avg', 'max', 60_000, 0);
  const packetLoss = pair(s.packetLoss, 'avg', 'max', 1, 4);
  const bitrateKbps = pair(s.bitrateKbps, 'avg', 'min', 1_000_000, 0);
  if (rttMs === undefined || packetLoss === undefined || bitrateKbps === undefined) return undefined;
  return {
    durationSeconds: round(s.durationSeconds, 1),
    samples: s.samples,
    seconds: { good: round(seconds.good as number, 1), warning: round(seconds.warning as number, 1), bad: round(seconds.bad as number, 1) },
    rttMs,
    packetLoss,
    bitrateKbps,
  };
}
