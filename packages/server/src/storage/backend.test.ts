// Contract tests for both storage engines: a real directory and a real S3-compatible server (s3rver).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage, NotFoundInStorage, type StorageBackend } from './backend.js';
import { startTestS3, type TestS3 } from '../test-support/s3rver.js';
import { SYNC_EVERY } from './file-backend.js';

/** A stream of `total` pseudo-random bytes in 64 KiB chunks, never held whole; `failAfter` errors mid-way. */
function generated(total: number, opts: { failAfter?: number; hash?: ReturnType<typeof createHash> } = {}): Readable {
  let sent = 0;
  const block = randomBytes(64 * 1024);
  return new Readable({
    read() {
      if (opts.failAfter !== undefined && sent >= opts.failAfter) return this.destroy(new Error('client went away'));
      if (sent >= total) return this.push(null);
      const chunk = block.subarray(0, Math.min(block.length, total - sent));
      block[0] = (block[0] + 1) & 255; // vary the chunks
      opts.hash?.update(chunk);
      sent += chunk.length;
      this.push(Buffer.from(chunk));
    },
  });
}

async function sha256Of(stream: Readable): Promise<{ hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hex: hash.digest('hex'), size };
}

const engines: Array<{ name: string; setup(): Promise<{ storage: StorageBackend; keys: () => string[]; close: () => Promise<void> }> }> = [
  {
    name: 'file',
    async setup() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-files-'));
      const storage = await openStorage(`file:${dir}`);
      const keys = () =>
        fs
          .readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
          .sort();
      return { storage, keys, close: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 's3',
    async setup() {
      const s3: TestS3 = await startTestS3();
      const storage = await openStorage(`${s3.storageUrl.replace('s3://v4h-test', 's3://v4h-test/records')}`, { credentials: s3.credentials });
      return {
        storage,
        keys: () => s3.listKeys(),
        close: async () => {
          await storage.close();
          await s3.close();
        },
      };
    },
  },
];

describe.each(engines)('storage engine: $name', (engine) => {
  let storage: StorageBackend;
  let keys: () => string[];
  let close: () => Promise<void>;
  beforeAll(async () => ({ storage, keys, close } = await engine.setup()));
  afterAll(async () => close());

  it('stores a stream and reads it back whole and by range', async () => {
    await storage.put('a/one', Readable.from([Buffer.from('hello '), Buffer.from('world')]), { contentType: 'text/plain' });
    expect(await text(await storage.get('a/one'))).toBe('hello world');
    expect(await text(await storage.get('a/one', { start: 6, end: 10 }))).toBe('world');
    expect(await text(await storage.get('a/one', { start: 1, end: 1 }))).toBe('e');
    expect(await storage.head('a/one')).toEqual({ size: 11 });
  });

  it('stores a large stream (multipart on S3) byte for byte', async () => {
    const hash = createHash('sha256');
    const size = 19 * 1024 * 1024 + 123;
    await storage.put('big', generated(size, { hash }), { contentType: 'video/mp4' });
    const expected = hash.digest('hex');
    expect(await sha256Of(await storage.get('big'))).toEqual({ hex: expected, size });
    expect(await storage.head('big')).toEqual({ size });
  });

  it('leaves no object when the source stream fails, small or past one part', async () => {
    const before = keys();
    await expect(storage.put('broken-small', generated(1 << 20, { failAfter: 256 * 1024 }), { contentType: 'video/mp4' })).rejects.toThrow();
    await expect(storage.put('broken-at-once', generated(1 << 20, { failAfter: 0 }), { contentType: 'video/mp4' })).rejects.toThrow();
    await expect(storage.put('broken-big', generated(40 << 20, { failAfter: 20 << 20 }), { contentType: 'video/mp4' })).rejects.toThrow();
    expect(await storage.head('broken-small')).toBeNull();
    expect(await storage.head('broken-big')).toBeNull();
    await expect(storage.get('broken-big')).rejects.toBeInstanceOf(NotFoundInStorage);
    expect(keys()).toEqual(before);
  });

  it('deletes, and treats a missing object as gone', async () => {
    await storage.put('gone', Readable.from([Buffer.from('x')]), { contentType: 'text/plain' });
    await storage.delete('gone');
    expect(await storage.head('gone')).toBeNull();
    await storage.delete('gone');
  });

  it('refuses keys that could escape the store', async () => {
    for (const key of ['../x', 'a/../b', '/abs', 'a//b', 'a b', '']) {
      await expect(storage.put(key, Readable.from([]), { contentType: 'text/plain' })).rejects.toThrow(/invalid storage key/);
    }
  });

  it(engine.name === 's3' ? 'gives a presigned link that serves ranges and expires' : 'has no direct link (the service signs one)', async () => {
    await storage.put('linked', Readable.from([Buffer.from('0123456789')]), { contentType: 'video/webm' });
    const url = await storage.signedUrl('linked', { expiresIn: 60, contentType: 'video/webm', filename: 'visit é.webm' });
    if (engine.name === 'file') return expect(url).toBeNull();
    const whole = await fetch(url!);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/webm');
    expect(await whole.text()).toBe('0123456789');
    const part = await fetch(url!, { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(await part.text()).toBe('234');
    const old = await storage.signedUrl('linked', { expiresIn: 60, contentType: 'video/webm', filename: 'v.webm', now: Date.now() - 3600_000 });
    expect((await fetch(old!)).status).toBe(403);
    // (s3rver does not verify V4 signatures, so forged links are tested on the V4H-signed route only.)
  });
});

describe('file storage: durable writes', () => {
  it('syncs a large file while it is written, not only at the end, and still stores it byte for byte', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-files-sync-'));
    const storage = await openStorage(`file:${dir}`);
    // Counted on FileHandle's own methods (the real ones run): data syncs during the write, a full sync at its end.
    const probe = await fs.promises.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: (this: unknown) => Promise<void>; sync: (this: unknown) => Promise<void> };
    await probe.close();
    const calls: string[] = [];
    const { datasync, sync } = proto;
    proto.datasync = function (this: unknown) {
      calls.push('datasync');
      return datasync.call(this);
    };
    proto.sync = function (this: unknown) {
      calls.push('sync');
      return sync.call(this);
    };
    try {
      const hash = createHash('sha256');
      const size = 3 * SYNC_EVERY + 4321;
      await storage.put('big', generated(size, { hash }), { contentType: 'video/mp4' });
      expect(await sha256Of(await storage.get('big'))).toEqual({ hex: hash.digest('hex'), size });
      // At least one data sync while the data arrives. Not a fixed count: at most one runs at a time, and on a busy
      // machine one 32 MiB sync can outlast the rest of the upload (seen beside two spinning processes).
      expect(calls.filter((c) => c === 'datasync').length).toBeGreaterThanOrEqual(1);
      expect(calls.indexOf('sync')).toBeGreaterThan(calls.indexOf('datasync')); // the file's fsync comes last
      // A source that fails after a sync has started: nothing is left behind, and the file is closed (no EBADF later).
      await expect(storage.put('broken', generated(3 * SYNC_EVERY, { failAfter: SYNC_EVERY + (1 << 20) }), { contentType: 'video/mp4' })).rejects.toThrow(
        'client went away',
      );
      expect(fs.readdirSync(path.join(dir, '.partial'))).toEqual([]);
      expect(await storage.head('broken')).toBeNull();
    } finally {
      proto.datasync = datasync;
      proto.sync = sync;
      await storage.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
