// Encryption at rest, as a layer over any storage back end: each object is sealed with its own data key (AES-256-GCM in
// 64 KiB chunks, so a Range read decrypts only the chunks it touches), and the data key is wrapped by a master key. The
// wrapped key lives in the database (files row), never beside the object: destroying it leaves every copy of the
// object, backups included, unreadable. Format and key handling: docs/files.md "Encryption at rest".
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import type { ByteRange, PutOptions, StorageBackend } from './backend.js';

/** The scheme name recorded per file; files stored before encryption have none (plaintext). */
export const SCHEME = 'v4h-aes-256-gcm-64k';
/** Plaintext bytes per chunk. */
export const CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
const SEALED_CHUNK = CHUNK_SIZE + TAG_SIZE;
/** "V4HE", format version 1, log2 of the chunk size, two zero bytes. Also bound into every chunk's tag. */
export const HEADER = Buffer.from([0x56, 0x34, 0x48, 0x45, 1, 16, 0, 0]);

/** What the files row keeps to read an encrypted object: the scheme, which master key wrapped the data key, and it. */
export interface SealedKey {
  scheme: typeof SCHEME;
  /** Id of the master key that wrapped `dataKey` (MasterKeyring.idOf). */
  keyId: string;
  /** base64url(iv ‖ wrapped data key ‖ tag). */
  dataKey: string;
}

/** A stored object failed authentication: its bytes were changed, truncated or extended since they were written. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** The data key cannot be unwrapped with the master keys this server has. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** The master keys a server holds: the current one wraps new data keys; older ones (rotation) still unwrap. */
export class MasterKeyring {
  readonly currentId: string;
  readonly #wrapping = new Map<string, Buffer>();

  constructor(current: Buffer, previous: Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== 32) throw new Error('a master key is 32 bytes');
      this.#wrapping.set(MasterKeyring.idOf(key), Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'v4h data key wrapping v1', 32)));
    }
    this.currentId = MasterKeyring.idOf(current);
  }

  /** A public, stable id of a master key (16 hex digits): tells which key wrapped a data key, and a wrong key at start. */
  static idOf(key: Buffer): string {
    return createHmac('sha256', key).update('v4h master key id v1').digest('hex').slice(0, 16);
  }

  has(keyId: string): boolean {
    return this.#wrapping.has(keyId);
  }

  get ids(): string[] {
    return [...this.#wrapping.keys()];
  }

  /** Wraps a data key under the current master key, bound to the object it opens (its storage key). */
  wrap(dataKey: Buffer, storageKey: string): SealedKey {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#wrapping.get(this.currentId)!, iv);
    cipher.setAAD(Buffer.from(`v4h data key|${this.currentId}|${storageKey}`));
    const wrapped = Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { scheme: SCHEME, keyId: this.currentId, dataKey: wrapped.toString('base64url') };
  }

  unwrap(sealed: Pick<SealedKey, 'keyId' | 'dataKey'>, storageKey: string): Buffer {
    const key = this.#wrapping.get(sealed.keyId);
    if (!key)
      throw new MasterKeyError(`the data key of ${storageKey} is wrapped by master key ${sealed.keyId}, which this server does not have (V4H_MASTER_KEY)`);
    const raw = Buffer.from(sealed.dataKey, 'base64url');
    if (raw.length !== 12 + 32 + TAG_SIZE) throw new MasterKeyError(`the wrapped data key of ${storageKey} is malformed`);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(`v4h data key|${sealed.keyId}|${storageKey}`));
    decipher.setAuthTag(raw.subarray(12 + 32));
    try {
      return Buffer.concat([decipher.update(raw.subarray(12, 12 + 32)), decipher.final()]);
    } catch {
      throw new MasterKeyError(`the wrapped data key of ${storageKey} fails authentication (changed, or moved from another file)`);
    }
  }

  /** Re-wraps a data key under the current master key (rotation); the object itself is not touched. */
  rewrap(sealed: SealedKey, storageKey: string): SealedKey {
    return this.wrap(this.unwrap(sealed, storageKey), storageKey);
  }
}

