// The server benchmarks: getConference vs a bare Fastify route, requestConference, token refresh, and
// getConference latency under an argon2id login flood, on SQLite and PostgreSQL.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, createUsers, freshDatabase, login } from './fixtures.js';
import { runLoad, startServerProcess } from './processes.js';
import { selfTimeByPackage, topSelfTime } from './profile-summary.js';

const WARMUP_SECONDS = 2;
const round = (n, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function coreBenchmarks({ run, seconds, profile, resultsDir, log }) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-bench-'));
  // Rate limits are lifted so that the login figures measure argon2id, not 429s (the limits have their own tests).
  const serverEnv = {
    V4H_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    V4H_LOGIN_LIMIT_PER_USER: '1000000000',
    V4H_LOGIN_LIMIT_PER_USER_ADDRESS: '1000000000',
    V4H_LOGIN_LIMIT_PER_ADDRESS: '1000000000',
    V4H_ACCESS_TOKEN_TTL: '3600',
    // Fixed, so that tokens stay valid across restarts on another port (the issuer is the public URL).
    V4H_PUBLIC_URL: 'http://v4h.bench.invalid',
  };
  const measure = async (url, scenario, { warmup = true } = {}) => {
    if (warmup) await runLoad({ url, ...scenario, duration: WARMUP_SECONDS });
    return runLoad({ url, duration: seconds, ...scenario });
  };
  const figure = (f) => {
    run.figures.push(f);
    log(`${f.name}: ${f.value} ${f.unit}${f.ratio !== undefined ? ` (ratio ${f.ratio})` : ''}${f.pass === false ? ' — TARGET MISSED' : ''}`);
    return f;
  };
  const profiles = [];

  // Baseline: a bare Fastify route with the same Fastify and logger settings, kept running so that getConference on
  // SQLite (the target) can be measured in rounds alternating with it: both see the same machine.
  const bare = await startServerProcess({ kind: 'bare', env: { V4H_DATA_DIR: path.join(workDir, 'bare') } });
  try {
    let baseline;
    const setBaseline = (result, how) => {
      baseline = { name: 'bare Fastify route (constant JSON)', value: round(result.requestsPerSecond), p99Ms: result.latencyMs.p99 };
      figure({
        id: 'bare',
        name: `baseline: bare Fastify GET, 50 connections${how}`,
        value: baseline.value,
        unit: 'req/s',
        latencyMs: result.latencyMs,
        pass: null,
      });
    };

    for (const dialect of ['sqlite', 'postgres']) {
      const dir = path.join(workDir, dialect);
      fs.mkdirSync(dir, { recursive: true });
      let database;
      try {
        database = await freshDatabase(dialect, dir);
      } catch (error) {
        run.notes.push(`${dialect}: not measured: ${error.message}`);
        continue;
      }
      const env = { ...serverEnv, V4H_DATA_DIR: dir, V4H_DATABASE_URL: database.url };
      try {
        const users = await createUsers(database.url, dir, 2, `bench-${dialect}-`);
        const server = await startServerProcess({ env });
        let scenarios;
        try {
          scenarios = await prepareScenarios(server.url, users);
          let get;
          let ratio;
          if (dialect === 'sqlite') {
            // More processes of each, on the same database: the rounds go round them (see alternateWithBare).
            const bares = [bare];
            const apps = [server];
            try {
              for (let i = 1; i < PROCESSES; i++) {
                bares.push(await startServerProcess({ kind: 'bare', env: { V4H_DATA_DIR: path.join(workDir, `bare-${i}`) } }));
                apps.push(await startServerProcess({ env }));
              }
              const paired = await alternateWithBare({
                bareUrls: bares.map((b) => b.url),
                urls: apps.map((a) => a.url),
                request: scenarios.getConference,
                seconds,
              });
              setBaseline(paired.bare, ` (median of ${ROUNDS} rounds alternating with getConference, ${PROCESSES} processes of each)`);
              get = paired.app;
              ratio = paired.ratio;
            } finally {
              for (const extra of [...bares, ...apps.slice(1)]) await extra.stop();
            }
          } else {
            if (!baseline) setBaseline(await measure(bare.url, { request: { path: '/bare' }, connections: 50 }).finally(() => bare.stop()), '');
            get = await measure(server.url, { request: scenarios.getConference, connections: 50 });
            ratio = get.requestsPerSecond / baseline.value;
          }
          checkClean(get, `getConference (${dialect})`);
          figure({
            id: `getConference-${dialect}`,
            name: `authenticated getConference, 50 connections, ${dialect}${dialect === 'sqlite' ? ` (median of ${ROUNDS} rounds alternating with the baseline, ${PROCESSES} processes of each; p99: the worst round)` : ''}`,
            value: round(get.requestsPerSecond),
            unit: 'req/s',
            baseline,
            ratio: round(ratio, 2),
            target: dialect === 'sqlite' ? 'ratio ≥ 0.6 and p99 < 10 ms' : 'report',
            pass: dialect === 'sqlite' ? ratio >= 0.6 && get.latencyMs.p99 < 10 : null,
            latencyMs: get.latencyMs,
            rounds: get.rounds,
          });

          if (dialect === 'sqlite') {
            // Where getConference's time goes: the app's shared plugins alone, then authentication alone.
            for (const [id, name, scenario] of [
              ['healthz', 'V4H app, unauthenticated GET /healthz (security headers, logger)', scenarios.healthz],
              ['session', 'V4H app, GET /api/auth/session (JWT + one DB lookup)', scenarios.session],
            ]) {
              const part = await measure(server.url, { request: scenario, connections: 50 });
              checkClean(part, name);
              figure({
                id: `${id}-${dialect}`,
                name: `${name}, 50 connections, ${dialect}`,
                value: round(part.requestsPerSecond),
                unit: 'req/s',
                baseline,
                ratio: round(part.requestsPerSecond / baseline.value, 2),
                pass: null,
                latencyMs: part.latencyMs,
              });
            }
          }

          const request = await measure(server.url, { request: scenarios.requestConference, connections: 50 });
          checkClean(request, `requestConference (${dialect})`);
          figure({
            id: `requestConference-${dialect}`,
            name: `requestConference (writes), 50 connections, ${dialect}`,
            value: round(request.requestsPerSecond),
            unit: 'req/s',
            target: dialect === 'sqlite' ? '≥ 5,000 req/s' : 'report',
            pass: dialect === 'sqlite' ? request.requestsPerSecond >= 5000 : null,
            latencyMs: request.latencyMs,
          });

          const refreshTokens = await loginMany(server.url, users[1], 100);
          const refresh = await runLoad({ url: server.url, kind: 'refresh', tokens: refreshTokens, connections: 50, duration: seconds });
          checkClean(refresh, `refresh (${dialect})`);
          figure({
            id: `refresh-${dialect}`,
            name: `token refresh (each request a fresh, rotated token), 50 connections, ${dialect}`,
            value: round(refresh.requestsPerSecond),
            unit: 'req/s',
            target: 'report',
            pass: null,
            latencyMs: refresh.latencyMs,
          });

          if (dialect === 'sqlite') {
            await loginTiming(server.url, users[1], figure);
            await loginFlood(server.url, scenarios, users[1], { seconds, figure, run });
          }
        } finally {
          await server.stop();
        }

        if (profile && dialect === 'sqlite') {
          const missed = run.figures.filter((f) => f.pass === false && f.id.endsWith(dialect) && !f.id.startsWith('flood'));
          for (const f of missed) {
            const what = f.id.startsWith('get') ? 'getConference' : 'requestConference';
            profiles.push(await profileScenario({ env, scenario: scenarios[what], name: f.id, seconds, resultsDir, log }));
          }
        }
      } catch (error) {
        run.notes.push(`${dialect}: benchmark failed: ${error.message}`);
        log(`${dialect}: FAILED: ${error.message}`);
      } finally {
        await database.destroy();
      }
    }
  } finally {
    await bare.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  run.profiles.push(...profiles);
}

const ROUNDS = 5;
/**
 * Server processes of each kind the rounds go round. One process of a build is not a fair sample of it: V8 settles
 * each process's hot paths while it starts, and in some processes (more often when the machine is busy while they
 * start) the property definitions of Node's own process.nextTick go through the runtime for good, a few µs per request
 * (perf: Runtime_DefineKeyedOwnPropertyInLiteral under nextTick, from the stream and HTTP internals). Seen here: the
 * first server that a tool process started right after its own start was such a process in 5 runs of 6, the servers
 * it started later in 0 of 18; with the machine kept busy while each started, 2 of 5.
 */
const PROCESSES = 3;

/**
 * The app's scenario and the bare route, measured in ROUNDS alternating rounds of half the usual length, round i on
 * process i mod PROCESSES of each: the ratio is the median of the rounds' ratios (each against the round next to it),
 * the rates the medians, the app's p99 its worst round's. A machine whose speed drifts during the run then moves both
 * sides alike, and one slow process (see PROCESSES) is one sample, not the figure.
 */
async function alternateWithBare({ bareUrls, urls, request, seconds }) {
  const duration = Math.max(2, Math.round(seconds / 2));
  const bareRequest = { request: { path: '/bare' }, connections: 50, duration };
  const appRequest = { request, connections: 50, duration };
  for (let i = 0; i < urls.length; i++) {
    await runLoad({ url: bareUrls[i], ...bareRequest, duration: WARMUP_SECONDS });
    await runLoad({ url: urls[i], ...appRequest, duration: WARMUP_SECONDS });
  }
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const which = i % urls.length;
    const bareRound = await runLoad({ url: bareUrls[which], ...bareRequest });
    const appRound = await runLoad({ url: urls[which], ...appRequest });
    rounds.push({ process: which + 1, bare: bareRound, app: appRound, ratio: appRound.requestsPerSecond / bareRound.requestsPerSecond });
  }
  const medianBy = (key) => [...rounds].sort((a, b) => key(a) - key(b))[Math.floor(rounds.length / 2)];
  const app = medianBy((r) => r.app.requestsPerSecond).app;
  const worstP99 = Math.max(...rounds.map((r) => r.app.latencyMs.p99));
  // Every round's errors count (checkClean reads the statuses).
  const statuses = {};
  for (const r of rounds) for (const [code, n] of Object.entries(r.app.statuses ?? {})) statuses[code] = (statuses[code] ?? 0) + n;
  const errors = rounds.reduce((sum, r) => sum + (r.app.errors ?? 0), 0);
  return {
    bare: medianBy((r) => r.bare.requestsPerSecond).bare,
    app: {
      ...app,
      statuses,
      errors,
      latencyMs: { ...app.latencyMs, p99: worstP99 },
      rounds: rounds.map((r) => ({
        process: r.process,
        app: round(r.app.requestsPerSecond),
        bare: round(r.bare.requestsPerSecond),
        ratio: round(r.ratio, 3),
        p99: r.app.latencyMs.p99,
      })),
    },
    ratio: medianBy((r) => r.ratio).ratio,
  };
}

