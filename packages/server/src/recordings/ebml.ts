// The few EBML (RFC 8794) primitives a WebM needs to be read and patched: element ids and sizes (variable-length
// integers), unsigned integers and 64-bit floats, and the Matroska ids this folder uses.

/** Matroska element ids (as the id's bytes read big-endian, marker bits included). */
export const ID = {
  EBML: 0x1a45dfa3,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  Duration: 0x4489,
  Tracks: 0x1654ae6b,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  Cues: 0x1c53bb6b,
} as const;

/** An element's header: its id, its data size (null: unknown, as a live muxer writes) and the header's length. */
export interface ElementHeader {
  id: number;
  size: number | null;
  /** Bytes of id + size. */
  headerLength: number;
  /** Bytes of the size field alone. */
  sizeWidth: number;
}

/** The width of a variable-length integer from its first byte (1–8), or 0 when the byte cannot start one. */
export function vintWidth(first: number): number {
  for (let width = 1; width <= 8; width++) if (first & (0x80 >> (width - 1))) return width;
  return 0;
}

/**
 * Reads an element header at `at`: undefined when `bytes` ends first, null when it is not a header (an id longer
 * than 4 bytes or a size longer than 8). Sizes above 2^53 are refused as invalid (no WebM is that large).
 */
export function readHeader(bytes: Uint8Array, at: number): ElementHeader | null | undefined {
  if (at >= bytes.length) return undefined;
  const idWidth = vintWidth(bytes[at]);
  if (idWidth === 0 || idWidth > 4) return null;
  if (at + idWidth >= bytes.length) return undefined;
  let id = 0;
  for (let i = 0; i < idWidth; i++) id = id * 256 + bytes[at + i];
  const sizeAt = at + idWidth;
  const sizeWidth = vintWidth(bytes[sizeAt]);
  if (sizeWidth === 0) return null;
  if (sizeAt + sizeWidth > bytes.length) return undefined;
  let size = bytes[sizeAt] & (0xff >> sizeWidth);
  let allOnes = size === 0xff >> sizeWidth;
  for (let i = 1; i < sizeWidth; i++) {
    size = size * 256 + bytes[sizeAt + i];
    allOnes &&= bytes[sizeAt + i] === 0xff;
  }
  if (!allOnes && size > Number.MAX_SAFE_INTEGER) return null;
  return { id, size: allOnes ? null : size, headerLength: idWidth + sizeWidth, sizeWidth };
}

/** The size field of `size` in exactly `width` bytes (1–8), or undefined when it does not fit (all ones is reserved). */
export function encodeSize(size: number, width: number): Uint8Array | undefined {
  if (width < 1 || width > 8 || size < 0 || size >= 2 ** (7 * width) - 1) return undefined;
  const out = new Uint8Array(width);
  let rest = size;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  out[0] |= 0x80 >> (width - 1);
  return out;
}

/** The fewest bytes a size field of `size` takes. */
export function sizeWidthOf(size: number): number {
  let width = 1;
  while (size >= 2 ** (7 * width) - 1) width++;
  return width;
}

/** An unsigned integer element's value (big-endian, up to 8 bytes; beyond 2^53 it loses precision, never met here). */
export function readUint(bytes: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + bytes[at + i];
  return value;
}

/** `value` in exactly `width` bytes, big-endian, or undefined when it does not fit. */
export function encodeUint(value: number, width: number): Uint8Array | undefined {
  if (value < 0 || value >= 2 ** (8 * width)) return undefined;
  const out = new Uint8Array(width);
  let rest = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

/** A whole element: its id's bytes, the size in the fewest bytes, then `data`. */
export function element(id: number, data: Uint8Array): Uint8Array {
  const idBytes: number[] = [];
  for (let rest = id; rest > 0; rest = Math.floor(rest / 256)) idBytes.unshift(rest % 256);
  const size = encodeSize(data.length, sizeWidthOf(data.length))!;
  return Buffer.concat([Uint8Array.from(idBytes), size, data]);
}

/** A 64-bit float element (e.g. Duration). */
export function floatElement(id: number, value: number): Uint8Array {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setFloat64(0, value);
  return element(id, data);
}

/** A float element's value (4 or 8 bytes), or NaN for another length. */
export function readFloat(bytes: Uint8Array, at: number, length: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, length);
  return length === 8 ? view.getFloat64(0) : length === 4 ? view.getFloat32(0) : NaN;
}
