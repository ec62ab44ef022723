// The Duration a live WebM lacks, written in: on a real MediaRecorder WebM (Chromium 156, canvas + oscillator, 3 s,
// fixtures/), on a live WebM from Debian's ffmpeg (with a SeekHead whose positions move), on a hand-made one with a
// known Segment size; files that have a Duration, or are no WebM, pass unchanged. ffprobe reads the result.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ID, element, encodeSize, encodeUint, readFloat, readHeader, readUint } from './ebml.js';
import { WebmScanner, withWebmDuration } from './webm-duration.js';

const MEDIARECORDER_WEBM = fs.readFileSync(new URL('./fixtures/mediarecorder-3s.webm', import.meta.url));

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-webm-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `bytes` in pieces of `size` (as chunks come out of storage). */
async function* pieces(bytes: Uint8Array, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function fixed(bytes: Uint8Array, size = 4096) {
  const result = await withWebmDuration(() => pieces(bytes, size), bytes.length);
  const parts: Buffer[] = [];
  for await (const piece of result.body) parts.push(Buffer.from(piece));
  const out = Buffer.concat(parts);
  expect(out.length).toBe(result.length);
  return { out, duration: result.duration };
}

/** ffprobe's container duration (NaN when it reports none) and what decoding the whole file says (empty: no error). */
function probe(bytes: Uint8Array) {
  const file = path.join(dir, `${randomBytes(4).toString('hex')}.webm`);
  fs.writeFileSync(file, bytes);
  const format = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_format', '-of', 'json', file], { encoding: 'utf8' })).format;
  const errors = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { duration: Number(format.duration ?? NaN), errors };
}

/** The latest packet's time, as ffprobe reads it (what the recorded length is). */
function lastPacket(bytes: Uint8Array) {
  const file = path.join(dir, `${randomBytes(4).toString('hex')}.webm`);
  fs.writeFileSync(file, bytes);
  const times = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return Math.max(...times.split('\n').map(Number).filter(Number.isFinite));
}

function ffmpegWebm(seconds: number, extra: string[]) {
  return execFileSync('ffmpeg', [
    '-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc=size=160x120:rate=15:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-c:v', 'libvpx', '-b:v', '100k', '-c:a', 'libopus', '-shortest', ...extra, '-f', 'webm', 'pipe:1',
  ], { maxBuffer: 64 * 1024 * 1024 }); // prettier-ignore
}

describe('EBML primitives', () => {
  it('reads and writes sizes, unknown sizes and unsigned integers', () => {
    expect(readHeader(Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f]), 0)).toEqual({ id: ID.EBML, size: 31, headerLength: 5, sizeWidth: 1 });
    expect(readHeader(Uint8Array.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0)).toMatchObject({
      id: ID.Segment,
      size: null,
      sizeWidth: 8,
    });
    expect(readHeader(Uint8Array.from([0x1a, 0x45]), 0)).toBeUndefined();
    expect(readHeader(Uint8Array.from([0x00, 0x81]), 0)).toBeNull();
    for (const [size, width] of [
      [0, 1],
      [126, 1],
      [127, 2],
      [300, 2],
      [2 ** 40, 8],
    ]) {
      const bytes = Buffer.concat([Uint8Array.from([0xec]), encodeSize(size, width)!]);
      expect(readHeader(bytes, 0)).toEqual({ id: 0xec, size, headerLength: 1 + width, sizeWidth: width });
    }
    expect(encodeSize(127, 1)).toBeUndefined();
    expect(readUint(encodeUint(1_000_000, 3)!, 0, 3)).toBe(1_000_000);
    expect(encodeUint(256, 1)).toBeUndefined();
  });
});

