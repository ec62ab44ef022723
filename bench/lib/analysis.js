// Turns a run's figures and per-operation costs into sentences saying what limits each missed target.
const us = (rps) => (rps > 0 ? Math.round(1e6 / rps) : NaN);

export function analyse(run) {
  const byId = Object.fromEntries(run.figures.map((f) => [f.id, f]));
  const cost = (prefix) => run.microCosts?.find((m) => m.name.startsWith(prefix))?.microseconds;
  const out = [];
  const bare = byId.bare;
  const get = byId['getConference-sqlite'];
  const healthz = byId['healthz-sqlite'];
  const session = byId['session-sqlite'];
  if (bare && get) {
    const budget = us(0.6 * bare.value);
    // A step smaller than the run-to-run noise can come out negative: say so rather than print a negative cost.
    const step = (from, to) =>
      !from || !to ? '? µs' : us(to.value) - us(from.value) <= 0 ? '≈ 0 µs (within the noise)' : `${us(to.value) - us(from.value)} µs`;
    out.push(
      `getConference (SQLite): ${get.value} req/s ≈ ${us(get.value)} µs of server time per request (when the server is the ` +
        `bottleneck); ratio 0.6 allows ${budget} µs against the bare route's ${us(bare.value)} µs. Step by step: the app's shared ` +
        `hooks (security headers, logger; CORS only when origins are configured) add ${step(bare, healthz)} (/healthz), authentication ${step(healthz, session)} ` +
        `(/api/auth/session: a remembered token and the read-cached revocation lookup), the conference itself ${step(session, get)} ` +
        `(read-cached row and recording lookup, validation, a larger answer). With 50 requests always in flight, p99 < 10 ms needs ` +
        `well over 5,000 req/s (Little's law: 50 / 10 ms); p99 was ${get.latencyMs?.p99} ms.` +
        (get.rounds
          ? ` Ratios of the ${get.rounds.length} alternating rounds: ${get.rounds.map((r) => r.ratio + (r.process ? ` (process ${r.process})` : '')).join(', ')} (bare ${get.rounds.map((r) => r.bare).join(', ')} req/s).`
          : ''),
    );
    const first = cost('access-token verification (AccessTokenSigner.verify), first use');
    const remembered = cost('access-token verification, a token already verified');
    const jose = cost('the same token through jose');
    const kysely = cost('authenticate’s lookup through Kysely');
    const prepared = cost('the same lookup as V4H runs it');
    const cached = cost('the same lookup from the SQLite read cache');
    if (first && kysely) {
      out.push(
        `Per operation: a token's first verification costs ${first} µs (node:crypto HMAC on the event loop; jose's jwtVerify, ` +
          `through WebCrypto and the thread pool, ${jose} µs), later uses ${remembered} µs. authenticate's lookup costs ${kysely} µs ` +
          `built by Kysely per call, ${prepared} µs compiled once (prepareQuery), ${cached} µs from the read cache, which answers ` +
          `all three per-request lookups of getConference until any write.`,
      );
    }
  }
  const request = byId['requestConference-sqlite'];
  if (request) {
    out.push(
      `requestConference (SQLite): ${request.value} req/s ≈ ${us(request.value)} µs per request (5,000/s allows 200 µs). ` +
        `Writes of concurrent requests share one transaction and one COMMIT (db.write, group commit), each in its own savepoint.`,
    );
  }
  const records = byId['sealed-merkled'];
  if (records?.parts) {
    const { conferences, sealSeconds, anchorSeconds } = records.parts;
    const perManifest = (seconds) => Math.round((seconds * 1e6) / conferences);
    const memory = byId['sealed-merkled-memory'];
    out.push(
      `Records (SQLite, end to end): ${records.value} manifests/s ≈ ${us(records.value)} µs per manifest (20,000/s allows 50 µs): ` +
        `sealing ${perManifest(sealSeconds)} µs, anchoring ${perManifest(anchorSeconds)} µs. Sealing has SQLite write a conference's 8 events as ` +
        `manifest text (one string per conference), hashes the ~2.5 KB manifest (written by JavaScript in memory alone: ` +
        `${memory ? `${us(memory.value)} µs, Merkle tree included` : 'see the in-memory figure'}) and stores a manifest row with 3 ` +
        `indexes, the conference's hash and the answered seal request; a run of 1,000+ reads and hashes in a worker thread ` +
        `while the main thread stores, and is bound by the slower of the two. Anchoring (main thread) hashes ` +
        `2 Merkle nodes per manifest and gives every manifest its leaf index and every conference its DLT fields. All of it is ` +
        `CPU work: on ${run.machine.cpus} cores the in-memory part and the database part cannot both shrink by overlapping.`,
    );
  }
  const flood = byId['flood-p99-sqlite'];
  if (flood) {
    const oursBusy = run.microCosts?.find((m) => m.name.startsWith('access-token verification (AccessTokenSigner.verify) while'));
    const joseBusy = run.microCosts?.find((m) => m.name.startsWith('jose jwtVerify (WebCrypto) while'));
    out.push(
      `Login flood: getConference p99 went from ${flood.baseline.value} ms to ${flood.value} ms (and the probe from ` +
        `${flood.baseline.requestsPerSecond ?? '?'} to ${flood.flood.probeRequestsPerSecond ?? '?'} req/s) while ${flood.flood.loginsPerSecond} logins/s ran. ` +
        `argon2id runs on libuv's thread pool (4 threads), and so does every WebCrypto call: ` +
        (joseBusy
          ? `with 8 hashes running, jose's jwtVerify waits ${joseBusy.microseconds} µs at the median (p99 ${joseBusy.p99} µs) behind ` +
            `them, while AccessTokenSigner.verify (node:crypto on the event loop) takes ${oursBusy?.microseconds} µs (p99 ${oursBusy?.p99} µs). `
          : '') +
        `At most ${Math.max(1, run.machine.cpus - 1) === 1 ? 'one hash runs' : `${run.machine.cpus - 1} hashes run`} at once (passwords.ts queues the rest: logins wait, reads don't), ` +
        `so one of the machine's ${run.machine.cpus} cores stays with the event loop.`,
    );
  }
  if (run.machine.loadAverageAtStart[0] > run.machine.cpus) {
    out.push(
      `The machine was busy when this run started (load average ${run.machine.loadAverageAtStart[0]} on ${run.machine.cpus} cores, ` +
        `other work running): absolute figures are low and noisy; the ratios against the same-run baseline are the figures to read.`,
    );
  }
  return out;
}
