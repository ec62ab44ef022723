// The pre-call check's verdict: published thresholds of Daily, Jitsi and Twilio applied to what the check measured.
// Pure (no browser API), so that the classification is tested on its own (classify.test.ts).

/** What a device check found: it worked, or why not. */
export type DeviceState = 'ok' | 'denied' | 'not_found' | 'in_use' | 'no_signal' | 'error' | 'skipped';

/** How the loopback's media got through: over the TURN relay, directly, or not at all. */
export type Connectivity = 'direct' | 'relay' | 'failed';

/** The loopback's figures (null: not measured). */
export interface NetworkFigures {
  connectivity: Connectivity;
  /** Round-trip time of the selected candidate pair, ms (the highest sample, as Daily's maxRoundTripTime). */
  rttMs: number | null;
  /** Inbound RTP jitter, ms (the highest sample). */
  jitterMs: number | null;
  /** Fraction (0–1) of the packets sent that never arrived, over the whole test. */
  packetLoss: number | null;
  /** Outgoing throughput reached, kbit/s (the browser's estimate of the available outgoing bitrate, else what was sent). */
  bitrateKbps: number | null;
}

export type PrecheckVerdict = 'good' | 'warning' | 'bad';

/** Why the verdict is not 'good': one code per finding, in the order the page shows them. */
export type PrecheckReason =
  | `camera_${Exclude<DeviceState, 'ok' | 'skipped'>}`
  | `microphone_${Exclude<DeviceState, 'ok' | 'skipped'>}`
  | 'network_failed'
  | 'relay_unreachable'
  | 'rtt'
  | 'packet_loss'
  | 'jitter'
  | 'bitrate';

/**
 * [warning, bad] limits, each from a published pre-call test or call monitor:
 * - rttMs: Daily testCallQuality() — good < 300 ms, warning 300–600 ms, bad ≥ 600 ms (maxRoundTripTime;
 *   https://docs.daily.co/reference/daily-js/instance-methods/test-call-quality).
 * - packetLoss: Daily testCallQuality() — good < 5 %, warning 5–10 %, bad ≥ 10 % (avgSendPacketLoss). Jitsi's prejoin
 *   (jitsi-meet base/premeeting/functions.ts, over @jitsi/precall-test's fractionalLoss) agrees: video tears above
 *   0.05 and freezes above 0.1.
 * - jitterMs: Twilio's call monitor raises high-jitter above 30 ms (twilio-voice.js StatsMonitor DEFAULT_THRESHOLDS,
 *   jitter.max; its PreflightTest reports that warning). No source publishes a "bad" jitter, so jitter only warns.
 * - bitrateKbps: Jitsi's prejoin over @jitsi/precall-test's throughput (the bandwidth reached): below 750 kbit/s video
 *   is low quality, below 8 kbit/s even audio is impossible (THROUGHPUT_VIDEO_THRESHOLDS, THROUGHPUT_AUDIO_THRESHOLDS).
 *   Daily's 700/1,100 kbit/s are its own HD send rate, not a bandwidth reached, so they are not used here.
 */
export const PRECHECK_LIMITS = {
  rttMs: [300, 600],
  packetLoss: [0.05, 0.1],
  jitterMs: [30, Infinity],
  bitrateKbps: [750, 8],
} as const;

/**
 * The microphone "hears" something when the level moved by at least 1 % of full scale over the samples: Twilio raises
 * constant-audio-input-level when the standard deviation of the input level (0–32767) stays under 327.67.
 */
export const MIN_LEVEL_DEVIATION = 327.67 / 32767;

const RANK: Record<PrecheckVerdict, number> = { good: 0, warning: 1, bad: 2 };
const worse = (a: PrecheckVerdict, b: PrecheckVerdict): PrecheckVerdict => (RANK[b] > RANK[a] ? b : a);

/** The standard deviation of level samples (0–1); 0 for fewer than two. */
export function deviation(samples: readonly number[]): number {
  if (samples.length < 2) return 0;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / samples.length);
}

/**
 * The verdict: the worst finding decides. Without a microphone the visit cannot go on ('bad'); without a camera it
 * can, by voice ('warning', as Jitsi's prejoin calls an audio-only connection non-optimal rather than poor). A loopback
 * that carried no media is 'bad' (Jitsi: no media connectivity is a poor connection; Daily: 'failed').
 */
export function classifyPrecheck(input: {
  camera: DeviceState;
  microphone: DeviceState;
  network: NetworkFigures;
  /** TURN was configured but the relay carried nothing, and the direct path did. */
  relayUnreachable?: boolean;
}): { result: PrecheckVerdict; reasons: PrecheckReason[] } {
  let result: PrecheckVerdict = 'good';
  const reasons: PrecheckReason[] = [];
  const add = (reason: PrecheckReason, level: PrecheckVerdict) => {
    result = worse(result, level);
    reasons.push(reason);
  };
  if (input.microphone !== 'ok' && input.microphone !== 'skipped') add(`microphone_${input.microphone}`, input.microphone === 'no_signal' ? 'warning' : 'bad');
  if (input.camera !== 'ok' && input.camera !== 'skipped') add(`camera_${input.camera}`, 'warning');
  const n = input.network;
  if (n.connectivity === 'failed') {
    add('network_failed', 'bad');
    return { result, reasons };
  }
  if (input.relayUnreachable) add('relay_unreachable', 'warning');
  const above = (v: number | null, [warn, bad]: readonly [number, number]): PrecheckVerdict | null =>
    v === null ? null : v >= bad ? 'bad' : v >= warn ? 'warning' : null;
  const below = (v: number | null, [warn, bad]: readonly [number, number]): PrecheckVerdict | null =>
    v === null ? null : v < bad ? 'bad' : v < warn ? 'warning' : null;
  const checks: Array<[PrecheckReason, PrecheckVerdict | null]> = [
    ['rtt', above(n.rttMs, PRECHECK_LIMITS.rttMs)],
    ['packet_loss', above(n.packetLoss, PRECHECK_LIMITS.packetLoss)],
    ['jitter', n.jitterMs !== null && n.jitterMs > PRECHECK_LIMITS.jitterMs[0] ? 'warning' : null],
    ['bitrate', below(n.bitrateKbps, PRECHECK_LIMITS.bitrateKbps)],
  ];
  for (const [reason, level] of checks) if (level) add(reason, level);
  return { result, reasons };
}
