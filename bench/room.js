// The built-in room, measured in one run (issue 23, "Measure"):
// 1. Time from the owner's `startConference` (SDK, on a third-origin clinic page) to the first decoded remote video
//    frame, two participants in Chromium on loopback, against a bare RTCPeerConnection loopback (getUserMedia, two
//    peer connections in one page, offer/answer, fake camera) measured in the same Chromium: median of N runs, ratio.
// 2. Signaling capacity of one server process: 1,000 WebSocket participants joined and idle (rooms of the default
//    cap of 4), memory per participant (RSS after − RSS before, / 1,000), and the delivery latency (p50/p99) of
//    relayed `signal` messages between pairs while all 1,000 sockets stay connected.
// The server is the built dist in a child process (bench/lib/server.js), SQLite in a temp dir, V4H_JITSI_URL unset.
// Last stdout line: JSON (bench/run.js contract). Env: V4H_BENCH_ROOM_RUNS (default 5), V4H_BENCH_ROOM_SOCKETS
// (default 1000), V4H_BENCH_ROOM_MESSAGES (default 5000), V4H_BENCH_ROOM_RATE (messages/s, default 500).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { call, createUsers, login } from './lib/fixtures.js';
import { startServerProcess } from './lib/processes.js';
import { median } from './lib/stats.js';

const RUNS = Number(process.env.V4H_BENCH_ROOM_RUNS ?? 5);
const SOCKETS = Number(process.env.V4H_BENCH_ROOM_SOCKETS ?? 1000);
const MESSAGES = Number(process.env.V4H_BENCH_ROOM_MESSAGES ?? 5000);
const RATE = Number(process.env.V4H_BENCH_ROOM_RATE ?? 500);
const CAP = 4; // V4H_ROOM_MAX_PARTICIPANTS default
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];

const figures = [];
const notes = [];
const log = (m) => console.error(`[room] ${m}`);
const load = () =>
  os
    .loadavg()
    .map((l) => Math.round(l * 100) / 100)
    .join(', ');
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const round = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-bench-room-'));
const database = `sqlite:${path.join(work, 'v4h.sqlite')}`;
notes.push(`load average at start: ${load()} (${os.cpus().length} CPUs); figures are ratios or per-participant`);

// The clinic page (third origin) that embeds /v4h.js, as integrators do.
let v4hUrl = '';
const clinic = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>clinic</title><script src="${v4hUrl}/v4h.js"></script></head><body><div id="call"></div></body></html>`,
  );
});
await new Promise((r) => clinic.listen(0, '127.0.0.1', r));
const clinicOrigin = `http://127.0.0.1:${clinic.address().port}`;

const users = await createUsers(database, work, CAP, 'bench-room-');
const server = await startServerProcess({
  env: {
    V4H_DATA_DIR: work,
    V4H_DATABASE_URL: database,
    V4H_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    V4H_LOGIN_LIMIT_PER_USER: '1000000000',
    V4H_LOGIN_LIMIT_PER_ADDRESS: '1000000000',
    V4H_LOGIN_LIMIT_PER_USER_ADDRESS: '1000000000',
    V4H_ACCESS_TOKEN_TTL: '3600',
    V4H_CORS_ORIGINS: clinicOrigin,
    V4H_ROOM_GRACE_PERIOD: '0',
  },
});
v4hUrl = server.url;
const tokens = [];
for (const user of users) tokens.push((await login(server.url, user)).accessToken);

// In every frame: once a peer connection exists, poll getStats every 20 ms and note when the first remote video
// frame was decoded (Date.now(), the same clock as the driver's t0 taken in the clinic page).
const FIRST_FRAME_HOOK = `(() => {
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  const pcs = [];
  window.RTCPeerConnection = class extends Original { constructor(...a) { super(...a); pcs.push(this); if (pcs.length === 1) poll(); } };
  function poll() {
    const timer = setInterval(async () => {
      for (const pc of pcs) {
        if (pc.connectionState === 'closed') continue;
        const stats = await pc.getStats();
        stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video' && r.framesDecoded > 0 && !window.__firstFrameAt) window.__firstFrameAt = Date.now(); });
      }
      if (window.__firstFrameAt) clearInterval(timer);
    }, 20);
  }
})();`;

