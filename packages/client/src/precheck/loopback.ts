// The pre-call check's network test: two RTCPeerConnections in the page send media to each other through the
// configured ICE servers (relay-only when a TURN server is configured, so the media crosses the network to it and
// back, as @jitsi/precall-test and Twilio's preflight do) and getStats() measures the path.
import type { Connectivity, NetworkFigures } from './classify.js';

export interface LoopbackOptions {
  iceServers: RTCIceServer[];
  /** 'relay': TURN only; 'all': any path (on one machine, the direct one). */
  policy: RTCIceTransportPolicy;
  /** What to send; a synthetic video or audio track stands in for a missing kind. */
  tracks: MediaStreamTrack[];
  /** Seconds of media to measure once connected. */
  seconds: number;
  /** How long ICE may take to connect, ms. */
  connectTimeoutMs: number;
  signal?: AbortSignal;
  /** Called after each stats sample (the page may show progress). */
  onSample?: (elapsedSeconds: number) => void;
}

/** The getStats() fields the test reads (lib.dom types a report's entries as any). */
interface Stat {
  type: string;
  id: string;
  selectedCandidatePairId?: string;
  localCandidateId?: string;
  candidateType?: string;
  currentRoundTripTime?: number;
  availableOutgoingBitrate?: number;
  nominated?: boolean;
  state?: string;
  bytesSent?: number;
  packetsReceived?: number;
  packetsLost?: number;
  jitter?: number;
}

const each = (report: RTCStatsReport, visit: (stat: Stat) => void) => report.forEach((stat: Stat) => visit(stat));
const byId = (report: RTCStatsReport, id: string | undefined) => (id === undefined ? undefined : (report.get(id) as Stat | undefined));

const FAILED: NetworkFigures = { connectivity: 'failed', rttMs: null, jitterMs: null, packetLoss: null, bitrateKbps: null };

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Runs the loopback; resolves its figures (connectivity 'failed' when no media path opened). */
export async function runLoopback(o: LoopbackOptions): Promise<NetworkFigures> {
  if (typeof RTCPeerConnection !== 'function') return FAILED;
  const config: RTCConfiguration = { iceServers: o.iceServers, iceTransportPolicy: o.policy };
  const sender = new RTCPeerConnection(config);
  const receiver = new RTCPeerConnection(config);
  // Without video the bandwidth estimate never grows (audio alone probes nothing): a missing kind is made up.
  const has = (kind: string) => o.tracks.some((t) => t.kind === kind);
  const synthetic = has('video') && has('audio') ? null : syntheticMedia(!has('video'), !has('audio'));
  try {
    sender.onicecandidate = (e) => e.candidate && receiver.addIceCandidate(e.candidate).catch(() => {});
    receiver.onicecandidate = (e) => e.candidate && sender.addIceCandidate(e.candidate).catch(() => {});
    const stream = new MediaStream([...o.tracks, ...(synthetic?.tracks ?? [])]);
    for (const track of stream.getTracks()) sender.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    const offer = await sender.createOffer();
    await sender.setLocalDescription(offer);
    await receiver.setRemoteDescription(offer);
    const answer = await receiver.createAnswer();
    await receiver.setLocalDescription(answer);
    await sender.setRemoteDescription(answer);
    if (!(await connected(sender, o.connectTimeoutMs, o.signal))) return FAILED;

    let rttMs: number | null = null;
    let jitterMs: number | null = null;
    let bitrateKbps: number | null = null;
    let connectivity: Connectivity = 'direct';
    let previous: { at: number; bytes: number } | null = null;
    let received = 0;
    let lost = 0;
    const max = (a: number | null, b: number | null) => (b === null ? a : a === null ? b : Math.max(a, b));
    for (let second = 1; second <= o.seconds && !o.signal?.aborted; second++) {
      await wait(1000, o.signal);
      const out = await sender.getStats();
      const pair = selectedPair(out);
      if (pair) {
        if (typeof pair.currentRoundTripTime === 'number') rttMs = max(rttMs, Math.round(pair.currentRoundTripTime * 1000));
        const local = byId(out, pair.localCandidateId);
        if (local?.candidateType === 'relay') connectivity = 'relay';
        // The congestion controller's estimate: the bandwidth reached, as @jitsi/precall-test's throughput.
        if (typeof pair.availableOutgoingBitrate === 'number') bitrateKbps = max(bitrateKbps, Math.round(pair.availableOutgoingBitrate / 1000));
      }
      let bytes = 0;
      each(out, (r) => void (r.type === 'outbound-rtp' && (bytes += r.bytesSent ?? 0)));
      const now = performance.now();
      // Without an estimate (Firefox has none), what was sent per second stands in for it.
      if (previous && typeof pair?.availableOutgoingBitrate !== 'number') {
        bitrateKbps = max(bitrateKbps, Math.round(((bytes - previous.bytes) * 8) / (now - previous.at)));
      }
      previous = { at: now, bytes };
      const into = await receiver.getStats();
      received = 0;
      lost = 0;
      each(into, (r) => {
        if (r.type !== 'inbound-rtp') return;
        received += r.packetsReceived ?? 0;
        lost += Math.max(0, r.packetsLost ?? 0);
        if (typeof r.jitter === 'number') jitterMs = max(jitterMs, Math.round(r.jitter * 1000));
      });
      o.onSample?.(second);
    }
    if (received === 0) return FAILED;
    return { connectivity, rttMs, jitterMs, packetLoss: Math.round((lost / (lost + received)) * 1e4) / 1e4, bitrateKbps };
  } catch {
    return FAILED;
  } finally {
    sender.close();
    receiver.close();
    synthetic?.stop();
  }
}

