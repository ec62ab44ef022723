// Mixes every recorded participant's voice into one audio track (Web Audio), the sound of a room recording.

/** Sums the audio tracks it is given into `track`; sources come and go while it runs. */
export class AudioMixer {
  readonly #ctx = new AudioContext();
  readonly #out = this.#ctx.createMediaStreamDestination();
  readonly #inputs = new Map<string, { track: MediaStreamTrack; node: MediaStreamAudioSourceNode }>();

  get track(): MediaStreamTrack {
    return this.#out.stream.getAudioTracks()[0];
  }

  /** Resumes the context (created suspended where the page has had no gesture yet). */
  resume(): Promise<void> {
    return this.#ctx.resume().catch(() => {});
  }

  /** Exactly these sources (participant id → its audio track) are mixed from now on. */
  set(tracks: Map<string, MediaStreamTrack>) {
    for (const [id, input] of this.#inputs) {
      if (tracks.get(id) === input.track) continue;
      input.node.disconnect();
      this.#inputs.delete(id);
    }
    for (const [id, track] of tracks) {
      if (this.#inputs.has(id) || track.readyState === 'ended') continue;
      const node = this.#ctx.createMediaStreamSource(new MediaStream([track]));
      node.connect(this.#out);
      this.#inputs.set(id, { track, node });
    }
  }

  close() {
    for (const input of this.#inputs.values()) input.node.disconnect();
    this.#inputs.clear();
    void this.#ctx.close().catch(() => {});
  }
}
