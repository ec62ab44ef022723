// Records throughput: manifests sealed + Merkle-batched per second (target ≥ 20,000/s, end to end on SQLite),
// inclusion-proof verification time (target < 5 ms), and ledger transactions per conference at the default
// anchor interval under load. Last stdout line: JSON (bench/run.js contract).
// Env: V4H_BENCH_RECORDS_N (default 20000 conferences), V4H_BENCH_DATABASE_URL (default a temp SQLite file).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'packages/server/dist');
if (!fs.existsSync(path.join(dist, 'records/sealer.js'))) {
  execFileSync('npm', ['run', 'build', '-w', '@v4h/server'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
const load = (file) => import(path.join(dist, file));
const { openDatabase } = await load('db/database.js');
const { migrateToLatest } = await load('db/migrate.js');
const { canonicalEvent, eventHash, GENESIS_HASH } = await load('db/event-log.js');
const { Sealer } = await load('records/sealer.js');
const { manifestText } = await load('records/text.js');
const { buildMerkleTree } = await load('records/merkle.js');
const { AnchorWorker } = await load('records/anchor-worker.js');
const { LocalLedger } = await load('records/local-ledger.js');
const { loadLedgerSigningKey } = await load('records/signing-key.js');
const { verifyBundle, rootFromInclusionProof, fromHex, fromBase64 } = await import('@v4h/protocol/verify');

const N = Number(process.env.V4H_BENCH_RECORDS_N ?? 20_000);
const EVENTS = 8; // requested, started, token_issued, 2 × joined/left, ended: a typical consultation
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-bench-records-'));
const figures = [];
const notes = [];
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const clock = {
  ms: Date.UTC(2026, 0, 1),
  now() {
    return this.ms;
  },
};

async function freshDb(name) {
  const db = await openDatabase(process.env.V4H_BENCH_DATABASE_URL ?? `sqlite:${path.join(work, `${name}.sqlite`)}`);
  await migrateToLatest(db);
  await db.kysely
    .insertInto('users')
    .values({ id: 'u1', username: `bench-${name}`, password_hash: 'x', disabled: 0, created_at: clock.now() })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return db;
}

let serial = 0;
function conferenceRows(at) {
  const sessionId = `bench-${++serial}-${Math.random().toString(36).slice(2, 10)}`;
  const conference = {
    session_id: sessionId,
    owner_id: 'u1',
    room_name: `v4h-${sessionId}`,
    state: 'ended',
    created_at: at - 60_000,
    started_at: at - 50_000,
    ended_at: at,
    end_reason: 'owner',
    last_activity_at: at,
    hash: null,
    hash_type: null,
    dlt_id: null,
    dlt_type: null,
  };
  const types = ['requested', 'started', 'token_issued', 'joined', 'joined', 'left', 'left', 'ended'];
  const events = [];
  let prev = GENESIS_HASH;
  for (let i = 0; i < EVENTS; i++) {
    const row = {
      session_id: sessionId,
      seq: i + 1,
      type: types[i],
      actor: i === EVENTS - 1 ? 'system' : 'user:dr.ana',
      at: at - 60_000 + i * 1000,
      data: JSON.stringify(types[i].match(/joined|left/) ? { participantId: `p${i % 2}` } : {}),
      prev_hash: prev,
    };
    prev = eventHash(canonicalEvent(row));
    events.push({ ...row, hash: prev });
  }
  return { conference, events };
}

async function insertConferences(db, count, at) {
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, () => conferenceRows(at));
    await db.kysely.transaction().execute(async (trx) => {
      await trx
        .insertInto('conferences')
        .values(batch.map((b) => b.conference))
        .execute();
      const events = batch.flatMap((b) => b.events);
      for (let i = 0; i < events.length; i += 1000)
        await trx
          .insertInto('conference_events')
          .values(events.slice(i, i + 1000))
          .execute();
      // As the event log files it for an `ended` event.
      const ended = batch.map((b) => b.events[EVENTS - 1]);
      await trx
        .insertInto('seal_requests')
        .values(ended.map((e) => ({ session_id: e.session_id, seq: e.seq, at: e.at })))
        .execute();
    });
  }
}

// 1. Sealed and Merkled per second, end to end (database reads and writes included): RUNS runs, each on a fresh
// database with one run of each worker; the figure is the median run. The rate is absolute, not a ratio: a machine
// busy for a moment moves one run, not the figure (in one full `npm run bench` here the seal run took 0.76 s, load
// average 2.5, against 0.55-0.61 s when run alone); every run's rate is reported.
const RUNS = 3;
{
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const db = await freshDb(`throughput-${r}`);
    await insertConferences(db, N, clock.now());
    clock.ms += 301_000;
    const sealer = new Sealer({ db: db.kysely, clock, sealDelay: 300, limit: N, sqliteFile: db.sqliteFile });
    const ledger = new LocalLedger({ db: db.kysely, key: loadLedgerSigningKey(work), clock });
    const anchorer = new AnchorWorker({ db: db.kysely, ledger, clock, maxBatch: N });
    let start = process.hrtime.bigint();
    const sealed = await sealer.runOnce();
    const sealSeconds = seconds(start);
    start = process.hrtime.bigint();
    const anchored = await anchorer.runOnce();
    const anchorSeconds = seconds(start);
    if (sealed.length !== N || anchored.anchored !== N) throw new Error(`sealed ${sealed.length}, anchored ${anchored.anchored} of ${N}`);
    runs.push({ db, sealer, ledger, sealed, sealSeconds, anchorSeconds, rate: Math.round(N / (sealSeconds + anchorSeconds)) });
  }
  const median = [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(RUNS / 2)];
  for (const other of runs) if (other !== median) await other.db.close();
  const { db, sealer, ledger, sealed, sealSeconds, anchorSeconds, rate } = median;
  let start;
  // A run with nothing due: its cost must not grow with the conferences sealed before (the work list holds only
  // what waits to be sealed; the sealer used to look through every ended conference).
  start = process.hrtime.bigint();
  for (let i = 0; i < 50; i++) if ((await sealer.runOnce()).length > 0) throw new Error('nothing should be due');
  const idleMs = (seconds(start) * 1000) / 50;

  // Same run, in memory: building, canonicalizing and hashing the manifests and the tree (no database).
  const rows = Array.from({ length: N }, () => conferenceRows(clock.now()));
  start = process.hrtime.bigint();
  const sha = (text) => createHash('sha256').update(text).digest('hex');
  const hashes = rows.map((r) => sha(manifestText({ sessionId: r.conference.session_id, part: 0, prev: null, sealedAt: clock.now(), events: r.events })));
  const tree = buildMerkleTree(hashes);
  for (let i = 0; i < N; i++) tree.proof(i);
  const memoryRate = Math.round(N / seconds(start));
  // Baseline: SHA-256 alone over the same manifests' bytes.
  const bodies = rows.map((r) => manifestText({ sessionId: r.conference.session_id, part: 0, prev: null, sealedAt: clock.now(), events: r.events }));
  start = process.hrtime.bigint();
  for (const body of bodies) createHash('sha256').update(body).digest('hex');
  const hashRate = Math.round(N / seconds(start));

  figures.push({
    id: 'sealed-merkled',
    name: `manifests sealed + Merkle-batched per second (${N} conferences × ${EVENTS} events, ${db.dialect}, end to end)`,
    value: rate,
    unit: 'manifests/s',
    target: '≥ 20000',
    pass: rate >= 20_000,
    baseline: { name: 'SHA-256 alone of the same manifests', value: hashRate },
    ratio: Math.round((rate / hashRate) * 1000) / 1000,
    parts: { conferences: N, sealSeconds, anchorSeconds, runs: runs.map((r) => r.rate) },
  });
  figures.push({
    id: 'sealed-merkled-memory',
    name: 'manifests built, hashed and Merkle-proved per second (in memory)',
    value: memoryRate,
    unit: 'manifests/s',
    target: '≥ 20000',
    pass: memoryRate >= 20_000,
  });
  figures.push({
    id: 'idle-seal-run',
    name: `seal run with nothing due, after ${N} conferences were sealed (lease, work list)`,
    value: Math.round(idleMs * 1000) / 1000,
    unit: 'ms',
  });
  notes.push(
    `seal run ${sealSeconds.toFixed(2)} s, anchor run (batch of ${N}, proofs stored) ${anchorSeconds.toFixed(2)} s (the median of ${RUNS} runs: ${runs.map((r) => r.rate).join(', ')} manifests/s)`,
  );

  // 2. Verification: an inclusion proof out of the batch of N, and a whole bundle (events, manifest, proof, signature).
  const { loadBundle } = await load('records/bundle.js');
  const some = sealed[Math.floor(N / 2)];
  const bundle = await loadBundle(db.kysely, some.session_id, some.hash);
  const proof = bundle.manifests[0].proof;
  const leaf = fromHex(some.hash);
  const key = fromBase64(ledger.describe().publicKey);
  for (let i = 0; i < 200; i++) await rootFromInclusionProof(leaf, proof.leafIndex, proof.treeSize, proof.path);
  const reps = 2000;
  start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++)
    if ((await rootFromInclusionProof(leaf, proof.leafIndex, proof.treeSize, proof.path)) !== proof.root) throw new Error('proof failed');
  const proofMs = (seconds(start) * 1000) / reps;
  start = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) if (!(await verifyBundle(bundle, { ledgerKey: key })).ok) throw new Error('bundle failed');
  const bundleMs = (seconds(start) * 1000) / 200;
  figures.push({
    id: 'proof-verify',
    name: `inclusion proof verification (WebCrypto, ${proof.path.length} steps, batch of ${N})`,
    value: Math.round(proofMs * 1000) / 1000,
    unit: 'ms',
    target: '< 5',
    pass: proofMs < 5,
  });
  figures.push({
    id: 'bundle-verify',
    name: 'whole record verification (8 events, manifest, proof, Ed25519 entry)',
    value: Math.round(bundleMs * 1000) / 1000,
    unit: 'ms',
  }); // informational: the target is the proof's
  await db.close();
}

