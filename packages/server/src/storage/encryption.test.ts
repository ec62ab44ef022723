// Encryption at rest over both storage engines (a real directory, a real S3-compatible server): chunked AES-256-GCM,
// Range reads across chunk boundaries, tampering, wrapped data keys and master keys.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage, type StorageBackend } from './backend.js';
import { CHUNK_SIZE, EncryptedStorage, HEADER, IntegrityError, MasterKeyError, MasterKeyring, sealedSize, type SealedKey } from './encryption.js';
import { parseMasterKey } from '../lib/master-key.js';
import { startTestS3 } from '../test-support/s3rver.js';

/** `data` as a stream of pieces of `piece` bytes (uploads arrive in pieces that do not line up with chunks). */
const pieces = (data: Buffer, piece = 10_000) =>
  Readable.from(Array.from({ length: Math.ceil(data.length / piece) }, (_, i) => data.subarray(i * piece, (i + 1) * piece)));

const engines: Array<{ name: string; setup(): Promise<{ backend: StorageBackend; close: () => Promise<void> }> }> = [
  {
    name: 'file',
    async setup() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-enc-'));
      const backend = await openStorage(`file:${dir}`);
      return { backend, close: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 's3',
    async setup() {
      const s3 = await startTestS3();
      const backend = await openStorage(s3.storageUrl, { credentials: s3.credentials });
      return {
        backend,
        close: async () => {
          await backend.close();
          await s3.close();
        },
      };
    },
  },
];

describe.each(engines)('encrypted storage over the $name engine', (engine) => {
  let backend: StorageBackend;
  let close: () => Promise<void>;
  let storage: EncryptedStorage;
  const master = randomBytes(32);
  beforeAll(async () => {
    ({ backend, close } = await engine.setup());
    storage = new EncryptedStorage(backend, new MasterKeyring(master));
  });
  afterAll(async () => close());

  /** The plaintext, read through the layer. */
  const read = async (...args: Parameters<EncryptedStorage['get']>) => buffer(await storage.get(...args));
  /** The object's bytes as stored (ciphertext). */
  const raw = async (key: string) => buffer(await backend.get(key));
  /** Replaces the stored bytes (what an attacker with access to the bucket or the disk could do). */
  const overwrite = async (key: string, bytes: Buffer) => backend.put(key, Readable.from([bytes]), { contentType: 'application/octet-stream' });

  it('stores ciphertext only, and reads back the plaintext whole', async () => {
    const plain = Buffer.concat([Buffer.from('PATIENT-VISIT '.repeat(20_000)), randomBytes(3 * CHUNK_SIZE + 17)]);
    const sealed = await storage.put('v/whole', pieces(plain, 7_777), { contentType: 'video/webm' });
    expect(sealed.scheme).toBe('v4h-aes-256-gcm-64k');
    const stored = await raw('v/whole');
    expect(stored.length).toBe(sealedSize(plain.length));
    expect(stored.subarray(0, HEADER.length).equals(HEADER)).toBe(true);
    expect(stored.includes(Buffer.from('PATIENT-VISIT'))).toBe(false);
    expect((await buffer(await storage.get('v/whole', sealed, plain.length))).equals(plain)).toBe(true);
    expect((await backend.head('v/whole'))?.size).toBe(sealedSize(plain.length));
  });

  it('reads ranges within a chunk, across one and several chunk boundaries, and at both ends', async () => {
    const size = 5 * CHUNK_SIZE + 1234;
    const plain = randomBytes(size);
    const sealed = await storage.put('v/ranges', pieces(plain, 65_000), { contentType: 'video/mp4' });
    const C = CHUNK_SIZE;
    const ranges: Array<[number, number]> = [
      [0, 0],
      [10, 20],
      [C - 1, C], // the first boundary
      [C - 5, 3 * C + 5], // several
      [2 * C, 3 * C - 1], // exactly one chunk
      [5 * C - 1, 5 * C], // into the short final chunk
      [size - 1, size - 1],
      [0, size - 1],
      [4 * C + 100, size - 1],
    ];
    for (const [start, end] of ranges) {
      const got = await buffer(await storage.get('v/ranges', sealed, size, { start, end }));
      expect(got.equals(plain.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });

  it('handles sizes at chunk multiples and the empty object', async () => {
    for (const size of [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE]) {
      const plain = randomBytes(size);
      const key = `v/size-${size}`;
      const sealed = await storage.put(key, pieces(plain, 4096), { contentType: 'video/webm' });
      expect((await raw(key)).length, String(size)).toBe(sealedSize(size));
      expect((await buffer(await storage.get(key, sealed, size))).equals(plain), String(size)).toBe(true);
      if (size > 1)
        expect((await buffer(await storage.get(key, sealed, size, { start: size - 2, end: size - 1 }))).equals(plain.subarray(size - 2))).toBe(true);
    }
  });

  it('refuses tampered ciphertext: a flipped bit, a truncated object, chunks swapped', async () => {
    const size = 3 * CHUNK_SIZE + 500;
    const plain = randomBytes(size);
    const sealed = await storage.put('v/tamper', pieces(plain), { contentType: 'video/webm' });
    const original = await raw('v/tamper');
    const sealedChunk = CHUNK_SIZE + 16;

    const flipped = Buffer.from(original);
    flipped[HEADER.length + sealedChunk + 1000] ^= 1; // inside chunk 1
    await overwrite('v/tamper', flipped);
    await expect(read('v/tamper', sealed, size)).rejects.toThrow(/fails authentication at chunk 1: its tag does not match/);
    await expect(read('v/tamper', sealed, size, { start: CHUNK_SIZE + 10, end: CHUNK_SIZE + 20 })).rejects.toBeInstanceOf(IntegrityError);
    // Plaintext of a chunk is only passed on once its tag checks: nothing of chunk 1 (or after) leaks out.
    const partial: Buffer[] = [];
    await expect(
      (async () => {
        for await (const piece of await storage.get('v/tamper', sealed, size)) partial.push(piece as Buffer);
      })(),
    ).rejects.toBeInstanceOf(IntegrityError);
    expect(Buffer.concat(partial).length).toBeLessThanOrEqual(CHUNK_SIZE);
    // A range that does not touch the changed chunk still reads.
    expect((await buffer(await storage.get('v/tamper', sealed, size, { start: 0, end: 99 }))).equals(plain.subarray(0, 100))).toBe(true);

    // Dropping the final chunk and claiming a shorter size: the last chunk read was not sealed as final.
    await overwrite('v/tamper', original.subarray(0, HEADER.length + 3 * sealedChunk));
    await expect(read('v/tamper', sealed, 3 * CHUNK_SIZE)).rejects.toThrow(/chunk 2: its tag does not match/);
    // A truncated object read with its true size.
    await expect(read('v/tamper', sealed, size)).rejects.toThrow(/shorter than its record says/);

    // Chunks 0 and 1 swapped.
    const swapped = Buffer.concat([
      original.subarray(0, HEADER.length),
      original.subarray(HEADER.length + sealedChunk, HEADER.length + 2 * sealedChunk),
      original.subarray(HEADER.length, HEADER.length + sealedChunk),
      original.subarray(HEADER.length + 2 * sealedChunk),
    ]);
    await overwrite('v/tamper', swapped);
    await expect(read('v/tamper', sealed, size)).rejects.toThrow(/chunk 0/);

    await overwrite('v/tamper', original);
    expect((await buffer(await storage.get('v/tamper', sealed, size))).equals(plain)).toBe(true);
  });

  it('opens an object only with its own data key, under a master key the server holds', async () => {
    const a = await storage.put('v/a', pieces(randomBytes(1000)), { contentType: 'video/webm' });
    const b = await storage.put('v/b', pieces(randomBytes(1000)), { contentType: 'video/webm' });
    expect(a.dataKey).not.toBe(b.dataKey);
    // A wrapped key is bound to its object: b's key moved onto a's row does not open.
    await expect(storage.get('v/a', b, 1000)).rejects.toThrow(MasterKeyError);
    await expect(storage.get('v/a', { ...a, dataKey: a.dataKey.slice(0, -2) + (a.dataKey.endsWith('AA') ? 'AB' : 'AA') }, 1000)).rejects.toThrow(
      /fails authentication/,
    );
    // Another master key: refused with the key's id named.
    const other = new EncryptedStorage(backend, new MasterKeyring(randomBytes(32)));
    await expect(other.get('v/a', a, 1000)).rejects.toThrow(new RegExp(`wrapped by master key ${a.keyId}, which this server does not have`));
  });

  it('reads plaintext objects stored before encryption as they are', async () => {
    const plain = Buffer.from('stored before encryption at rest');
    await backend.put('v/legacy', Readable.from([plain]), { contentType: 'text/plain' });
    expect((await buffer(await storage.get('v/legacy', null, plain.length))).equals(plain)).toBe(true);
    expect((await buffer(await storage.get('v/legacy', null, plain.length, { start: 7, end: 12 }))).toString()).toBe('before');
  });

  it('leaves no object when the source fails, and fails the source when the store does', async () => {
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent++ > 40) return this.destroy(new Error('client went away'));
        this.push(randomBytes(64 * 1024));
      },
    });
    await expect(storage.put('v/broken', failing, { contentType: 'video/webm' })).rejects.toThrow();
    expect(await backend.head('v/broken')).toBeNull();
    const source = pieces(randomBytes(1000));
    await expect(storage.put('../escape', source, { contentType: 'video/webm' })).rejects.toThrow(/invalid storage key/);
    expect(source.destroyed).toBe(true);
  });
});