describe('the Duration of a live WebM', () => {
  it('a real MediaRecorder WebM (Chromium): ffprobe reads no duration before, the recorded length after; every frame still decodes', async () => {
    const before = probe(MEDIARECORDER_WEBM);
    expect(before.duration).toBeNaN();
    const recorded = lastPacket(MEDIARECORDER_WEBM);
    expect(recorded).toBeGreaterThan(2.5);
    const { out, duration } = await fixed(MEDIARECORDER_WEBM);
    expect(duration).toBeCloseTo(recorded, 1);
    const after = probe(out);
    expect(Math.abs(after.duration - recorded)).toBeLessThan(1);
    expect(after.duration).toBeGreaterThan(2.5);
    expect(after.errors).toBe('');
    // Only the head changed: Info grew by the Duration element (11 bytes), the clusters are the same bytes.
    expect(out.length).toBe(MEDIARECORDER_WEBM.length + 11);
    expect(out.subarray(-20_000).equals(MEDIARECORDER_WEBM.subarray(-20_000))).toBe(true);
    // Whatever the pieces it arrives in (a byte at a time, or whole), the result is the same.
    expect((await fixed(MEDIARECORDER_WEBM, 1)).out.equals(out)).toBe(true);
    expect((await fixed(MEDIARECORDER_WEBM, MEDIARECORDER_WEBM.length)).out.equals(out)).toBe(true);
    // A second pass finds the Duration and changes nothing.
    const again = await fixed(out);
    expect(again.duration).toBeUndefined();
    expect(again.out.equals(out)).toBe(true);
  });

  it('a live WebM from ffmpeg: the SeekHead still points at the elements after Info', async () => {
    const live = ffmpegWebm(4, ['-live', '1']);
    expect(probe(live).duration).toBeNaN();
    const { out } = await fixed(live, 1000);
    const after = probe(out);
    expect(Math.abs(after.duration - lastPacket(live))).toBeLessThan(1);
    expect(after.duration).toBeGreaterThan(3.5);
    expect(after.errors).toBe('');
    // Every Seek entry names the element found at its (moved) position.
    const segment = readHeader(out, readHeader(out, 0)!.headerLength + readHeader(out, 0)!.size!)!;
    const segmentData = readHeader(out, 0)!.headerLength + readHeader(out, 0)!.size! + segment.headerLength;
    const seekHead = readHeader(out, segmentData)!;
    expect(seekHead.id).toBe(ID.SeekHead);
    const targets: Array<[number, number]> = [];
    for (let pos = segmentData + seekHead.headerLength; pos < segmentData + seekHead.headerLength + seekHead.size!;) {
      const seek = readHeader(out, pos)!;
      const fields = new Map<number, number>();
      for (let child = pos + seek.headerLength; child < pos + seek.headerLength + seek.size!;) {
        const h = readHeader(out, child)!;
        fields.set(h.id, readUint(out, child + h.headerLength, h.size!));
        child += h.headerLength + h.size!;
      }
      if (seek.id === ID.Seek) targets.push([fields.get(ID.SeekID)!, readHeader(out, segmentData + fields.get(ID.SeekPosition)!)!.id]);
      pos += seek.headerLength + seek.size!;
    }
    expect(targets.length).toBeGreaterThanOrEqual(2);
    for (const [named, found] of targets) expect(found).toBe(named);
  });

  it('a known Segment size grows with Info', async () => {
    const block = (time: number) => element(ID.SimpleBlock, Uint8Array.from([0x81, time >> 8, time & 0xff, 0x80, 1, 2, 3]));
    const info = element(ID.Info, element(ID.TimecodeScale, encodeUint(1_000_000, 3)!));
    const cluster = (start: number, ...times: number[]) =>
      element(ID.Cluster, Buffer.concat([element(ID.Timecode, encodeUint(start, 2)!), ...times.map(block)]));
    const body = Buffer.concat([info, cluster(0, 0, 40, 980), cluster(1000, 0, 1500, 1460)]);
    const file = Buffer.concat([element(ID.EBML, element(0x4282, Buffer.from('webm'))), element(ID.Segment, body)]);
    const { out, duration } = await fixed(file, 7);
    expect(duration).toBe(2.5);
    const segmentAt = readHeader(out, 0)!.headerLength + readHeader(out, 0)!.size!;
    const segment = readHeader(out, segmentAt)!;
    expect(segmentAt + segment.headerLength + segment.size!).toBe(out.length);
    const infoAt = segmentAt + segment.headerLength;
    const newInfo = readHeader(out, infoAt)!;
    const durationAt = infoAt + newInfo.headerLength + newInfo.size! - 11;
    expect(readHeader(out, durationAt)).toMatchObject({ id: ID.Duration, size: 8 });
    expect(readFloat(out, durationAt + 3, 8)).toBe(2500);
  });

  it('passes a WebM that has a Duration, and bytes that are no WebM, unchanged (reading no further than needed)', async () => {
    const file = path.join(dir, 'with-duration.webm');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15:duration=2', '-c:v', 'libvpx', file]);
    const withDuration = fs.readFileSync(file);
    const same = await fixed(withDuration);
    expect(same.duration).toBeUndefined();
    expect(same.out.equals(withDuration)).toBe(true);

    for (const bytes of [randomBytes(200_000), Buffer.from('not a webm at all'), Buffer.alloc(0)]) {
      let read = 0;
      const counted = async function* () {
        for await (const piece of pieces(bytes, 1000)) {
          read += piece.length;
          yield piece;
        }
      };
      const scanner = new WebmScanner();
      for await (const piece of counted()) {
        scanner.feed(piece);
        if (!scanner.wantsMore) break;
      }
      expect(read).toBeLessThanOrEqual(1000);
      const result = await withWebmDuration(() => pieces(bytes, 1000), bytes.length);
      const parts: Buffer[] = [];
      for await (const piece of result.body) parts.push(Buffer.from(piece));
      expect(Buffer.concat(parts).equals(bytes)).toBe(true);
      expect(result.duration).toBeUndefined();
    }
  });
});
