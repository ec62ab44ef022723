// The pre-call check's camera and microphone: permission, the device chosen, a frame decoded and a sound level seen.
import type { DeviceState } from './classify.js';

/** What the check learnt about one device. */
export interface DeviceReport {
  state: DeviceState;
  /** The device the browser chose (or the one asked for), once permission was given. */
  deviceId: string | null;
  /** Its name as the browser shows it (empty until permission is given). */
  label: string | null;
}

export interface CameraReport extends DeviceReport {
  /** Size of the frames decoded. */
  width: number | null;
  height: number | null;
}

export interface MicrophoneReport extends DeviceReport {
  /** The highest input level heard, 0–1 (RMS of the waveform). */
  level: number | null;
}

/** getUserMedia's refusals, as the check names them (the page says what to do for each). */
export function deviceStateOf(error: unknown): DeviceState {
  switch ((error as { name?: string })?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'not_found';
    case 'NotReadableError':
    case 'AbortError':
      return 'in_use';
    default:
      return 'error';
  }
}

export interface Acquired {
  stream: MediaStream | null;
  camera: DeviceState;
  microphone: DeviceState;
}

type Want = { deviceId?: string } | false;

const constraint = (want: Want): MediaTrackConstraints | boolean => (want === false ? false : want.deviceId ? { deviceId: { exact: want.deviceId } } : true);

/**
 * Asks for both devices at once (one permission prompt); when that fails, asks for each alone, so that a denied camera
 * does not hide a working microphone.
 */
export async function acquire(media: MediaDevices | undefined, video: Want, audio: Want): Promise<Acquired> {
  const skipped = (want: Want, state: DeviceState): DeviceState => (want === false ? 'skipped' : state);
  if (!media?.getUserMedia) return { stream: null, camera: skipped(video, 'error'), microphone: skipped(audio, 'error') };
  if (video === false && audio === false) return { stream: null, camera: 'skipped', microphone: 'skipped' };
  try {
    const stream = await media.getUserMedia({ video: constraint(video), audio: constraint(audio) });
    return { stream, camera: skipped(video, 'ok'), microphone: skipped(audio, 'ok') };
  } catch (error) {
    if (video === false || audio === false) {
      const state = deviceStateOf(error);
      return { stream: null, camera: skipped(video, state), microphone: skipped(audio, state) };
    }
  }
  const one = async (kind: 'video' | 'audio', want: Want) => {
    try {
      return { stream: await media.getUserMedia({ [kind]: constraint(want) }), state: 'ok' as DeviceState };
    } catch (error) {
      return { stream: null, state: deviceStateOf(error) };
    }
  };
  const cam = await one('video', video);
  const mic = await one('audio', audio);
  const tracks = [...(cam.stream?.getTracks() ?? []), ...(mic.stream?.getTracks() ?? [])];
  return { stream: tracks.length ? new MediaStream(tracks) : null, camera: cam.state, microphone: mic.state };
}

/** The chosen device of a live track. */
export function deviceOf(track: MediaStreamTrack | undefined): { deviceId: string | null; label: string | null } {
  if (!track) return { deviceId: null, label: null };
  return { deviceId: track.getSettings?.().deviceId ?? null, label: track.label || null };
}

/** Resolves the size of the first decoded frame of `track` shown in `video`, or null when none comes within `timeoutMs`. */
export function firstFrame(video: HTMLVideoElement, track: MediaStreamTrack, timeoutMs: number): Promise<{ width: number; height: number } | null> {
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  return new Promise((resolve) => {
    const done = (size: { width: number; height: number } | null) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve(size);
    };
    const seen = () => video.videoWidth > 0 && video.readyState >= 2;
    // loadeddata comes with the first frame; polling covers browsers that fire it before the size is known.
    const poll = setInterval(() => seen() && done({ width: video.videoWidth, height: video.videoHeight }), 100);
    const timer = setTimeout(() => done(null), timeoutMs);
    video.play().catch(() => {});
  });
}

/** Samples the microphone's level (RMS of the waveform, 0–1) through a Web Audio analyser until `stop()`. */
export function levelMeter(track: MediaStreamTrack, everyMs: number): { samples: number[]; stop(): void } {
  const samples: number[] = [];
  const Context = globalThis.AudioContext ?? (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Context) return { samples, stop() {} };
  const context = new Context();
  // Created outside a click (the page's own flow) a context may start suspended and hear nothing.
  void context.resume().catch(() => {});
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const buffer = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buffer);
    let sum = 0;
    for (const v of buffer) sum += v * v;
    samples.push(Math.sqrt(sum / buffer.length));
  }, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      void context.close().catch(() => {});
    },
  };
}
