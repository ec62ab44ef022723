// S3-compatible storage (AWS S3, MinIO, Ceph…): multipart uploads that become visible only when completed.
import type { Readable } from 'node:stream';
import { AbortMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from './content-disposition.js';
import {
  assertKey,
  NotFoundInStorage,
  type ByteRange,
  type PutOptions,
  type SignedUrlOptions,
  type StorageBackend,
  type StorageCredentials,
} from './backend.js';

/** 8 MiB parts, two in flight: at most ~16 MiB buffered per upload; 10 000 parts cover 78 GiB. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

export class S3Storage implements StorageBackend {
  readonly kind = 's3' as const;

  private constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  /** `s3://bucket[/prefix]?endpoint=http://host:port&region=…`; an endpoint implies path-style addressing. */
  static fromUrl(url: string, options: { credentials?: StorageCredentials; region?: string } = {}): S3Storage {
    const parsed = new URL(url);
    const bucket = decodeURIComponent(parsed.host);
    if (!bucket) throw new Error('V4H_STORAGE_URL: s3:// needs a bucket name (s3://bucket?region=…)');
    const prefix = parsed.pathname.replace(/^\/+|\/+$/g, '');
    const endpoint = parsed.searchParams.get('endpoint') ?? undefined;
    const client = new S3Client({
      region: parsed.searchParams.get('region') ?? options.region ?? 'us-east-1',
      endpoint,
      forcePathStyle: endpoint !== undefined,
      credentials: options.credentials,
      // Streamed bodies of unknown length must not get aws-chunked framing (S3-compatible stores differ).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new S3Storage(client, bucket, prefix);
  }

  #key(key: string): string {
    assertKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.#key(key), Body: body, ContentType: options.contentType },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
      // We abort a failed multipart upload ourselves, so that a failing abort cannot hide the first error.
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (error) {
      body.destroy();
      if (upload.uploadId) {
        // Never completed, so never visible; a bucket lifecycle rule reaps parts an abort could not remove.
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.#key(key), UploadId: upload.uploadId })).catch(() => {});
      }
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      return result.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw new NotFoundInStorage(key);
      throw error;
    }
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      return { size: result.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.#key(key),
      ResponseContentType: options.contentType,
      ResponseContentDisposition: contentDisposition('inline', options.filename),
    });
    return getSignedUrl(this.client, command, {
      expiresIn: options.expiresIn,
      signingDate: options.now === undefined ? undefined : new Date(options.now),
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
