// The storage back-end interface (one small contract) and the factory that picks an engine from V4H_STORAGE_URL.
import type { Readable } from 'node:stream';

/** An inclusive byte range, already checked against the object's size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  contentType: string;
}

export interface SignedUrlOptions {
  /** Lifetime of the link in seconds. */
  expiresIn: number;
  contentType: string;
  /** Suggested download name (Content-Disposition). */
  filename: string;
  /** Signing time in ms (defaults to now); lets the service's clock drive expiry. */
  now?: number;
}

/**
 * Where file bytes live. Keys are opaque `[A-Za-z0-9_-]` paths chosen by the service, never by callers.
 * An object becomes visible only once `put` has resolved; a failed or aborted `put` leaves nothing.
 */
export interface StorageBackend {
  readonly kind: 'file' | 's3';
  /** Consumes `body` once; rejects (leaving no object) if the stream errors or the store fails. */
  put(key: string, body: Readable, options: PutOptions): Promise<void>;
  /** The object's bytes, or one range of them. Rejects with NotFoundInStorage if absent. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of a stored object, or null if absent. */
  head(key: string): Promise<{ size: number } | null>;
  /** Removes an object; absent objects are not an error. */
  delete(key: string): Promise<void>;
  /** A direct, time-limited download link (S3 presigned URL), or null when the engine has none. */
  signedUrl(key: string, options: SignedUrlOptions): Promise<string | null>;
  close(): Promise<void>;
}

/** Raised by get() for a key that has no object. */
export class NotFoundInStorage extends Error {
  constructor(readonly key: string) {
    super(`no stored object ${key}`);
    this.name = 'NotFoundInStorage';
  }
}

const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

/** Throws for keys that could escape the store (path traversal, odd characters). */
export function assertKey(key: string): void {
  if (!KEY.test(key) || key.length > 512) throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
}

export interface StorageCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Opens the engine named by `file:<dir>` or `s3://bucket[/prefix]?endpoint=…&region=…`. */
export async function openStorage(url: string, options: { credentials?: StorageCredentials; region?: string } = {}): Promise<StorageBackend> {
  if (url.startsWith('file:')) {
    const { FileStorage } = await import('./file-backend.js');
    return FileStorage.open(url);
  }
  if (url.startsWith('s3://')) {
    const { S3Storage } = await import('./s3-backend.js');
    return S3Storage.fromUrl(url, options);
  }
  throw new Error(`unsupported storage URL scheme: ${url.split(':')[0]}`);
}