// The baseline: the same work without V4H — getUserMedia (fake camera), two peer connections in one page,
// offer/answer and ICE on loopback, until the receiving side decodes a frame.
const BARE_LOOPBACK = async () => {
  const t0 = Date.now();
  const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  for (const track of stream.getTracks()) a.addTrack(track, stream);
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  for (;;) {
    let frames = 0;
    (await b.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0;
    });
    if (frames > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = Date.now() - t0;
  stream.getTracks().forEach((t) => t.stop());
  a.close();
  b.close();
  return ms;
};

async function firstFrame() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const room = [];
    const bare = [];
    const guestSide = [];
    const phases = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate the two so that a burst of load on the machine moves both alike.
      const page = await (await browser.newContext()).newPage();
      await page.goto(clinicOrigin);
      bare.push(await page.evaluate(BARE_LOOPBACK));
      await page.context().close();
      const r = await oneRoomRun(browser);
      room.push(r.owner);
      guestSide.push(r.guest);
      phases.push({ startResolved: r.startResolved, joinResolved: r.joinResolved, owner: r.ownerSteps, guest: r.guestSteps });
      log(
        `run ${i + 1}: room ${r.owner} ms (guest ${r.guest} ms; start resolved at ${r.startResolved}, guest's join at ${r.joinResolved}), bare loopback ${bare.at(-1)} ms, load ${load()}`,
      );
    }
    const roomMs = median(room);
    const bareMs = median(bare);
    figures.push({
      id: 'first-frame',
      name: `built-in room: startConference → first remote video frame (owner), 2 participants, loopback, median of ${RUNS}`,
      value: roomMs,
      unit: 'ms',
      baseline: { name: 'bare RTCPeerConnection loopback in the same Chromium (getUserMedia → first decoded frame)', value: bareMs },
      ratio: round(roomMs / bareMs, 2),
      target: '< 1500 ms',
      pass: roomMs < 1500,
      runs: { room, guestSide, bare, phases },
    });
    figures.push({
      id: 'first-frame-guest',
      name: `built-in room: startConference → first remote video frame at the guest (joins once the start resolves), median of ${RUNS}`,
      value: median(guestSide),
      unit: 'ms',
      pass: null,
    });
    notes.push(
      `first frame, the guest's meeting page, median ms after t0: ${medianSteps(phases.map((p) => p.guest))}; the owner's: ${medianSteps(phases.map((p) => p.owner))}`,
      `first frame, median ms after t0: owner's startConference resolved ${median(phases.map((p) => p.startResolved))}, guest's joinConference resolved ${median(phases.map((p) => p.joinResolved))}, first remote frame ${roomMs} (owner) / ${median(guestSide)} (guest); bare loopback ${bareMs}`,
    );
  } finally {
    await browser.close();
  }
}

/** Owner starts (t0 in the clinic page, just before v4h.startConference); the guest joins as soon as that resolves. */
async function oneRoomRun(browser) {
  const open = async (token) => {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    await context.addInitScript(FIRST_FRAME_HOOK);
    const page = await context.newPage();
    await page.goto(clinicOrigin);
    await page.evaluate(async (accessToken) => {
      window.v4h = new window.V4H();
      await window.v4h.loginWithToken(accessToken);
    }, token);
    return page;
  };
  const owner = await open(tokens[0]);
  const guest = await open(tokens[1]);
  const created = await call(server.url, 'POST', '/api/conferences', { token: tokens[0], body: {} });
  if (created.status !== 200 && created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  const sessionId = created.body.sessionId;
  const t0 = await owner.evaluate(async (id) => {
    const t = Date.now();
    await window.v4h.startConference(id, document.getElementById('call'), 640, 480, 'Owner');
    return t;
  }, sessionId);
  const startResolved = Date.now() - t0;
  await guest.evaluate((id) => window.v4h.joinConference(id, document.getElementById('call'), 640, 480, 'Guest'), sessionId);
  const joinResolved = Date.now() - t0;
  const firstAt = async (page) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      for (const frame of page.frames()) {
        const at = await frame.evaluate(() => window.__firstFrameAt).catch(() => undefined);
        if (at) return at;
      }
      await sleep(50);
    }
    throw new Error('no remote video frame within 30 s');
  };
  const [ownerAt, guestAt] = await Promise.all([firstAt(owner), firstAt(guest)]);
  const [ownerSteps, guestSteps] = [await meetingSteps(owner, t0), await meetingSteps(guest, t0)];
  await owner.context().close();
  await guest.context().close();
  await call(server.url, 'POST', `/api/conferences/${sessionId}/end`, { token: tokens[0], body: {} });
  return { owner: ownerAt - t0, guest: guestAt - t0, startResolved, joinResolved, ownerSteps, guestSteps };
}

