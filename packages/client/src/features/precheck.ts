// v4h.precheck(): camera, microphone and the network path through the configured ICE servers, before a call (a V4H
// method whose code is loaded on first use, features/index.ts).
import { invalidArgument } from '../errors.js';
import type { HttpClient } from '../http.js';
import type { FeatureContext } from './context.js';
import { classifyPrecheck, deviation, MIN_LEVEL_DEVIATION, type NetworkFigures, type PrecheckReason, type PrecheckVerdict } from '../precheck/classify.js';
import { acquire, deviceOf, firstFrame, levelMeter, type CameraReport, type MicrophoneReport } from '../precheck/devices.js';
import { runLoopback } from '../precheck/loopback.js';

export type { PrecheckReason, PrecheckVerdict, NetworkFigures, CameraReport, MicrophoneReport };

/** Options of `precheck`. */
export interface PrecheckOptions {
  /** Seconds of media the network test measures once connected (1–30, default 5). */
  seconds?: number;
  /** `false`: leave the camera out; a string: the deviceId to check (default: the browser's choice). */
  camera?: boolean | string;
  /** `false`: leave the microphone out; a string: the deviceId to check. */
  microphone?: boolean | string;
  /** A guest token (a waiting-room link): asks for the ICE servers as that guest rather than as the signed-in user. */
  guestToken?: string;
  /** These ICE servers instead of the server's (GET /api/ice-servers). */
  iceServers?: RTCIceServer[];
  /** Shows the camera in this element while the check runs. */
  preview?: HTMLVideoElement;
  /** Leaves camera and microphone open and returns them as `stream` (stop its tracks when done with them). */
  keepStream?: boolean;
  /** Stops the check early: what was measured so far is classified. */
  signal?: AbortSignal;
  /** Progress: 'devices' while asking for and testing the devices, then 'network' each second of the loopback. */
  onProgress?: (step: 'devices' | 'network', elapsedSeconds: number) => void;
}

/** What `precheck` found. */
export interface PrecheckReport {
  camera: CameraReport;
  microphone: MicrophoneReport;
  network: NetworkFigures;
  /** 'good', 'warning' (the visit can go on, not at its best) or 'bad' (fix something first). */
  result: PrecheckVerdict;
  /** What is wrong, worst first is not promised: one code per finding (see docs/precheck.md). */
  reasons: PrecheckReason[];
  /** With `keepStream`: the camera and microphone, still open. */
  stream?: MediaStream;
}

const FRAME_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 10_000;
const LEVEL_EVERY_MS = 100;

/**
 * Runs the pre-call check: asks for camera and microphone (one prompt), waits for a decoded frame and a moving sound
 * level, then sends that media between two peer connections of the page through the server's ICE servers (TURN only
 * when it has one) for `seconds`, and classifies the figures.
 * @example
 * const check = await v4h.precheck({ preview: document.querySelector('video') });
 * if (check.result !== 'good') console.log(check.reasons); // e.g. ['camera_denied', 'rtt']
 */
export async function precheck(ctx: FeatureContext, options: PrecheckOptions = {}): Promise<PrecheckReport> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const seconds = options.seconds ?? 5;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 30) throw invalidArgument('seconds must be a whole number from 1 to 30');
  const want = (v: boolean | string | undefined) => (v === false ? (false as const) : typeof v === 'string' ? { deviceId: v } : {});
  const iceServers = fetchIceServers(ctx.http, options);
  // Settled either way: a failure here is the network's finding, not a reason to leave the promise unhandled.
  iceServers.catch(() => {});

  options.onProgress?.('devices', 0);
  const got = await acquire(globalThis.navigator?.mediaDevices, want(options.camera), want(options.microphone));
  const videoTrack = got.stream?.getVideoTracks()[0];
  const audioTrack = got.stream?.getAudioTracks()[0];
  const meter = audioTrack ? levelMeter(audioTrack, LEVEL_EVERY_MS) : null;
  const camera: CameraReport = { state: got.camera, ...deviceOf(videoTrack), width: null, height: null };
  const microphone: MicrophoneReport = { state: got.microphone, ...deviceOf(audioTrack), level: null };
  try {
    if (videoTrack) {
      const video = options.preview ?? document.createElement('video');
      const size = await firstFrame(video, videoTrack, FRAME_TIMEOUT_MS);
      if (size) Object.assign(camera, size);
      else camera.state = 'no_signal';
    }

    let network: NetworkFigures;
    let relayUnreachable = false;
    let servers: { list: RTCIceServer[]; relay: boolean } | 'unreachable';
    try {
      servers = await iceServers;
    } catch (error) {
      if (codeOf(error) !== 'network_error') throw error;
      servers = 'unreachable';
    }
    const tracks = [videoTrack, audioTrack].filter((t): t is MediaStreamTrack => t !== undefined && t.readyState === 'live');
    const loop = (list: RTCIceServer[], policy: RTCIceTransportPolicy) =>
      runLoopback({
        iceServers: list,
        policy,
        tracks,
        seconds,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        signal: options.signal,
        onSample: (s) => options.onProgress?.('network', s),
      });
    if (servers === 'unreachable') {
      // The V4H server itself cannot be reached: a call could not start either.
      network = { connectivity: 'failed', rttMs: null, jitterMs: null, packetLoss: null, bitrateKbps: null };
    } else {
      network = await loop(servers.list, servers.relay ? 'relay' : 'all');
      if (servers.relay && network.connectivity === 'failed' && !options.signal?.aborted) {
        // The relay is out of reach (UDP and TCP to it blocked?): a call may still work peer to peer, or not at all.
        network = await loop(servers.list, 'all');
        relayUnreachable = network.connectivity !== 'failed';
      }
    }

    if (meter) {
      meter.stop();
      microphone.level = meter.samples.length ? Math.round(Math.max(...meter.samples) * 1e4) / 1e4 : null;
      if (microphone.state === 'ok' && deviation(meter.samples) < MIN_LEVEL_DEVIATION) microphone.state = 'no_signal';
    }
    const { result, reasons } = classifyPrecheck({ camera: camera.state, microphone: microphone.state, network, relayUnreachable });
    const report: PrecheckReport = { camera, microphone, network, result, reasons };
    if (options.keepStream && got.stream) report.stream = got.stream;
    return report;
  } finally {
    meter?.stop();
    if (!options.keepStream) {
      for (const track of got.stream?.getTracks() ?? []) track.stop();
      if (options.preview) options.preview.srcObject = null;
    }
  }
}

/** The ICE servers to test, and whether a TURN server is among them (then the loopback goes through it alone). */
async function fetchIceServers(http: HttpClient, options: PrecheckOptions): Promise<{ list: RTCIceServer[]; relay: boolean }> {
  const withRelay = (list: RTCIceServer[]) => ({
    list,
    relay: list.some((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/i.test(u))),
  });
  if (options.iceServers !== undefined) {
    if (!Array.isArray(options.iceServers)) throw invalidArgument('iceServers must be an array of RTCIceServer');
    return withRelay(options.iceServers);
  }
  if (options.guestToken !== undefined && (typeof options.guestToken !== 'string' || !options.guestToken))
    throw invalidArgument('guestToken must be a non-empty string');
  try {
    const answer = await http.request<{ iceServers: RTCIceServer[] }>('GET', '/api/ice-servers', options.guestToken ? { token: options.guestToken } : {});
    return withRelay(answer.iceServers);
  } catch (error) {
    // Not signed in and no guest token: the devices and the local path are still worth checking.
    if (codeOf(error) === 'not_signed_in') return { list: [], relay: false };
    throw error;
  }
}

const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;
