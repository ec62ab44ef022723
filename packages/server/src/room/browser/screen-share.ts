// Our screen share: getDisplayMedia, sent in place of the camera with replaceTrack (no renegotiation), stopped from the browser's bar too.

export interface ScreenShareDeps {
  /** The track the peers should get for video now (the screen, or the camera again / nothing). */
  sendVideo(track: MediaStreamTrack | null): void;
  /** Sharing started or stopped (also when the browser's "Stop sharing" ended it). */
  changed(on: boolean): void;
  /** getDisplayMedia failed or was cancelled. */
  failed(error: unknown): void;
}

/** Owns the screen track while sharing. */
export class ScreenShare {
  #track: MediaStreamTrack | null = null;
  #starting = false;

  constructor(readonly deps: ScreenShareDeps) {}

  get on(): boolean {
    return this.#track !== null;
  }

  get track(): MediaStreamTrack | null {
    return this.#track;
  }

  async toggle(on = !this.on) {
    if (on === this.on || this.#starting) return;
    if (!on) return this.stop();
    if (!navigator.mediaDevices?.getDisplayMedia) return this.deps.failed(new Error('getDisplayMedia is unavailable'));
    this.#starting = true;
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
      const track = stream.getVideoTracks()[0];
      if (!track) return;
      // Text on a screen: keep it sharp rather than smooth.
      track.contentHint = 'detail';
      track.addEventListener('ended', () => this.stop());
      this.#track = track;
      this.deps.sendVideo(track);
      this.deps.changed(true);
    } catch (error) {
      this.deps.failed(error);
    } finally {
      this.#starting = false;
    }
  }

  stop() {
    const track = this.#track;
    if (!track) return;
    this.#track = null;
    track.stop();
    this.deps.changed(false);
  }
}
