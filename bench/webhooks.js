// Webhooks: deliveries per second from the outbox to a receiver in another process on 127.0.0.1 (target ≥ 1,000/s),
// and what the outbox adds to requestConference (target < 10 %): on its database write alone (conference row + first
// event + outbox rows, one transaction, in this process), and over HTTP (server processes). SQLite, the built server.
// Last stdout line: JSON (bench/run.js contract). Env: V4H_BENCH_WEBHOOKS_N (default 10000 deliveries),
// V4H_BENCH_WEBHOOKS_WRITES (default 4000 conference writes per round).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'packages/server/dist');
if (!fs.existsSync(path.join(dist, 'webhooks/worker.js'))) {
  execFileSync('npm', ['run', 'build', '-w', '@v4h/server'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
const load = (file) => import(path.join(dist, file));
const { openDatabase } = await load('db/database.js');
const { migrateToLatest } = await load('db/migrate.js');
const { createConference } = await load('conferences/creation.js');
const { MasterKeyring } = await load('storage/encryption.js');
const { wrapSecret, newWebhookSecret } = await load('webhooks/signing.js');
const { WebhookAddressPolicy, systemResolve } = await load('webhooks/address-policy.js');
const { WebhookSender } = await load('webhooks/sender.js');
const { WebhookWorker } = await load('webhooks/worker.js');

const N = Number(process.env.V4H_BENCH_WEBHOOKS_N ?? 10_000);
const WRITES = Number(process.env.V4H_BENCH_WEBHOOKS_WRITES ?? 4_000);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-bench-webhooks-'));
const figures = [];
const notes = [];
const keyring = new MasterKeyring(Buffer.alloc(32, 7));
const round = (n, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const log = (m) => process.stderr.write(`[webhooks] ${m}\n`);

async function freshDb(name) {
  const db = await openDatabase(`sqlite:${path.join(work, `${name}.sqlite`)}`);
  await migrateToLatest(db);
  await db.kysely
    .insertInto('users')
    .values({ id: 'u1', username: `bench-${name}`, password_hash: 'x', disabled: 0, created_at: Date.now() })
    .execute();
  return db;
}

/** An endpoint of organisation `default` subscribed to `events`, straight into the tables (as the service writes it). */
async function addEndpoint(db, id, url, events) {
  const secret = newWebhookSecret();
  const wrapped = wrapSecret(keyring, id, secret.bytes);
  await db.kysely
    .insertInto('webhooks')
    .values({
      id,
      organisation_id: 'default',
      url,
      events: JSON.stringify(events),
      description: null,
      secret_key_id: wrapped.keyId,
      secret: wrapped.wrapped,
      previous_key_id: null,
      previous_secret: null,
      previous_expires_at: null,
      created_at: Date.now(),
      created_by: 'bench',
      disabled_at: null,
      disabled_reason: null,
      failing_since: null,
      consecutive_failures: 0,
    })
    .execute();
  await db.kysely
    .insertInto('webhook_subscriptions')
    .values(events.map((event_type) => ({ organisation_id: 'default', event_type, webhook_id: id })))
    .execute();
}

let serial = 0;
const conference = () => {
  const sessionId = `wb-${++serial}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    sessionId,
    ownerId: 'u1',
    roomName: `v4h-${sessionId}`,
    now: Date.now(),
    actor: 'user:u1',
    joinPolicy: 'ORG',
    joinPasswordHash: null,
    organisationId: 'default',
    listPolicy: 'RESTRICT',
    waitingRoom: 0,
  };
};

/** The receiver: its own process (as a real one would be), answering 200 to everything, counting. */
async function startReceiver() {
  const script = `const http = require('node:http'); let n = 0;
    const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { n++; res.writeHead(200).end('ok'); }); });
    s.keepAliveTimeout = 30000;
    s.listen(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));
    process.on('message', () => process.send(n));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [chunk] = await once(child.stdout, 'data');
  const port = Number(/PORT (\d+)/.exec(String(chunk))[1]);
  return { url: `http://127.0.0.1:${port}/hook`, child };
}

