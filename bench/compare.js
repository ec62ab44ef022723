// `node bench/compare.js <checkout A> <checkout B>`: the server of two built checkouts (e.g. a commit before a change in a
// git worktree, and this one), measured in rounds that alternate between them, so that both see the same machine.
// Reports, per scenario, requests/s and the server's CPU time per request (utime + stime of its process over the round
// divided by the requests it answered): on a shared machine the CPU cost moves much less with load than throughput does.
// Each checkout creates its own database with its own migrations (bench/lib/fixtures.js of that checkout).
// Env: V4H_COMPARE_ROUNDS (default 6), V4H_BENCH_SECONDS (default 5) per round and scenario, V4H_COMPARE_ONLY (a
// comma-separated list of scenarios; default all).
// Writes bench/results/compare.md and prints it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './lib/stats.js';

const trees = process.argv.slice(2, 4).map((t) => path.resolve(t));
if (trees.length !== 2 || !trees.every((t) => fs.existsSync(path.join(t, 'packages/server/dist/server.js')))) {
  console.error('usage: node bench/compare.js <built checkout A> <built checkout B>');
  process.exit(2);
}
const rounds = Number(process.env.V4H_COMPARE_ROUNDS ?? 6);
const seconds = Number(process.env.V4H_BENCH_SECONDS ?? 5);
const only = process.env.V4H_COMPARE_ONLY?.split(',');
const env = {
  V4H_TOKEN_SECRET: randomBytes(32).toString('base64url'),
  V4H_ACCESS_TOKEN_TTL: '3600',
  V4H_PUBLIC_URL: 'http://v4h.bench.invalid',
};

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of a process, in seconds (Linux /proc/<pid>/stat, fields 14 and 15). */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const commitOf = (tree) => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: tree, encoding: 'utf8' }).trim();

const sides = [];
for (const tree of trees) {
  const fixtures = await import(pathToFileURL(path.join(tree, 'bench/lib/fixtures.js')).href);
  const processes = await import(pathToFileURL(path.join(tree, 'bench/lib/processes.js')).href);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-compare-'));
  const db = await fixtures.freshDatabase('sqlite', dir);
  const [user] = await fixtures.createUsers(db.url, dir, 1);
  const server = await processes.startServerProcess({ env: { ...env, V4H_DATA_DIR: dir, V4H_DATABASE_URL: db.url } });
  const { accessToken } = await fixtures.login(server.url, user);
  const authorization = `Bearer ${accessToken}`;
  const created = await fixtures.call(server.url, 'POST', '/api/conferences', { token: accessToken, body: {} });
  if (created.status !== 201) throw new Error(`${tree}: requestConference answered ${created.status}`);
  sides.push({
    tree,
    commit: commitOf(tree),
    server,
    runLoad: processes.runLoad,
    dir,
    scenarios: {
      getConference: { path: `/api/conferences/${created.body.sessionId}`, headers: { authorization } },
      healthz: { path: '/healthz' },
      requestConference: { method: 'POST', path: '/api/conferences', headers: { authorization }, body: {} },
    },
    results: {},
  });
}

try {
  for (let r = 0; r < rounds; r++) {
    // A then B, then B then A: neither always runs first.
    for (const side of r % 2 ? [...sides].reverse() : sides) {
      for (const [name, request] of Object.entries(side.scenarios)) {
        if (only && !only.includes(name)) continue;
        await side.runLoad({ url: side.server.url, request, connections: 50, duration: 1 }); // warm-up
        const before = cpuSeconds(side.server.pid);
        const out = await side.runLoad({ url: side.server.url, request, connections: 50, duration: seconds });
        const cpu = cpuSeconds(side.server.pid) - before;
        const bad = out.errors + out.timeouts + out.non2xx;
        if (bad > 0) throw new Error(`${side.commit} ${name}: ${bad} failed requests (${JSON.stringify(out.statuses)})`);
        (side.results[name] ??= []).push({ rps: out.requestsPerSecond, cpuUs: (cpu * 1e6) / out.totalRequests });
      }
    }
  }
} finally {
  for (const side of sides) {
    await side.server.stop();
    fs.rmSync(side.dir, { recursive: true, force: true });
  }
}

const [a, b] = sides;
const lines = [
  `# Two builds compared`,
  '',
  `Run ${new Date().toISOString()}: A = ${a.commit} (${a.tree}), B = ${b.commit} (${b.tree}); ${rounds} rounds of ${seconds} s per scenario,`,
  `alternating A/B; 50 connections; SQLite; load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}. Produced by \`node bench/compare.js\`.`,
  '',
  '| scenario | A req/s (median) | B req/s (median) | B/A | A CPU µs/request (median) | B CPU µs/request (median) | B/A |',
  '|---|---|---|---|---|---|---|',
];
for (const name of Object.keys(a.results)) {
  const [ra, rb] = [a, b].map((s) => median(s.results[name].map((x) => x.rps)));
  const [ca, cb] = [a, b].map((s) => median(s.results[name].map((x) => x.cpuUs)));
  lines.push(`| ${name} | ${Math.round(ra)} | ${Math.round(rb)} | ${(rb / ra).toFixed(2)} | ${ca.toFixed(1)} | ${cb.toFixed(1)} | ${(cb / ca).toFixed(2)} |`);
}
lines.push('', 'Every round:', '');
for (const side of sides) {
  for (const [name, list] of Object.entries(side.results)) {
    lines.push(`- ${side.commit} ${name}: ${list.map((x) => `${Math.round(x.rps)} req/s, ${x.cpuUs.toFixed(0)} µs`).join('; ')}`);
  }
}
const text = `${lines.join('\n')}\n`;
fs.writeFileSync(fileURLToPath(new URL('./results/compare.md', import.meta.url)), text);
console.log(text);