/**
 * Where the time goes in a meeting page (its iframe), ms after t0: navigation start, HTML received, the parser's first
 * request (the page's renderer is running), and the page's own performance marks (meeting.ts, signaling.ts, mesh.ts).
 */
async function meetingSteps(page, t0) {
  for (const frame of page.frames()) {
    const steps = await frame
      .evaluate(() => {
        const marks = performance.getEntriesByType('mark').filter((e) => e.name.startsWith('v4h:'));
        const nav = performance.getEntriesByType('navigation')[0];
        if (!marks.length || !nav) return undefined;
        const at = (ms) => performance.timeOrigin + ms;
        const firstRequest = performance.getEntriesByType('resource')[0];
        const out = { navigation: at(0), html: at(nav.responseEnd), parsing: firstRequest ? at(firstRequest.startTime) : undefined };
        for (const m of marks) out[m.name.slice(4)] ??= at(m.startTime);
        return out;
      })
      .catch(() => undefined);
    if (steps)
      return Object.fromEntries(
        Object.entries(steps)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, Math.round(v - t0)]),
      );
  }
  return {};
}

/** Each step's median over the runs (steps in the order of the first run), as "step ms". */
function medianSteps(runs) {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  const rows = names.map((n) => [n, runs.map((r) => r[n]).filter((v) => v !== undefined)]).filter(([, vs]) => vs.length);
  return rows
    .map(([n, vs]) => [n, median(vs)])
    .sort((a, b) => a[1] - b[1])
    .map(([n, v]) => `${n} ${v}`)
    .join(', ');
}

function rssKb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