// 1. Deliveries per second: N conferences' `conference.requested`, one endpoint, the worker with its default options
// (relaying the outbox into deliveries included).
{
  const db = await freshDb('deliveries');
  const receiver = await startReceiver();
  await addEndpoint(db, 'wh_bench', receiver.url, ['conference.requested']);
  for (let i = 0; i < N; i++) await createConference(db, conference());
  // Waiting: still in the outbox (not yet relayed by the worker) or relayed and not yet delivered.
  const count = async (table, pendingOnly) => {
    let query = db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n'));
    if (pendingOnly) query = query.where('status', '=', 'pending');
    return Number((await query.executeTakeFirst()).n);
  };
  const pending = async () => (await count('webhook_outbox', false)) + (await count('webhook_deliveries', true));
  if ((await pending()) !== N) throw new Error(`expected ${N} pending deliveries, found ${await pending()}`);
  const sender = new WebhookSender({ policy: new WebhookAddressPolicy({ allowHttp: true, allowedNetworks: [] }), resolve: systemResolve, timeoutMs: 10_000 });
  const options = { timeoutMs: 10_000, retryBaseMs: 10_000, retryWindowMs: 259_200_000, disableAfterMs: 259_200_000, concurrency: 32, pollIntervalMs: 1000 };
  const worker = new WebhookWorker({ db, clock: { now: () => Date.now() }, keyring, sender, options, log: { warn: log, error: log } });
  const started = process.hrtime.bigint();
  worker.start();
  while ((await pending()) > 0) await new Promise((r) => setTimeout(r, 20));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.stop();
  sender.close();
  receiver.child.send('count');
  const [received] = await once(receiver.child, 'message');
  receiver.child.kill();
  const rate = round(N / seconds);
  figures.push({
    id: 'deliveries',
    name: `webhook deliveries per second to a receiver process on 127.0.0.1 (SQLite outbox, ${N} conferences, concurrency 32)`,
    value: rate,
    unit: 'deliveries/s',
    target: '≥ 1,000/s',
    pass: rate >= 1000,
  });
  if (received < N) notes.push(`the receiver counted ${received} of ${N} deliveries`);
  log(`deliveries: ${N} in ${seconds.toFixed(2)} s = ${rate}/s (receiver counted ${received})`);
  await db.close();
}

// 2. The outbox's cost on requestConference's write: rounds alternating between a database where no endpoint is
// subscribed (the outbox statement finds no subscriber) and one where one endpoint is (one outbox row per request).
{
  const without = await freshDb('without');
  const withOutbox = await freshDb('with');
  await addEndpoint(withOutbox, 'wh_bench', 'https://ehr.example.org/hook', ['conference.requested', 'conference.started', 'conference.ended']);
  const timeWrites = async (db) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < WRITES; i++) await createConference(db, conference());
    return Number(process.hrtime.bigint() - started) / 1e3 / WRITES; // µs per write
  };
  await timeWrites(without); // warm-up: statements prepared, JIT
  await timeWrites(withOutbox);
  const rounds = [];
  for (let r = 0; r < 5; r++) rounds.push({ without: await timeWrites(without), with: await timeWrites(withOutbox) });
  const us0 = median(rounds.map((r) => r.without));
  const us1 = median(rounds.map((r) => r.with));
  const added = round(((us1 - us0) / us0) * 100, 1);
  figures.push({
    id: 'outbox-cost',
    name: 'requestConference write (conference + first event, SQLite): added time with one subscribed endpoint (outbox row) vs none',
    value: added,
    unit: '%',
    baseline: { name: 'no subscribed endpoint', value: round(us0, 1), unit: 'µs/write' },
    withOutbox: round(us1, 1),
    rounds: rounds.map((r) => ({ without: round(r.without, 1), with: round(r.with, 1) })),
    target: '< 10 %',
    pass: added < 10,
  });
  log(`outbox cost: ${round(us0, 1)} µs → ${round(us1, 1)} µs per write (${added} %)`);
  notes.push(
    'the outbox cost is measured on the database write alone (no HTTP, auth or JSON): the stricter ratio; ' +
      'with no endpoint subscribed the outbox still runs one INSERT … SELECT that finds no subscriber, included in the baseline; ' +
      'the outbox row goes to webhook_outbox (no secondary index), relayed into webhook_deliveries by the worker off the request path',
  );
  await without.close();
  await withOutbox.close();
}

