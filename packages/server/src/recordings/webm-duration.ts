// A browser's MediaRecorder writes WebM as a live stream: no Duration in the Segment Info (and no Cues), so players
// cannot show the length or seek well and ffprobe reports no container duration. Completing a chunked recording
// reads it once (streamed: only the head up to Info is held) to find the latest block's time, then streams it again
// with a Duration element added to Info. A file that already has one (ffmpeg's, Jibri's), or that this reader does not
// understand, passes unchanged.
import { ID, encodeSize, encodeUint, floatElement, readFloat, readHeader, readUint, sizeWidthOf, vintWidth } from './ebml.js';

/** What one pass over a WebM found. */
export interface WebmScan {
  /** The file's first bytes, at least up to the end of Info when it was found (what a patch rewrites). */
  head: Buffer;
  segment?: { sizeAt: number; sizeWidth: number; size: number | null; dataStart: number };
  info?: { at: number; headerLength: number; size: number };
  seekHead?: { at: number; headerLength: number; size: number };
  /** Nanoseconds per tick (Info's TimecodeScale, default 1,000,000). */
  timecodeScale: number;
  /** Info's Duration in ticks, when the file has one. */
  duration: number | null;
  cues: boolean;
  /** The time of the latest block, in ticks; null when there is none. */
  lastBlock: number | null;
}

/** Info must end within this many bytes (a browser's is ~100 bytes in): the head is held in memory. */
const MAX_HEAD_BYTES = 1024 * 1024;

/** Reads a WebM as it streams by (`feed` each piece in order), keeping only the head and a few bytes of state. */
export class WebmScanner {
  #pending: Buffer = Buffer.alloc(0);
  /** Offset in the file of #pending[0]. */
  #offset = 0;
  #skip = 0;
  #head: Buffer[] = [];
  #headLength = 0;
  #failed = false;
  #done = false;
  #clusterTime = 0;
  readonly #scan: Omit<WebmScan, 'head'> = { timecodeScale: 1_000_000, duration: null, cues: false, lastBlock: null };

  /** False once the rest cannot change the result (not a WebM this reads, or Info already has a Duration). */
  get wantsMore(): boolean {
    return !this.#failed && !this.#done;
  }

  /** False when the bytes are not a WebM this reader understands. */
  get understood(): boolean {
    return !this.#failed;
  }

  feed(piece: Uint8Array): void {
    if (!this.wantsMore) return;
    if (this.#headLength < MAX_HEAD_BYTES) {
      this.#head.push(Buffer.from(piece));
      this.#headLength += piece.length;
    }
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, piece]) : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    this.#parse();
  }

  /** What was found; undefined when the bytes are not a WebM this reader understands. */
  result(): WebmScan | undefined {
    if (this.#failed) return undefined;
    return { ...this.#scan, head: Buffer.concat(this.#head) };
  }

  #parse() {
    const buf = this.#pending;
    const s = this.#scan;
    let pos = 0;
    while (this.wantsMore) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, buf.length - pos);
        pos += n;
        this.#skip -= n;
        if (this.#skip > 0) break;
      }
      const at = this.#offset + pos;
      // Past Info with a Duration: nothing to add. Info not within the head: nothing this reader can patch.
      if (s.info && at >= s.info.at + s.info.headerLength + s.info.size && s.duration !== null) this.#done = true;
      if (!s.info && at > MAX_HEAD_BYTES) this.#failed = true;
      if (!this.wantsMore) break;
      const h = readHeader(buf, pos);
      if (h === undefined) break;
      if (h === null || (at === 0 && h.id !== ID.EBML)) {
        this.#failed = true;
        break;
      }
      const dataAt = pos + h.headerLength;
      const known = h.size !== null;
      // Elements read or descended into; every other one is skipped whole (it needs a known size for that).
      if (h.id === ID.Segment) {
        s.segment ??= { sizeAt: at + h.headerLength - h.sizeWidth, sizeWidth: h.sizeWidth, size: h.size, dataStart: at + h.headerLength };
        pos = dataAt;
      } else if (h.id === ID.Cluster || h.id === ID.BlockGroup) {
        pos = dataAt;
      } else if (h.id === ID.Info && known && !s.info) {
        s.info = { at, headerLength: h.headerLength, size: h.size! };
        pos = dataAt;
      } else if ((h.id === ID.TimecodeScale || h.id === ID.Duration || h.id === ID.Timecode) && known && h.size! <= 8) {
        if (dataAt + h.size! > buf.length) break;
        if (h.id === ID.TimecodeScale) s.timecodeScale = readUint(buf, dataAt, h.size!) || 1_000_000;
        else if (h.id === ID.Duration) s.duration = readFloat(buf, dataAt, h.size!);
        else this.#clusterTime = readUint(buf, dataAt, h.size!);
        pos = dataAt + h.size!;
      } else if ((h.id === ID.SimpleBlock || h.id === ID.Block) && known) {
        // A block begins with its track number (a variable-length integer), then its time relative to the cluster's.
        if (dataAt >= buf.length) break;
        const width = vintWidth(buf[dataAt]);
        if (width === 0 || width + 2 > h.size!) {
          this.#failed = true;
          break;
        }
        if (dataAt + width + 2 > buf.length) break;
        const time = this.#clusterTime + buf.readInt16BE(dataAt + width);
        if (s.lastBlock === null || time > s.lastBlock) s.lastBlock = time;
        pos = dataAt;
        this.#skip = h.size!;
      } else if (known) {
        if (h.id === ID.Cues) s.cues = true;
        if (h.id === ID.SeekHead) s.seekHead ??= { at, headerLength: h.headerLength, size: h.size! };
        pos = dataAt;
        this.#skip = h.size!;
      } else {
        this.#failed = true;
      }
    }
    this.#offset += pos;
    this.#pending = buf.subarray(pos);
  }
}