async function signalingCapacity() {
  const rooms = Math.ceil(SOCKETS / CAP);
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/room/ws`;
  // Tokens first (REST: owner creates and starts, three users join), so that RSS is read with no socket open.
  const seats = [];
  for (let r = 0; r < rooms; r++) {
    const created = await call(server.url, 'POST', '/api/conferences', { token: tokens[0], body: {} });
    const id = created.body.sessionId;
    const started = await call(server.url, 'POST', `/api/conferences/${id}/start`, { token: tokens[0], body: { displayName: 'Owner' } });
    if (started.status !== 200) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
    const room = [{ roomName: started.body.roomName, jwt: started.body.jwt }];
    for (let u = 1; u < CAP && r * CAP + u < SOCKETS; u++) {
      const joined = await call(server.url, 'POST', `/api/conferences/${id}/join`, { token: tokens[u], body: { displayName: `P${u}` } });
      if (joined.status !== 200) throw new Error(`join: ${joined.status} ${JSON.stringify(joined.body)}`);
      room.push({ roomName: joined.body.roomName, jwt: joined.body.jwt });
    }
    seats.push(room);
  }
  await sleep(2000);
  const rssBefore = rssKb(server.pid);
  log(`${rooms} conferences started; server RSS ${rssBefore} kB; opening ${SOCKETS} sockets`);

  const pending = new Map(); // message id → send time (ns)
  const latencies = [];
  // Each participant from an address of its own on 127/8 (as people are): the server's default per-address
  // connection limit (V4H_MAX_CONNECTIONS_PER_ADDRESS, 100) stays as deployed.
  let socketIndex = 0;
  const connect = (seat) =>
    new Promise((resolve, reject) => {
      const i = socketIndex++;
      const ws = new WebSocket(wsUrl, { localAddress: `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}` });
      const peer = { ws, id: '' };
      const timer = setTimeout(() => reject(new Error('join timed out')), 60_000);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'join', roomName: seat.roomName, jwt: seat.jwt })));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        if (m.type === 'joined') {
          peer.id = m.you.id;
          clearTimeout(timer);
          resolve(peer);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${m.code}: ${m.message}`));
        } else if (m.type === 'signal' && m.data?.candidate?.n !== undefined) {
          const sent = pending.get(m.data.candidate.n);
          if (sent !== undefined) {
            latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
            pending.delete(m.data.candidate.n);
          }
        }
      });
      ws.on('error', reject);
      ws.on('close', (code, reason) => {
        clearTimeout(timer);
        reject(new Error(`socket closed ${code} ${reason}`));
      });
    });
  const peers = [];
  const joinStart = Date.now();
  for (const room of seats) {
    // Rooms one after another, the members of a room together (as a waiting room fills).
    peers.push(await Promise.all(room.map(connect)));
  }
  const joinSeconds = (Date.now() - joinStart) / 1000;
  await sleep(3000); // idle: let the joins' database writes and timers settle
  const rssAfter = rssKb(server.pid);
  const held = peers.flat().filter((p) => p.ws.readyState === WebSocket.OPEN).length;
  log(`${held} sockets held; server RSS ${rssAfter} kB; load ${load()}`);
  figures.push({
    id: 'sockets-held',
    name: `built-in room: idle participants held by one process (joined sockets, ${rooms} rooms of ≤ ${CAP})`,
    value: held,
    unit: 'participants',
    target: `${SOCKETS}`,
    pass: held === SOCKETS,
    joinSeconds: round(joinSeconds, 1),
  });
  figures.push({
    id: 'memory-per-participant',
    name: 'built-in room: server memory per joined participant ((RSS after − RSS before) / participants)',
    value: round((rssAfter - rssBefore) / held, 1),
    unit: 'kB',
    rssBeforeKb: rssBefore,
    rssAfterKb: rssAfter,
    pass: null,
  });

  // Relay latency: a `signal` (ICE candidate shaped) from a random member to another member of its room, paced at
  // RATE/s, all sockets connected; latency = send → delivery on the receiving socket (same Node process).
  const rooms2 = peers.filter((room) => room.length >= 2);
  const interval = 1000 / RATE;
  const sendStart = Date.now();
  for (let n = 0; n < MESSAGES; n++) {
    const room = rooms2[n % rooms2.length];
    const from = room[n % room.length];
    const to = room[(n + 1) % room.length];
    pending.set(n, process.hrtime.bigint());
    from.ws.send(
      JSON.stringify({
        type: 'signal',
        to: to.id,
        data: { candidate: { n, candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0' } },
      }),
    );
    const due = sendStart + (n + 1) * interval;
    if (due - Date.now() > 1) await sleep(due - Date.now());
  }
  const drainUntil = Date.now() + 10_000;
  while (pending.size && Date.now() < drainUntil) await sleep(50);
  const sorted = [...latencies].sort((a, b) => a - b);
  const lost = pending.size;
  log(`relay: ${sorted.length} delivered, ${lost} missing; p50 ${quantile(sorted, 0.5)} p99 ${quantile(sorted, 0.99)} ms; load ${load()}`);
  figures.push({
    id: 'relay-p99',
    name: `built-in room: signal relay latency p99 with ${held} sockets connected (${MESSAGES} messages at ${RATE}/s, pairs in a room)`,
    value: round(quantile(sorted, 0.99), 2),
    unit: 'ms',
    p50Ms: round(quantile(sorted, 0.5), 2),
    p999Ms: round(quantile(sorted, 0.999), 2),
    maxMs: round(sorted.at(-1), 2),
    delivered: sorted.length,
    lost,
    pass: lost === 0 ? null : false,
  });
  notes.push(
    `signaling: each client socket from its own 127/8 address (the default per-address connection limit stays); the ${held} client sockets and the latency clock run in this one Node process (the load generator), the server in its own; its CPU counts in the latency`,
  );
  for (const p of peers.flat()) p.ws.close();
  await sleep(500);
}

try {
  await firstFrame();
  await signalingCapacity();
} catch (error) {
  console.error(server.output().slice(-3000));
  throw error;
} finally {
  await server.stop();
  await new Promise((r) => clinic.close(r));
  fs.rmSync(work, { recursive: true, force: true });
}
notes.push(`load average at end: ${load()}`);
console.log(JSON.stringify({ figures, notes }));