// 3. The same over HTTP, as the issue states the target (on requestConference): two server processes, one whose
// database has an endpoint subscribed and one without, requestConference at 50 connections in alternating rounds.
// The endpoint's address is a private one the address policy refuses, so the server pays for the outbox row and its
// relay into deliveries, not for HTTP deliveries (figure 1 measures those).
{
  const { createUsers, login } = await import('./lib/fixtures.js');
  const { startServerProcess, runLoad } = await import('./lib/processes.js');
  const seconds = Number(process.env.V4H_BENCH_SECONDS ?? 5);
  const servers = {};
  try {
    for (const name of ['without', 'with']) {
      const dir = path.join(work, `http-${name}`);
      fs.mkdirSync(dir);
      const url = `sqlite:${path.join(dir, 'v4h.sqlite')}`;
      const [user] = await createUsers(url, dir, 1, `bench-${name}-`);
      if (name === 'with') {
        const db = await openDatabase(url);
        await addEndpoint(db, 'wh_bench', 'http://10.255.255.1/hook', ['conference.requested', 'conference.started', 'conference.ended']);
        await db.close();
      }
      const env = {
        V4H_DATA_DIR: dir,
        V4H_DATABASE_URL: url,
        V4H_MASTER_KEY: Buffer.alloc(32, 7).toString('hex'),
        V4H_ACCESS_TOKEN_TTL: '3600',
        V4H_WEBHOOKS_ALLOW_HTTP: 'true',
      };
      const server = await startServerProcess({ env });
      const { accessToken } = await login(server.url, user);
      servers[name] = { server, request: { method: 'POST', path: '/api/conferences', headers: { authorization: `Bearer ${accessToken}` }, body: {} } };
    }
    const load = async (name, duration) => {
      const result = await runLoad({ url: servers[name].server.url, request: servers[name].request, connections: 50, duration });
      const other = Object.keys(result.statuses ?? {}).filter((status) => status !== '201');
      if (other.length > 0 || result.errors)
        throw new Error(`requestConference (${name}): statuses ${JSON.stringify(result.statuses)}, errors ${result.errors}`);
      return result.requestsPerSecond;
    };
    await load('without', 2);
    await load('with', 2);
    const rounds = [];
    // ABBA: which server goes first alternates, so that neither gains from the order.
    for (let r = 0; r < 6; r++) {
      if (r % 2 === 0) rounds.push({ without: await load('without', seconds), with: await load('with', seconds) });
      else rounds.push({ with: await load('with', seconds), without: await load('without', seconds) });
    }
    // The endpoint was subscribed: every conference of the 'with' server went through the outbox.
    const withDb = await openDatabase(`sqlite:${path.join(work, 'http-with', 'v4h.sqlite')}`);
    const relayed = async (table) =>
      Number(
        (
          await withDb.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst()
        ).n,
      );
    const outboxRows = (await relayed('webhook_outbox')) + (await relayed('webhook_deliveries'));
    const conferences = await relayed('conferences');
    await withDb.close();
    if (outboxRows < conferences) throw new Error(`only ${outboxRows} webhook rows for ${conferences} conferences`);
    const rps0 = median(rounds.map((r) => r.without));
    const rps1 = median(rounds.map((r) => r.with));
    // Time per request: the inverse of the rate at a fixed concurrency.
    const added = round((rps0 / rps1 - 1) * 100, 1);
    figures.push({
      id: 'outbox-cost-http',
      name: 'requestConference over HTTP (50 connections, SQLite, server process): added time per request with one subscribed endpoint vs none (median of 6 rounds, the order alternating)',
      value: added,
      unit: '%',
      baseline: { name: 'no subscribed endpoint', value: round(rps0), unit: 'req/s' },
      withOutbox: round(rps1),
      rounds: rounds.map((r) => ({ without: round(r.without), with: round(r.with) })),
      target: '< 10 %',
      pass: added < 10,
    });
    log(`outbox cost over HTTP: ${round(rps0)} → ${round(rps1)} req/s (${added} %); ${outboxRows} webhook rows for ${conferences} conferences`);
  } finally {
    for (const { server } of Object.values(servers)) await server.stop();
  }
}

fs.rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify({ figures, notes }));