/** How to rewrite a WebM's head: `head` replaces its first `replaces` bytes; `duration` is in seconds. */
export interface DurationPatch {
  head: Buffer;
  replaces: number;
  duration: number;
}

/**
 * The head with a Duration (the latest block's time) appended to Info, Info's size and a known Segment size grown to
 * match, and SeekHead positions past Info moved; undefined when the file has a Duration already, or Cues (their
 * positions would move too), or anything this cannot rewrite in place.
 */
export function durationPatch(scan: WebmScan | undefined): DurationPatch | undefined {
  const { segment, info, seekHead } = scan ?? {};
  if (!scan || !segment || !info || scan.duration !== null || scan.cues || scan.lastBlock === null || scan.lastBlock <= 0) return undefined;
  const infoDataAt = info.at + info.headerLength;
  const infoEnd = infoDataAt + info.size;
  if (info.at < segment.dataStart || scan.head.length < infoEnd) return undefined;
  const head = Buffer.from(scan.head.subarray(0, infoEnd));
  const duration = floatElement(ID.Duration, scan.lastBlock);
  const infoSize = info.size + duration.length;
  const infoSizeBytes = encodeSize(infoSize, Math.max(info.headerLength - 4, sizeWidthOf(infoSize)))!;
  const newInfo = Buffer.concat([head.subarray(info.at, info.at + 4), infoSizeBytes, head.subarray(infoDataAt, infoEnd), duration]);
  const delta = newInfo.length - (infoEnd - info.at);
  if (segment.size !== null) {
    const grown = encodeSize(segment.size + delta, segment.sizeWidth);
    if (!grown) return undefined;
    head.set(grown, segment.sizeAt);
  }
  if (seekHead && !shiftSeekPositions(head, seekHead, segment.dataStart, info.at, delta)) return undefined;
  return { head: Buffer.concat([head.subarray(0, info.at), newInfo]), replaces: infoEnd, duration: (scan.lastBlock * scan.timecodeScale) / 1e9 };
}

/** Moves by `delta` the SeekHead's positions (relative to the Segment's data) of elements after `infoAt`, in place. */
function shiftSeekPositions(head: Buffer, seekHead: NonNullable<WebmScan['seekHead']>, segmentData: number, infoAt: number, delta: number): boolean {
  const end = seekHead.at + seekHead.headerLength + seekHead.size;
  if (end > infoAt) return false;
  for (let pos = seekHead.at + seekHead.headerLength; pos < end;) {
    const seek = readHeader(head, pos);
    if (!seek || seek.size === null) return false;
    const seekEnd = pos + seek.headerLength + seek.size;
    if (seek.id === ID.Seek) {
      for (let child = pos + seek.headerLength; child < seekEnd;) {
        const h = readHeader(head, child);
        if (!h || h.size === null || h.size > 8) return false;
        const dataAt = child + h.headerLength;
        if (h.id === ID.SeekPosition) {
          const position = readUint(head, dataAt, h.size);
          if (segmentData + position > infoAt) {
            const moved = encodeUint(position + delta, h.size);
            if (!moved) return false;
            head.set(moved, dataAt);
          }
        }
        child = dataAt + h.size;
      }
    } else if (seek.id !== 0xec) {
      // Anything but a Seek or a Void (a CRC-32 would no longer hold): leave the file as it is.
      return false;
    }
    pos = seekEnd;
  }
  return true;
}

/** The bytes of `source` with its first `patch.replaces` bytes replaced by `patch.head`. */
export async function* patched(source: AsyncIterable<Uint8Array>, patch: DurationPatch): AsyncGenerator<Buffer> {
  yield patch.head;
  let skip = patch.replaces;
  for await (const piece of source) {
    const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    if (skip >= buf.length) {
      skip -= buf.length;
      continue;
    }
    yield skip > 0 ? buf.subarray(skip) : buf;
    skip = 0;
  }
}

/**
 * A recording's bytes as they will be stored: a WebM without a Duration gets one (two passes over `open()`, neither
 * holding the file); anything else is `open()` unchanged. `length` is the bytes' length before.
 */
export async function withWebmDuration(
  open: () => AsyncIterable<Uint8Array>,
  length: number,
): Promise<{ body: AsyncIterable<Uint8Array>; length: number; duration?: number }> {
  const scanner = new WebmScanner();
  for await (const piece of open()) {
    scanner.feed(piece);
    if (!scanner.wantsMore) break;
  }
  const patch = durationPatch(scanner.result());
  if (!patch) return { body: open(), length };
  return { body: patched(open(), patch), length: length - patch.replaces + patch.head.length, duration: patch.duration };
}
