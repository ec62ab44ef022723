// Upload throughput and server memory: streams a 1 GiB file over HTTP into a running V4H server (disk engine, stored
// encrypted at rest: SHA-256 of the plaintext, AES-256-GCM in 64 KiB chunks) and compares MB/s with `sha256sum` of
// the same file in the same run (target ratio ≥ 0.7); also the server's
// peak RSS growth during the upload (target < 100 MB). Last stdout line: JSON (bench/run.js contract).
// Env: V4H_BENCH_UPLOAD_MB (default 1024).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './lib/processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SIZE = Number(process.env.V4H_BENCH_UPLOAD_MB ?? 1024) * 1024 * 1024;
const MB = 1e6;
if (!fs.existsSync(path.join(root, 'packages/server/dist/storage/service.js'))) {
  execFileSync('npm', ['run', 'build', '-w', '@v4h/server'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-bench-upload-'));
const source = path.join(work, 'recording.webm');
const server = await startServerProcess({
  env: {
    V4H_DATA_DIR: path.join(work, 'data'),
    V4H_DATABASE_URL: `sqlite:${path.join(work, 'data', 'v4h.sqlite')}`,
    V4H_STORAGE_URL: `file:${path.join(work, 'data', 'files')}`,
    V4H_ADMIN_USERNAME: 'bench',
    V4H_ADMIN_PASSWORD: 'bench-password-123',
    V4H_JITSI_URL: 'https://meet.example.org',
  },
});
try {
  writeSource(source, SIZE);

  // Baseline: hashing the same (page-cached) bytes with coreutils.
  let started = process.hrtime.bigint();
  const sum = spawnSync('sha256sum', [source], { encoding: 'utf8' });
  if (sum.status !== 0) throw new Error(`sha256sum failed: ${sum.stderr}`);
  const baselineSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const expected = sum.stdout.split(' ')[0];

  const token = (await json('POST', `${server.url}/api/auth/login`, { username: 'bench', password: 'bench-password-123' })).accessToken;
  const { sessionId } = await json('POST', `${server.url}/api/conferences`, {}, token);

  const rssBefore = procStatus(server.pid, 'VmRSS');
  resetPeak(server.pid);
  let sampledPeak = rssBefore;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, procStatus(server.pid, 'VmRSS'))), 50);
  started = process.hrtime.bigint();
  const stored = await uploadFile(`${server.url}/api/conferences/${sessionId}/files?kind=recording&name=bench.webm`, source, token);
  const uploadSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  if (stored.sha256 !== expected || stored.size !== SIZE) throw new Error(`stored ${stored.size} B / ${stored.sha256}, expected ${SIZE} B / ${expected}`);
  // What was measured is the encrypted path: the stored object is the chunked ciphertext, not the file.
  const object = path.join(work, 'data', 'files', stored.fileId.slice(0, 2), stored.fileId);
  const head = Buffer.alloc(8);
  const fd = fs.openSync(object, 'r');
  fs.readSync(fd, head, 0, 8, 0);
  fs.closeSync(fd);
  const sealedSize = 8 + SIZE + 16 * Math.ceil(SIZE / 65536);
  if (head.subarray(0, 4).toString() !== 'V4HE' || fs.statSync(object).size !== sealedSize) throw new Error('the stored object is not the encrypted format');
  const peak = Math.max(sampledPeak, procStatus(server.pid, 'VmHWM'));
  const growthMB = Math.max(0, peak - rssBefore) / 1024; // /proc reports kB

  const uploadRate = SIZE / MB / uploadSeconds;
  const baselineRate = SIZE / MB / baselineSeconds;
  const ratio = Math.round((uploadRate / baselineRate) * 1000) / 1000;
  console.log(
    `upload ${(SIZE / 2 ** 20).toFixed(0)} MiB over HTTP (SHA-256 + AES-256-GCM + fsync + rename): ${uploadRate.toFixed(0)} MB/s in ${uploadSeconds.toFixed(2)} s`,
  );
  console.log(`sha256sum of the same file: ${baselineRate.toFixed(0)} MB/s in ${baselineSeconds.toFixed(2)} s → ratio ${ratio} (target ≥ 0.7)`);
  console.log(`server RSS ${(rssBefore / 1024).toFixed(0)} MB before, peak growth ${growthMB.toFixed(1)} MB (target < 100 MB)`);
  console.log(
    JSON.stringify({
      figures: [
        {
          name: 'upload 1 GiB over HTTP to disk storage, encrypted at rest',
          value: Math.round(uploadRate),
          unit: 'MB/s',
          baseline: { name: 'sha256sum of the same file', value: Math.round(baselineRate) },
          ratio,
          target: 'ratio ≥ 0.7',
          pass: ratio >= 0.7,
        },
        { name: 'server peak RSS growth during the upload', value: Math.round(growthMB * 10) / 10, unit: 'MB', target: '< 100 MB', pass: growthMB < 100 },
      ],
      notes: [`file of ${SIZE} B; server and client on one machine (${os.cpus().length} cores); stored SHA-256 checked against sha256sum`],
    }),
  );
} finally {
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

/** Writes `size` random-looking bytes in 16 MiB blocks (never held whole). */
function writeSource(file, size) {
  const block = Buffer.alloc(16 * 1024 * 1024);
  randomFillSync(block);
  const fd = fs.openSync(file, 'w');
  for (let written = 0; written < size;) {
    block.writeUInt32LE(written >>> 0, 0);
    const n = Math.min(block.length, size - written);
    fs.writeSync(fd, block, 0, n);
    written += n;
  }
  fs.closeSync(fd);
}

function uploadFile(url, file, token) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'video/webm', 'content-length': String(fs.statSync(file).size) },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(body)) : reject(new Error(`upload: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    fs.createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(req);
  });
}

async function json(method, url, body, token) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A memory figure of /proc/<pid>/status, in kB. */
function procStatus(pid, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/** Resets VmHWM (peak RSS) so that it measures the upload alone; the 50 ms sampler covers kernels that refuse. */
function resetPeak(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not permitted: sampling only
  }
}