// 3. Transactions per conference under load: conferences end at a steady rate for 30 simulated minutes;
// the seal worker runs every 30 s, the anchor worker every V4H_ANCHOR_INTERVAL (default 60 s).
{
  const db = await freshDb('load');
  const perSecond = 5; // 18,000 consultations an hour
  const interval = 60;
  const sealer = new Sealer({ db: db.kysely, clock, sealDelay: 300, limit: 100_000, sqliteFile: db.sqliteFile });
  const ledger = new LocalLedger({ db: db.kysely, key: loadLedgerSigningKey(work), clock });
  const anchorer = new AnchorWorker({ db: db.kysely, ledger, clock });
  let conferences = 0;
  for (let t = 0; t < 30 * 60; t += 30) {
    await insertConferences(db, perSecond * 30, clock.now());
    conferences += perSecond * 30;
    clock.ms += 30_000;
    await sealer.runOnce();
    if (t % interval === interval - 30) await anchorer.runOnce();
  }
  const anchoredManifests = Number(
    (
      await db.kysely
        .selectFrom('manifests')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('batch_id', 'is not', null)
        .executeTakeFirst()
    ).n,
  );
  const transactions = Number(
    (
      await db.kysely
        .selectFrom('ledger_entries')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst()
    ).n,
  );
  const perConference = transactions / anchoredManifests;
  // One transaction per interval carries rate × interval conferences (the first, partial batch aside: 5 % slack).
  const ideal = 1 / (perSecond * interval);
  figures.push({
    id: 'tx-per-conference',
    name: `ledger transactions per conference (${perSecond} conferences/s, anchor interval ${interval} s)`,
    value: Math.round(perConference * 1e5) / 1e5,
    unit: 'tx/conference',
    target: `≈ 1/(rate × interval) = ${ideal.toFixed(5)}`,
    pass: perConference <= ideal * 1.05,
  });
  notes.push(
    `${conferences} conferences ended over 30 simulated minutes, ${anchoredManifests} anchored in ${transactions} transactions (at most ${86_400 / interval} a day whatever the load)`,
  );
  await db.close();
}

notes.push(
  `load average during the run: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')} on ${os.cpus().length} CPUs (figures scale down with a busy machine)`,
);
fs.rmSync(work, { recursive: true, force: true });
for (const f of figures) console.log(`${f.name}: ${f.value} ${f.unit}${f.target ? ` (target ${f.target}${f.pass === false ? ', MISSED' : ''})` : ''}`);
for (const n of notes) console.log(`note: ${n}`);
console.log(JSON.stringify({ figures, notes }));