/** Chunks in an object of `size` plaintext bytes (an empty object still has one, empty, chunk: its tag). */
export const chunkCount = (size: number): number => Math.max(1, Math.ceil(size / CHUNK_SIZE));
/** Stored size of an object of `size` plaintext bytes. */
export const sealedSize = (size: number): number => HEADER.length + size + chunkCount(size) * TAG_SIZE;

/** Nonce of chunk `index`: the index, big-endian, in 12 bytes. Data keys are never reused, so nonces never repeat. */
function nonce(index: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUIntBE(index, 6, 6);
  return iv;
}

/** Associated data of chunk `index`: the header, the index and whether it is the last chunk (no truncation, no reorder). */
function chunkAad(index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(HEADER.length + 9);
  HEADER.copy(aad, 0);
  aad.writeUIntBE(index, HEADER.length + 2, 6);
  aad[HEADER.length + 8] = final ? 1 : 0;
  return aad;
}

/** Encrypts a plaintext stream into the chunked format: header, then per chunk its ciphertext and its tag. */
export class EncryptingStream extends Transform {
  readonly #key: Buffer;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #index = 0;

  constructor(dataKey: Buffer) {
    super({ highWaterMark: 1024 * 1024 });
    this.#key = dataKey;
    this.push(HEADER);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    // A full chunk is sealed once at least one byte follows it: only then is it known not to be the last.
    while (this.#pendingBytes > CHUNK_SIZE) this.#seal(CHUNK_SIZE, false);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#seal(this.#pendingBytes, true);
    callback();
  }

  #seal(length: number, final: boolean) {
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce(this.#index));
    cipher.setAAD(chunkAad(this.#index, final));
    let left = length;
    while (left > 0) {
      const head = this.#pending[0];
      if (head.length <= left) {
        this.#pending.shift();
        this.push(cipher.update(head));
        left -= head.length;
      } else {
        this.push(cipher.update(head.subarray(0, left)));
        this.#pending[0] = head.subarray(left);
        left = 0;
      }
    }
    const tail = cipher.final();
    if (tail.length) this.push(tail);
    this.push(cipher.getAuthTag());
    this.#pendingBytes -= length;
    this.#index++;
  }
}

/**
 * Decrypts sealed chunks `first..last` of an object of `size` plaintext bytes (the input starts at chunk `first`) and
 * passes on `take` bytes starting `skip` bytes into chunk `first`. A chunk's plaintext is passed on only once its tag
 * checks; any failure (changed bytes, a truncated or longer object) errors the stream with IntegrityError.
 */
export class DecryptingStream extends Transform {
  readonly #key: Buffer;
  readonly #lastChunk: number;
  readonly #finalChunk: number;
  readonly #size: number;
  readonly #label: string;
  #index: number;
  #skip: number;
  #take: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #settle?: (error?: Error) => void;
  /**
   * Settles once the first chunk has been checked (or the stream has failed): a download whose first chunk fails is
   * refused with an error status before any header is sent; a later chunk that fails can only cut the response.
   */
  readonly ready: Promise<void>;

  constructor(options: { dataKey: Buffer; size: number; first: number; last: number; skip: number; take: number; label: string }) {
    super({ highWaterMark: 1024 * 1024 });
    this.#key = options.dataKey;
    this.#size = options.size;
    this.#index = options.first;
    this.#lastChunk = options.last;
    this.#finalChunk = chunkCount(options.size) - 1;
    this.#skip = options.skip;
    this.#take = options.take;
    this.#label = options.label;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settle = (error) => {
        this.#settle = undefined;
        if (error) reject(error);
        else resolve();
      };
    });
    this.ready.catch(() => {});
    this.once('error', (error) => this.#settle?.(error));
  }

  /** Stored length of chunk `index` (the final one may be short). */
  #sealedLength(index: number): number {
    return index < this.#finalChunk ? SEALED_CHUNK : this.#size - index * CHUNK_SIZE + TAG_SIZE;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    try {
      while (this.#index <= this.#lastChunk && this.#pendingBytes >= this.#sealedLength(this.#index)) this.#open();
      if (this.#index > this.#lastChunk && this.#pendingBytes > 0) throw this.#failure('the object is longer than its record says');
    } catch (error) {
      return callback(error as Error);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#index <= this.#lastChunk) return callback(this.#failure('the object is shorter than its record says'));
    this.#settle?.();
    callback();
  }

  #failure(why: string): IntegrityError {
    return new IntegrityError(`stored object ${this.#label} fails authentication at chunk ${this.#index}: ${why} (tampered with or corrupted)`);
  }

  #open() {
    const length = this.#sealedLength(this.#index);
    const sealed = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending, this.#pendingBytes);
    const rest = sealed.subarray(length);
    this.#pending = rest.length ? [rest] : [];
    this.#pendingBytes = rest.length;
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce(this.#index));
    decipher.setAAD(chunkAad(this.#index, this.#index === this.#finalChunk));
    decipher.setAuthTag(sealed.subarray(length - TAG_SIZE, length));
    let plain: Buffer;
    try {
      plain = decipher.update(sealed.subarray(0, length - TAG_SIZE));
      decipher.final();
    } catch {
      throw this.#failure('its tag does not match');
    }
    this.#index++;
    const from = this.#skip;
    const to = Math.min(plain.length, from + this.#take);
    this.#skip = 0;
    this.#take -= to - from;
    if (to > from) this.push(from === 0 && to === plain.length ? plain : plain.subarray(from, to));
    this.#settle?.();
  }
}

/**
 * A storage back end with every object encrypted. put() returns the sealed data key for the files row; get() needs it
 * back, with the plaintext size (also in the row). Objects stored before encryption (no sealed key) read as they are.
 */
export class EncryptedStorage {
  constructor(
    readonly backend: StorageBackend,
    readonly keyring: MasterKeyring,
  ) {}

  get kind(): StorageBackend['kind'] {
    return this.backend.kind;
  }

  /** Consumes `body` once, storing it encrypted under a fresh data key; rejects (leaving no object) as the back end does. */
  async put(key: string, body: Readable, options: PutOptions): Promise<SealedKey> {
    const dataKey = randomBytes(32);
    const sealed = this.keyring.wrap(dataKey, key);
    const encrypting = new EncryptingStream(dataKey);
    // A failing source fails the back end's write (which then keeps nothing); a failing write stops the source.
    body.on('error', (error) => encrypting.destroy(error));
    // The back end's put() reports a failed stream; an error before it listens must not go unheard (and crash).
    encrypting.on('error', () => {});
    body.pipe(encrypting);
    try {
      await this.backend.put(key, encrypting, options);
    } catch (error) {
      body.unpipe(encrypting);
      body.destroy();
      throw error;
    }
    return sealed;
  }

  /** The plaintext of an object of `size` bytes, or of one range of it. */
  async get(key: string, sealed: SealedKey | null, size: number, range?: ByteRange): Promise<Readable> {
    if (!sealed) return this.backend.get(key, range);
    if (sealed.scheme !== SCHEME) throw new Error(`unknown encryption scheme ${JSON.stringify(sealed.scheme)} for ${key}`);
    const dataKey = this.keyring.unwrap(sealed, key);
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const first = Math.floor(start / CHUNK_SIZE);
    const last = Math.max(first, Math.floor(end / CHUNK_SIZE));
    const from = HEADER.length + first * SEALED_CHUNK;
    const to = Math.min(HEADER.length + (last + 1) * SEALED_CHUNK, sealedSize(size)) - 1;
    const source = await this.backend.get(key, { start: from, end: to });
    const decrypting = new DecryptingStream({ dataKey, size, first, last, skip: start - first * CHUNK_SIZE, take: end - start + 1, label: key });
    // Errors either way end both: a failed read fails the download; a closed download stops the read.
    pipeline(source, decrypting, () => {});
    await decrypting.ready;
    return decrypting;
  }

  async delete(key: string): Promise<void> {
    await this.backend.delete(key);
  }

  /** A direct link to the object in the store: only for plaintext objects (an encrypted one is served by V4H). */
  async signedUrl(key: string, sealed: SealedKey | null, options: Parameters<StorageBackend['signedUrl']>[1]): Promise<string | null> {
    return sealed ? null : this.backend.signedUrl(key, options);
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}
