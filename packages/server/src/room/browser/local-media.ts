// The participant's own camera and microphone: getting them, telling why they failed, switching devices.

export type MediaKind = 'audio' | 'video';

/** Why a device could not be used: the page explains each in the page's language. */
export type MediaProblem = 'blocked' | 'not_found' | 'in_use' | 'failed';

/** One device kind that getUserMedia refused. */
export interface MediaFailure {
  kind: MediaKind;
  problem: MediaProblem;
  /** Jitsi's cameraError/micError `type` (lib-jitsi-meet JitsiTrackErrors). */
  jitsiType: string;
  /** The browser's error name and message (no device labels). */
  message: string;
}

/** The device ids chosen for each kind (undefined: the browser's default). */
export interface ChosenDevices {
  audioInput?: string;
  videoInput?: string;
  audioOutput?: string;
}

function classify(kind: MediaKind, error: unknown): MediaFailure {
  const name = (error as { name?: string })?.name ?? 'Error';
  const message = `${name}: ${(error as { message?: string })?.message ?? String(error)}`;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError')
    return { kind, problem: 'blocked', jitsiType: 'gum.permission_denied', message };
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError') return { kind, problem: 'not_found', jitsiType: 'gum.not_found', message };
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return { kind, problem: 'in_use', jitsiType: 'gum.general', message };
  if (name === 'OverconstrainedError') return { kind, problem: 'failed', jitsiType: 'gum.constraint_failed', message };
  return { kind, problem: 'failed', jitsiType: 'gum.general', message };
}

/** Our camera and microphone tracks, gathered in one stream that the mesh sends. */
export class LocalMedia {
  readonly stream = new MediaStream();
  readonly chosen: ChosenDevices = {};
  #stopped = false;

  track(kind: MediaKind): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0];
  }

  #constraints(kind: MediaKind): MediaTrackConstraints | boolean {
    const id = kind === 'audio' ? this.chosen.audioInput : this.chosen.videoInput;
    const base: MediaTrackConstraints = kind === 'video' ? { width: { ideal: 640 }, height: { ideal: 360 } } : {};
    return id ? { ...base, deviceId: { exact: id } } : kind === 'video' ? base : true;
  }

  /**
   * Gets the kinds we have no track for; returns the kinds that failed and why. Asks for both at once first (one
   * permission prompt), then each alone, so that a blocked camera does not cost the microphone.
   */
  async acquire(kinds: MediaKind[]): Promise<{ added: MediaStreamTrack[]; failures: MediaFailure[] }> {
    const wanted = kinds.filter((k) => !this.track(k));
    const added: MediaStreamTrack[] = [];
    const failures: MediaFailure[] = [];
    if (!wanted.length) return { added, failures };
    if (!navigator.mediaDevices?.getUserMedia) {
      return {
        added,
        failures: wanted.map((kind) => ({
          kind,
          problem: 'blocked',
          jitsiType: 'gum.permission_denied',
          message: 'getUserMedia is unavailable (insecure page or blocked frame)',
        })),
      };
    }
    const get = (ks: MediaKind[]) =>
      navigator.mediaDevices.getUserMedia({
        audio: ks.includes('audio') && this.#constraints('audio'),
        video: ks.includes('video') && this.#constraints('video'),
      });
    let got: MediaStream | undefined;
    if (wanted.length > 1) got = await get(wanted).catch(() => undefined);
    if (got) added.push(...got.getTracks());
    else {
      for (const kind of wanted) {
        try {
          added.push(...(await get([kind])).getTracks());
        } catch (error) {
          failures.push(classify(kind, error));
        }
      }
    }
    if (this.#stopped) {
      for (const t of added) t.stop();
      return { added: [], failures };
    }
    for (const t of added) this.stream.addTrack(t);
    return { added, failures };
  }

  /** Replaces one kind's track with the given device's; the old track is stopped only once the new one works. */
  async switchTo(kind: MediaKind, deviceId: string): Promise<{ track?: MediaStreamTrack; failure?: MediaFailure }> {
    const key = kind === 'audio' ? 'audioInput' : 'videoInput';
    const before = this.chosen[key];
    this.chosen[key] = deviceId;
    let fresh: MediaStreamTrack | undefined;
    try {
      fresh = (await navigator.mediaDevices.getUserMedia({ [kind]: this.#constraints(kind) })).getTracks()[0];
    } catch (error) {
      this.chosen[key] = before;
      return { failure: classify(kind, error) };
    }
    if (!fresh) return {};
    const old = this.track(kind);
    if (old) {
      fresh.enabled = old.enabled;
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(fresh);
    return { track: fresh };
  }

  /** The device id a track actually uses (the browser's default when none was chosen). */
  deviceOf(kind: MediaKind): string | undefined {
    return this.track(kind)?.getSettings().deviceId;
  }

  stop() {
    this.#stopped = true;
    for (const t of this.stream.getTracks()) t.stop();
  }
}