describe('master keys', () => {
  it('parses 32-byte keys in hex or base64url, and refuses anything else', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('hex')).equals(key)).toBe(true);
    expect(parseMasterKey(` ${key.toString('base64url')}\n`).equals(key)).toBe(true);
    expect(parseMasterKey(key.toString('base64')).equals(key)).toBe(true);
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(33).toString('base64url'), 'z'.repeat(64)]) {
      expect(() => parseMasterKey(bad), bad).toThrow(/a master key is 32 bytes/);
    }
  });

  it('rotates: a previous key still unwraps, rewrap moves a data key to the current one', () => {
    const [old, current] = [randomBytes(32), randomBytes(32)];
    const before = new MasterKeyring(old);
    const sealed: SealedKey = before.wrap(Buffer.alloc(32, 7), 'ab/file');
    const after = new MasterKeyring(current, [old]);
    expect(after.ids).toEqual([MasterKeyring.idOf(current), MasterKeyring.idOf(old)]);
    expect(after.unwrap(sealed, 'ab/file').equals(Buffer.alloc(32, 7))).toBe(true);
    const moved = after.rewrap(sealed, 'ab/file');
    expect(moved.keyId).toBe(after.currentId);
    expect(new MasterKeyring(current).unwrap(moved, 'ab/file').equals(Buffer.alloc(32, 7))).toBe(true);
    expect(() => new MasterKeyring(current).unwrap(sealed, 'ab/file')).toThrow(MasterKeyError);
  });
});
