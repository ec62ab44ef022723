// An S3-compatible server (s3rver) that can be stopped and started again on the same port with the same data.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error -- s3rver ships no type declarations
import S3rver from 's3rver';
import { freePort } from '../../bench/lib/processes.js';

export async function restartableS3(bucket = 'v4h-rel') {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-rel-s3-'));
  const port: number = await freePort();
  let server: { run(): Promise<unknown>; close(): Promise<void> } | undefined;
  const endpoint = `http://127.0.0.1:${port}`;
  const s3 = {
    storageUrl: `s3://${bucket}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`,
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
    async start() {
      server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
      await server!.run();
    },
    async stop() {
      await server?.close();
      server = undefined;
    },
    async destroy() {
      await s3.stop();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
  await s3.start();
  return s3;
}