function selectedPair(stats: RTCStatsReport): Stat | undefined {
  let pair: Stat | undefined;
  each(stats, (r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) pair = byId(stats, r.selectedCandidatePairId);
  });
  if (pair) return pair;
  each(stats, (r) => {
    if (!pair && r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r;
  });
  return pair;
}

function connected(pc: RTCPeerConnection, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      if (pc.connectionState === 'connected') finish(true);
      else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') finish(false);
    };
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      pc.removeEventListener('connectionstatechange', check);
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    signal?.addEventListener('abort', () => finish(false), { once: true });
    pc.addEventListener('connectionstatechange', check);
    check();
  });
}

/** A moving canvas and a tone, for a check without camera or microphone (the network is tested all the same). */
function syntheticMedia(video: boolean, sound: boolean): { tracks: MediaStreamTrack[]; stop(): void } {
  const tracks: MediaStreamTrack[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  let audio: AudioContext | undefined;
  if (video)
    try {
      const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
      const g = canvas.getContext('2d');
      let frame = 0;
      // Changing pixels: an encoder sends next to nothing for a still image, and the bandwidth estimate would not grow.
      timer = setInterval(() => {
        if (!g) return;
        frame++;
        for (let i = 0; i < 48; i++) {
          g.fillStyle = `hsl(${(frame * 7 + i * 30) % 360} 80% 50%)`;
          g.fillRect(((i * 53 + frame * 11) % 320) | 0, ((i * 31 + frame * 5) % 240) | 0, 40, 30);
        }
      }, 66);
      tracks.push(...canvas.captureStream(15).getVideoTracks());
    } catch {
      // no canvas capture: audio only
    }
  if (sound)
    try {
      audio = new AudioContext();
      const tone = audio.createOscillator();
      const out = audio.createMediaStreamDestination();
      tone.connect(out);
      tone.start();
      tracks.push(...out.stream.getAudioTracks());
    } catch {
      // no Web Audio: video only
    }
  return {
    tracks,
    stop() {
      clearInterval(timer);
      for (const t of tracks) t.stop();
      void audio?.close().catch(() => {});
    },
  };
}
