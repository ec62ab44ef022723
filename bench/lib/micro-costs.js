// Per-operation costs behind an authenticated read, measured in this process with the built server's code:
// they explain the req/s figures (a request costs roughly the sum of the operations it performs).
import { createHmac, randomUUID } from 'node:crypto';
import { jwtVerify } from 'jose';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dist = new URL('../../packages/server/dist/', import.meta.url);
const requireServer = createRequire(new URL('../../packages/server/package.json', import.meta.url));

async function perCall(n, fn) {
  for (let i = 0; i < Math.min(500, n); i++) await fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - started) / 1e3 / n;
}

/** [{ name, microseconds }] for the operations of one authenticated getConference. */
export async function microCosts() {
  const { createAccessTokenSigner } = await import(new URL('auth/access-tokens.js', dist).href);
  const { openDatabase } = await import(new URL('db/database.js', dist).href);
  const { migrateToLatest } = await import(new URL('db/migrate.js', dist).href);
  const { prepareQuery } = await import(new URL('db/prepared.js', dist).href);
  const signer = createAccessTokenSigner({ secret: 'x'.repeat(43), issuer: 'http://v4h.bench.invalid', ttlSeconds: 3600 });
  const { token } = await signer.sign({ userId: 'u', username: 'n', familyId: 'f' }, Date.now());
  // Tokens never seen before, for the cost of a first verification (a verified token is remembered).
  const fresh = [];
  for (let i = 0; i < 5500; i++) fresh.push((await signer.sign({ userId: 'u', username: 'n', familyId: `f${i}` }, Date.now())).token);
  let nextFresh = 0;
  const joseKey = new TextEncoder().encode('x'.repeat(43));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-micro-'));
  const file = path.join(dir, 'v4h.sqlite');
  const db = await openDatabase(`sqlite:${file}`);
  await migrateToLatest(db);
  const SQLite = requireServer('better-sqlite3');
  const raw = new SQLite(file);
  const sql = 'select u.disabled, f.revoked_at from token_families f join users u on u.id = f.user_id where f.id = ? and u.id = ?';
  const prepared = raw.prepare(sql);
  const familyStatus = (cached) =>
    prepareQuery(
      (k, p) =>
        k
          .selectFrom('token_families')
          .innerJoin('users', 'users.id', 'token_families.user_id')
          .select(['users.disabled', 'token_families.revoked_at'])
          .where('token_families.id', '=', p.familyId)
          .where('users.id', '=', p.userId),
      { cached },
    );
  const [uncachedStatus, cachedStatus] = [familyStatus(false), familyStatus(true)];
  try {
    const results = [
      ['access-token verification (AccessTokenSigner.verify), first use of a token', 5000, () => signer.verify(fresh[nextFresh++], Date.now())],
      ['access-token verification, a token already verified (remembered)', 5000, () => signer.verify(token, Date.now())],
      [
        'the same token through jose jwtVerify (HS256 via WebCrypto)',
        5000,
        () => jwtVerify(token, joseKey, { algorithms: ['HS256'], issuer: 'http://v4h.bench.invalid', audience: 'v4h' }),
      ],
      ['HMAC-SHA256 of the same token (node:crypto)', 5000, () => createHmac('sha256', 'x'.repeat(43)).update(token).digest()],
      [
        'authenticate’s lookup through Kysely (SQLite)',
        5000,
        () =>
          db.kysely
            .selectFrom('token_families')
            .innerJoin('users', 'users.id', 'token_families.user_id')
            .select(['users.disabled', 'token_families.revoked_at'])
            .where('token_families.id', '=', 'f')
            .where('users.id', '=', 'u')
            .executeTakeFirst(),
      ],
      ['the same lookup, better-sqlite3 prepared once', 5000, () => prepared.get('f', 'u')],
      ['the same lookup, better-sqlite3 prepared per call', 5000, () => raw.prepare(sql).get('f', 'u')],
      ['the same lookup as V4H runs it (prepareQuery, compiled once)', 5000, () => uncachedStatus.first(db.kysely, { familyId: 'f', userId: 'u' })],
      ['the same lookup from the SQLite read cache (prepareQuery { cached: true })', 5000, () => cachedStatus.first(db.kysely, { familyId: 'f', userId: 'u' })],
      ['crypto.randomUUID (request id)', 5000, () => randomUUID()],
    ];
    const out = [];
    for (const [name, n, fn] of results) out.push({ name, microseconds: Math.round((await perCall(n, fn)) * 10) / 10 });
    out.push(...(await underHashing(signer, token)));
    return out;
  } finally {
    raw.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Latency of a token verification while argon2id hashes (as during a login rush) keep libuv's thread pool busy:
 * WebCrypto's HMAC runs on that pool, node:crypto's createHmac on the calling thread.
 */
async function underHashing(signer, token) {
  const { hash } = requireServer('@node-rs/argon2');
  const latency = async (fn, n = 200) => {
    const samples = [];
    for (let i = 0; i < n; i++) {
      const started = process.hrtime.bigint();
      await fn();
      samples.push(Number(process.hrtime.bigint() - started) / 1e3);
    }
    samples.sort((a, b) => a - b);
    return { p50: Math.round(samples[n >> 1]), p99: Math.round(samples[Math.floor(n * 0.99)]) };
  };
  let stop = false;
  const hashing = Array.from({ length: 8 }, async () => {
    while (!stop) await hash(`password-${Math.random()}`, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  try {
    const key = new TextEncoder().encode('x'.repeat(43));
    const unseen = [];
    for (let i = 0; i < 200; i++) unseen.push((await signer.sign({ userId: 'u', username: 'n', familyId: `busy-${i}` }, Date.now())).token);
    const ours = await latency(() => signer.verify(unseen.pop(), Date.now())); // first use: every rule, HMAC included
    const jose = await latency(() => jwtVerify(token, key, { algorithms: ['HS256'], issuer: 'http://v4h.bench.invalid', audience: 'v4h' }));
    const hmac = await latency(() => createHmac('sha256', 'x'.repeat(43)).update(token).digest());
    return [
      { name: 'access-token verification (AccessTokenSigner.verify) while 8 argon2id hashes run', microseconds: ours.p50, p99: ours.p99 },
      { name: 'jose jwtVerify (WebCrypto) while 8 argon2id hashes run', microseconds: jose.p50, p99: jose.p99 },
      { name: 'HMAC-SHA256 (node:crypto) while 8 argon2id hashes run', microseconds: hmac.p50, p99: hmac.p99 },
    ];
  } finally {
    stop = true;
    await Promise.all(hashing);
  }
}
