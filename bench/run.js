// `npm run bench`: runs every benchmark against a baseline measured in the same run and writes
// bench/results/latest.md and latest.json. The server and each load generator run in processes of their own.
// Env: V4H_BENCH_SECONDS (default 10) per measurement; V4H_BENCH_PROFILE=0 skips the --cpu-prof runs of missed targets;
// V4H_BENCH_ONLY=core|client-size|upload|records|room|webhooks (comma-separated) runs a subset.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreBenchmarks } from './lib/core-benchmarks.js';
import { runScriptBenchmark } from './lib/script-benchmarks.js';
import { renderMarkdown } from './lib/report.js';
import { microCosts } from './lib/micro-costs.js';
import { analyse } from './lib/analysis.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = path.join(root, 'bench', 'results');
const seconds = Number(process.env.V4H_BENCH_SECONDS ?? 10);
const profile = process.env.V4H_BENCH_PROFILE !== '0';

if (!fs.existsSync(path.join(root, 'packages/server/dist/server.js'))) {
  console.log('building the server (packages/server/dist is missing)…');
  execFileSync('npm', ['run', 'build', '-w', '@v4h/server'], { cwd: root, stdio: 'inherit' });
}

const started = Date.now();
const run = {
  date: new Date().toISOString(),
  commit: gitCommit(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
  },
  secondsPerMeasurement: seconds,
  figures: [],
  notes: [],
  profiles: [],
};
const log = (message) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`);

const only = process.env.V4H_BENCH_ONLY?.split(',').map((s) => s.trim());
const wanted = (name) => !only || only.includes(name);
if (wanted('core')) {
  await coreBenchmarks({ run, seconds, profile, resultsDir, log });
  run.microCosts = await microCosts();
  for (const m of run.microCosts) log(`cost: ${m.name}: ${m.microseconds} µs`);
}
for (const name of ['client-size', 'upload', 'records', 'room', 'webhooks']) {
  if (wanted(name)) await runScriptBenchmark({ run, name, root, log });
}

run.analysis = analyse(run);
run.machine.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
run.totalSeconds = Math.round((Date.now() - started) / 1000);
fs.mkdirSync(resultsDir, { recursive: true });
fs.writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(run, null, 2)}\n`);
fs.writeFileSync(path.join(resultsDir, 'latest.md'), renderMarkdown(run));
log(`done in ${run.totalSeconds} s: bench/results/latest.md`);
const missed = run.figures.filter((f) => f.pass === false);
if (missed.length) log(`targets missed: ${missed.map((f) => f.name).join('; ')}`);

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  } catch {
    return null;
  }
}
