// Draws every recorded participant's video into one canvas picture (a grid), the video track of a room recording.

/** One participant as the recording shows it: its tile's video element, or its initials while it has no picture. */
export interface RecordedPicture {
  id: string;
  video: HTMLVideoElement | undefined;
  initials: string;
}

const BACKGROUND = '#111';
const CELL = '#222';

/** Draws `pictures()` into a grid `fps` times a second; `track` is the canvas as a video track. */
export class Compositor {
  readonly #canvas = document.createElement('canvas');
  readonly #ctx: CanvasRenderingContext2D;
  readonly #pictures: () => RecordedPicture[];
  readonly #fps: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #track: MediaStreamTrack | undefined;

  constructor(pictures: () => RecordedPicture[], size = { width: 1280, height: 720 }, fps = 15) {
    this.#canvas.width = size.width;
    this.#canvas.height = size.height;
    this.#ctx = this.#canvas.getContext('2d', { alpha: false })!;
    this.#pictures = pictures;
    this.#fps = fps;
  }

  /** Starts drawing; the returned track carries the picture. */
  start(): MediaStreamTrack {
    this.#draw();
    // A timer, not requestAnimationFrame: frames are needed while the tab is hidden too (rAF stops there).
    this.#timer = setInterval(() => this.#draw(), 1000 / this.#fps);
    this.#track = this.#canvas.captureStream(this.#fps).getVideoTracks()[0];
    return this.#track;
  }

  stop() {
    clearInterval(this.#timer);
    this.#track?.stop();
  }

  #draw() {
    const ctx = this.#ctx;
    const { width, height } = this.#canvas;
    const pictures = this.#pictures();
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, width, height);
    if (!pictures.length) return;
    const cols = Math.ceil(Math.sqrt(pictures.length));
    const rows = Math.ceil(pictures.length / cols);
    const gap = 4;
    const w = (width - gap * (cols + 1)) / cols;
    const h = (height - gap * (rows + 1)) / rows;
    pictures.forEach((p, i) => {
      const x = gap + (i % cols) * (w + gap);
      const y = gap + Math.floor(i / cols) * (h + gap);
      ctx.fillStyle = CELL;
      ctx.fillRect(x, y, w, h);
      const v = p.video;
      if (v && v.readyState >= 2 && v.videoWidth > 0 && !v.closest('.video-off')) {
        // Fitted whole into the cell (letterboxed): nothing of the picture is cut off in the record.
        const scale = Math.min(w / v.videoWidth, h / v.videoHeight);
        const dw = v.videoWidth * scale;
        const dh = v.videoHeight * scale;
        ctx.drawImage(v, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh);
      } else {
        ctx.fillStyle = '#ddd';
        ctx.font = `${Math.round(Math.min(w, h) / 4)}px sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(p.initials, x + w / 2, y + h / 2);
      }
    });
  }
}
