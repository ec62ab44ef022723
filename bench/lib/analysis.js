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
        `${healthz ? us(healthz.value) : '?'} µs (/healthz), authentication alone ${session ? us(session.value) : '?'} µs (/api/auth/session).`,
    );
    const jose = cost('access-token verification');
    const hmac = cost('HMAC-SHA256');
    const kysely = cost('authenticate’s lookup through Kysely');
    const prepared = cost('the same lookup, better-sqlite3 prepared once');
    const perCall = cost('the same lookup, better-sqlite3 prepared per call');
    if (jose && kysely) {
      out.push(
        `Per operation: verifying the access token with jose (WebCrypto, key imported per call) costs ${jose} µs where an HMAC-SHA256 ` +
          `with node:crypto costs ${hmac} µs; a Kysely query on SQLite costs ${kysely} µs where the same statement prepared once in ` +
          `better-sqlite3 costs ${prepared} µs (${perCall} µs when prepared per call, which is what Kysely's SQLite driver does). ` +
          `getConference does one verification and three queries (authenticate's lookup, the details join, storage's primary-recording ` +
          `lookup for urlStorage): ≈ ${Math.round(jose + 3 * kysely)} µs ` +
          `before any HTTP work. What would move it: verify HS256 with node:crypto (createHmac + timingSafeEqual, claims checked by hand) ` +
          `or keep jose with a pre-imported KeyObject; cache compiled queries / prepared statements (a statement cache in the SQLite ` +
          `dialect); fold the lookups into one query, or cache the family/user check for a few seconds.`,
      );
    }
  }
  const request = byId['requestConference-sqlite'];
  if (request) {
    out.push(
      `requestConference (SQLite): ${request.value} req/s ≈ ${us(request.value)} µs per request against 200 µs for 5,000/s. ` +
        `Each request verifies the token, looks up the caller, then in one transaction checks the id, inserts the conference, reads the ` +
        `event log's head and appends the hash-chained "requested" event: about six Kysely statements, each paying the query-building ` +
        `and per-call prepare costs above; SQLite serializes the writes on one connection.`,
    );
  }
  const flood = byId['flood-p99-sqlite'];
  if (flood) {
    const joseBusy = run.microCosts?.find((m) => m.name.startsWith('access-token verification (jose) while'));
    const hmacBusy = run.microCosts?.find((m) => m.name.startsWith('HMAC-SHA256 (node:crypto) while'));
    out.push(
      `Login flood: getConference p99 went from ${flood.baseline.value} ms to ${flood.value} ms (and the probe from ` +
        `${flood.baseline.requestsPerSecond ?? '?'} to ${flood.flood.probeRequestsPerSecond ?? '?'} req/s) while ${flood.flood.loginsPerSecond} logins/s ran. ` +
        `argon2id runs on libuv's thread pool (4 threads) — and so does every WebCrypto call, which is how jose verifies an HS256 access token: ` +
        (joseBusy
          ? `with 8 hashes running, one jose verification takes ${joseBusy.microseconds} µs at the median and ${joseBusy.p99} µs at p99 ` +
            `(queued behind the hashes), where node:crypto's createHmac takes ${hmacBusy?.microseconds} µs (p99 ${hmacBusy?.p99} µs). `
          : '') +
        `So every authenticated request waits for a free hashing thread. What would move it: verify access tokens off the pool ` +
        `(node:crypto createHmac + timingSafeEqual on the event loop, or a cache of already-verified tokens until their exp), and cap ` +
        `concurrent argon2 hashes below the core count (a small queue in passwords.ts: logins wait, reads don't).`,
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
