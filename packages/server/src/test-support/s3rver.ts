// Test helper: a real S3-compatible server (s3rver, a dev dependency) on 127.0.0.1, a random port and a temp dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no type declarations
import S3rver from 's3rver';

export interface TestS3 {
  /** The V4H_STORAGE_URL for the test bucket. */
  storageUrl: string;
  endpoint: string;
  bucket: string;
  /** Environment (credentials) the app reads for this server. */
  env: Record<string, string>;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Object keys in the bucket (multipart leftovers are not objects). */
  listKeys(): string[];
  close(): Promise<void>;
}

export async function startTestS3(bucket = 'v4h-test'): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    storageUrl: `s3://${bucket}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`,
    endpoint,
    bucket,
    credentials,
    env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    listKeys() {
      // s3rver keeps each object as `<key>._S3rver_object` under <directory>/<bucket>.
      const root = path.join(directory, bucket);
      const keys: string[] = [];
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (entry.name.endsWith('._S3rver_object')) keys.push(path.relative(root, full).replace(/\._S3rver_object$/, ''));
        }
      };
      if (fs.existsSync(root)) walk(root);
      return keys.sort();
    },
    async close() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