/** Logs in, creates one conference, and returns the fixed requests the benchmarks replay. */
async function prepareScenarios(url, users) {
  const { accessToken } = await login(url, users[0]);
  const created = await call(url, 'POST', '/api/conferences', { token: accessToken, body: {} });
  if (created.status !== 201) throw new Error(`requestConference failed: ${created.status} ${JSON.stringify(created.body)}`);
  const authorization = `Bearer ${accessToken}`;
  return {
    getConference: { path: `/api/conferences/${created.body.sessionId}`, headers: { authorization } },
    healthz: { path: '/healthz' },
    session: { path: '/api/auth/session', headers: { authorization } },
    requestConference: { method: 'POST', path: '/api/conferences', headers: { authorization }, body: {} },
    login: { method: 'POST', path: '/api/auth/login', body: users[1] },
  };
}

/** `count` refresh tokens of fresh sessions (a few logins at a time: argon2id runs on the thread pool). */
async function loginMany(url, user, count) {
  const tokens = [];
  while (tokens.length < count) {
    const batch = await Promise.all(Array.from({ length: Math.min(4, count - tokens.length) }, () => login(url, user)));
    tokens.push(...batch.map((pair) => pair.refreshToken));
  }
  return tokens;
}

/** Wrong-password logins for an existing and for an unknown username, interleaved: does the answer time tell them apart? */
async function loginTiming(url, known, figure) {
  const samples = { known: [], unknown: [] };
  const once = async (kind, i) => {
    const username = kind === 'known' ? known.username : `nobody-${i}-${known.username}`;
    const started = process.hrtime.bigint();
    const res = await call(url, 'POST', '/api/auth/login', { body: { username, password: `wrong-password-${i}` } });
    if (res.status !== 401) throw new Error(`login timing: expected 401, got ${res.status}`);
    samples[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
  };
  for (let i = -2; i < 40; i++) {
    await once(i % 2 ? 'known' : 'unknown', i);
    await once(i % 2 ? 'unknown' : 'known', i);
  }
  for (const list of Object.values(samples)) list.splice(0, 2); // warm-up
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [k, u] = [median(samples.known), median(samples.unknown)];
  const difference = Math.abs(k - u) / Math.max(k, u);
  figure({
    id: 'login-timing-sqlite',
    name: 'failed login answer time, unknown username (median of 40) vs known username with a wrong password',
    value: round(u, 1),
    unit: 'ms',
    baseline: { name: 'known username, wrong password (median of 40)', value: round(k, 1) },
    ratio: round(u / k, 3),
    target: 'medians within 30%',
    pass: difference < 0.3,
  });
}

/** getConference from a few connections, alone and then beside a flood of correct logins (argon2id). */
async function loginFlood(url, scenarios, floodUser, { seconds, figure }) {
  // A closed loop of a few connections: autocannon's rate limit sends each second's quota in one burst, which would
  // measure the burst's queue rather than the flood's effect.
  const probe = { request: scenarios.getConference, connections: 4 };
  await runLoad({ url, ...probe, duration: WARMUP_SECONDS });
  const quiet = await runLoad({ url, ...probe, duration: seconds });
  checkClean(quiet, 'getConference without flood');
  const [flood, loud] = await Promise.all([
    runLoad({ url, request: { ...scenarios.login, body: floodUser }, connections: 16, duration: seconds + 1 }),
    new Promise((resolve) => setTimeout(resolve, 500)).then(() => runLoad({ url, ...probe, duration: seconds })),
  ]);
  checkClean(loud, 'getConference during the login flood');
  checkClean(flood, 'login flood');
  figure({
    id: 'flood-p99-sqlite',
    name: 'getConference p99 (4 connections) during a login flood (16 connections, argon2id), sqlite',
    value: loud.latencyMs.p99,
    unit: 'ms',
    baseline: { name: 'p99 (4 connections) without the flood', value: quiet.latencyMs.p99, requestsPerSecond: round(quiet.requestsPerSecond) },
    ratio: round(loud.latencyMs.p99 / Math.max(quiet.latencyMs.p99, 1), 2),
    target: 'p99 < 20 ms',
    pass: loud.latencyMs.p99 < 20,
    latencyMs: loud.latencyMs,
    flood: { loginsPerSecond: round(flood.requestsPerSecond, 1), loginLatencyMs: flood.latencyMs, probeRequestsPerSecond: round(loud.requestsPerSecond) },
  });
}

/** Runs the scenario once more against a server started with --cpu-prof and summarizes where the time went. */
async function profileScenario({ env, scenario, name, seconds, resultsDir, log }) {
  const dir = path.join(resultsDir, 'profiles');
  fs.mkdirSync(dir, { recursive: true });
  const before = new Set(fs.readdirSync(dir));
  const server = await startServerProcess({ env, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  try {
    await runLoad({ url: server.url, request: scenario, connections: 50, duration: Math.max(3, Math.round(seconds / 2)) });
  } finally {
    await server.stop();
  }
  const file = fs.readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.cpuprofile'));
  if (!file) return { name, error: 'no profile written' };
  const target = path.join(dir, `${name}.cpuprofile`);
  fs.renameSync(path.join(dir, file), target);
  log(`profiled ${name}: bench/results/profiles/${name}.cpuprofile`);
  return { name, file: `bench/results/profiles/${name}.cpuprofile`, byPackage: selfTimeByPackage(target).slice(0, 12), topFunctions: topSelfTime(target, 15) };
}

function checkClean(result, what) {
  const bad = Object.entries(result.statuses).filter(([status]) => Number(status) >= 400);
  if (bad.length || result.errors) {
    throw new Error(`${what}: ${result.errors} errors, statuses ${JSON.stringify(result.statuses)}, e.g. ${JSON.stringify(result.samples[0])}`);
  }
}
