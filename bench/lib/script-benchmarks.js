// Benchmarks owned by other areas (bench/client-size.js, bench/upload.js, bench/records.js, bench/room.js), run when present.
// Contract: the script runs on its own and prints, as the last line of stdout, JSON
// `{ "figures": [{ "name", "value", "unit", "baseline"?: { "name", "value" }, "ratio"?, "target"?, "pass"? }], "notes"?: [] }`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';

const TIMEOUT_MS = 300_000; // bench/room.js: 5 Chromium calls + 1,000 sockets take ~2 min on a loaded machine

export async function runScriptBenchmark({ run, name, root, log }) {
  const file = path.join(root, 'bench', `${name}.js`);
  if (!fs.existsSync(file)) {
    run.notes.push(`bench/${name}.js does not exist yet: its figures are not measured`);
    log(`${name}: bench/${name}.js not present, skipped`);
    return;
  }
  log(`${name}: running bench/${name}.js`);
  const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  const tail = (stdout + stderr).trim().split('\n').slice(-5).join(' | ');
  if (code !== 0) {
    run.notes.push(`bench/${name}.js failed (${code ?? signal}): ${tail}`);
    log(`${name}: FAILED (${code ?? signal})`);
    return;
  }
  let parsed;
  try {
    parsed = JSON.parse(stdout.trim().split('\n').pop());
  } catch {
    run.notes.push(`bench/${name}.js printed no JSON summary on its last line: ${tail}`);
    return;
  }
  const figures = Array.isArray(parsed.figures)
    ? parsed.figures
    : Object.entries(parsed)
        .filter(([, v]) => typeof v === 'number')
        .map(([key, value]) => ({ name: key, value, unit: '' }));
  for (const [i, f] of figures.entries()) {
    run.figures.push({ id: `${name}-${f.id ?? i}`, source: `bench/${name}.js`, pass: f.pass ?? null, ...f });
    log(`${name}: ${f.name}: ${f.value} ${f.unit ?? ''}${f.pass === false ? ' — TARGET MISSED' : ''}`);
  }
  for (const note of parsed.notes ?? []) run.notes.push(`${name}: ${note}`);
}
