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
    out.push(
      `getConference (SQLite): ${get.value} req/s ≈ ${us(get.value)} µs of server time per request; ratio 0.6 needs ≤ ${budget} µs ` +
        `(the bare route takes ${us(bare.value)} µs). The app's shared plugins alone (helmet, CORS, request ids, logger) take ` +
        `${healthz ? us(healthz.value) : '?'} µs (/healthz), authentication alone ${session ? us(session.value) : '?'} µs (/api/auth/session). ` +
        `With 50 requests always in flight, p99 < 10 ms needs well over 5,000 req/s (Little's law: 50 / 10 ms), so the latency ` +
        `target follows the throughput one (p99 now ${get.latencyMs?.p99} ms).`,
    );
    const ours = cost('access-token verification (AccessTokenSigner.verify), first use');
    const jose = cost('the same token through jose');
    const hmac = cost('HMAC-SHA256');
    const kysely = cost('authenticate’s lookup through Kysely');
    const prepared = cost('the same lookup, better-sqlite3 prepared once');
    const perCall = cost('the same lookup, better-sqlite3 prepared per call');
    if (ours && kysely) {
      out.push(
        `Per operation: verifying the access token costs ${ours} µs (node:crypto HMAC on the event loop; jose's jwtVerify, which ` +
          `goes through WebCrypto and the thread pool, costs ${jose} µs for the same token; a bare HMAC-SHA256 ${hmac} µs). A Kysely ` +
          `query on SQLite costs ${kysely} µs where the same statement run directly by better-sqlite3 costs ${prepared} µs (${perCall} µs ` +
          `if prepared on each call, as Kysely's driver does — database.ts now keeps prepared statements per SQL text; the rest is ` +
          `Kysely building and compiling the query on every call). getConference does one verification and ` +
          `three queries (authenticate's lookup, the details join, storage's primary-recording lookup for urlStorage): ≈ ` +
          `${Math.round(ours + 3 * kysely)} µs before any HTTP work, against a budget of ${us(0.6 * bare.value)} µs — which the app's ` +
          `shared plugins alone ${healthz && us(healthz.value) > us(0.6 * bare.value) ? 'already exceed' : 'take a large part of'}. ` +
          `What would move it: hot-path queries compiled once (Kysely's compile() + executeQuery) instead of built per request, one query for authenticate's check and the details, an index on files (session_id, kind, ` +
          `created_at, id) for the urlStorage lookup, and a cheaper plugin stack (request ids, helmet's per-request header work).`,
      );
    }
  }
  const request = byId['requestConference-sqlite'];
  if (request) {
    out.push(
      `requestConference (SQLite): ${request.value} req/s ≈ ${us(request.value)} µs per request against 200 µs for 5,000/s. ` +
        `Each request verifies the token, looks up the caller, then in one transaction checks the id, inserts the conference, reads ` +
        `the event log's head and appends the hash-chained "requested" event: about six Kysely statements plus BEGIN/COMMIT, each ` +
        `built and compiled per call; SQLite itself (executeQuery's self time in the profile: the statements and each commit's WAL ` +
        `write) takes about a quarter, and writes are serialized on one connection. 5,000/s would need queries compiled once and ` +
        `group commit (several requests' inserts in one transaction).`,
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
        `What is left is CPU: the hashes take the machine's ${run.machine.cpus} cores from the event loop. What would move it further: ` +
        `cap concurrent argon2 hashes below the core count (a small queue in passwords.ts: logins wait, reads don't).`,
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
