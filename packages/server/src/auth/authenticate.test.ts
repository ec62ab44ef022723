// authenticate (the onRequest hook of every authenticated route) and the access-token signer behind it, on a real
// database: it answers synchronously from memory where it can, and is exactly as strict either way.
import type { FastifyRequest } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { createMigratedTestDatabase, ManualClock, testDialect, type MigratedTestDatabase } from '../test-support/test-app.js';
import { createAccessTokenSigner, InvalidAccessToken } from './access-tokens.js';
import { createAuthenticate, type Authenticate } from './authenticate.js';
import { AuthService } from './service.js';

const SECRET = 'x'.repeat(40);
let database: MigratedTestDatabase;
let db: Db;
let clock: ManualClock;
let auth: AuthService;
let authenticate: Authenticate;
let tokens: { accessToken: string; refreshToken: string };

beforeEach(async () => {
  database = await createMigratedTestDatabase('authenticate');
  db = database.db;
  clock = new ManualClock();
  const config = loadConfig({ V4H_DATA_DIR: database.dir, V4H_DATABASE_URL: database.url, V4H_TOKEN_SECRET: SECRET });
  const signer = createAccessTokenSigner({ secret: SECRET, issuer: config.publicUrl, ttlSeconds: config.accessTokenTtl });
  auth = new AuthService({ db, clock, config, signer });
  authenticate = createAuthenticate({ signer, db: db.kysely, clock });
  await auth.createUser('ana', 'correct horse');
  tokens = await auth.login('ana', 'correct horse', '127.0.0.1');
});
afterEach(() => database.destroy());

const requestWith = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization }, user: null }) as unknown as FastifyRequest;

/** Runs authenticate as Fastify runs an onRequest hook; tells how it answered. */
async function run(request: FastifyRequest): Promise<{ how: 'sync' | 'async'; error?: string }> {
  let doneCalls = 0;
  let returned: Promise<void> | undefined;
  try {
    returned = authenticate(request, undefined, () => doneCalls++);
  } catch (error) {
    return { how: 'sync', error: error instanceof AppError ? `${error.code}: ${error.message}` : String(error) };
  }
  if (returned === undefined) {
    expect(doneCalls).toBe(1);
    return { how: 'sync' };
  }
  const error = await returned.then(
    () => undefined,
    (e: unknown) => (e instanceof AppError ? `${e.code}: ${e.message}` : String(e)),
  );
  expect(doneCalls).toBe(0); // a hook that returns a promise must not call done as well
  return { how: 'async', error };
}

describe('authenticate', () => {
  it('sets request.user for a valid token: synchronously on SQLite, through a promise on PostgreSQL', async () => {
    const how = testDialect() === 'sqlite' ? 'sync' : 'async';
    const request = requestWith(`Bearer ${tokens.accessToken}`);
    expect(await run(request)).toEqual({ how });
    expect(request.user).toMatchObject({ username: 'ana' });
    // RFC 6750: the scheme in any case; the field's surrounding spaces are not the credential's.
    for (const header of [`  Bearer ${tokens.accessToken}  `, `bearer ${tokens.accessToken}`]) {
      const again = requestWith(header);
      expect(await run(again)).toEqual({ how });
      expect(again.user).toEqual(request.user);
    }
  });

  it('refuses what is not a bearer token of ours, with 401 and no user', async () => {
    const [head, body, signature] = tokens.accessToken.split('.');
    const otherSigner = createAccessTokenSigner({ secret: 'y'.repeat(40), issuer: 'http://127.0.0.1:8080', ttlSeconds: 300 });
    const foreign = (await otherSigner.sign({ userId: 'u', username: 'ana', familyId: 'f' }, clock.now())).token;
    const cases: [string | undefined, RegExp][] = [
      [undefined, /missing access token/],
      ['Bearer', /is not "Bearer <access token>"/],
      ['Bearer ', /is not "Bearer <access token>"/],
      [`Basic ${tokens.accessToken}`, /is not "Bearer <access token>"/],
      [`Bearer  ${tokens.accessToken}`, /is not "Bearer <access token>"/],
      [`Bearer ${tokens.accessToken} x`, /is not "Bearer <access token>"/],
      ['Bearer ünïcödé.☃.✓', /is not "Bearer <access token>"/],
      [`Bearer ${head}.${body}.${signature}x`, /invalid access token/],
      [`Bearer ${head}.${body}`, /invalid access token/],
      [`Bearer ${foreign}`, /invalid access token/],
    ];
    await run(requestWith(`Bearer ${tokens.accessToken}`)); // the genuine token is remembered first
    for (const [header, message] of cases) {
      const request = requestWith(header);
      const outcome = await run(request);
      expect(outcome.error, String(header)).toMatch(/^unauthorized: /);
      expect(outcome.error, String(header)).toMatch(message);
      expect(request.user).toBeNull();
    }
  });

  it('refuses a remembered token once it expires, and once its session is revoked', async () => {
    expect((await run(requestWith(`Bearer ${tokens.accessToken}`))).error).toBeUndefined();
    await auth.logout(tokens.refreshToken);
    expect((await run(requestWith(`Bearer ${tokens.accessToken}`))).error).toBe('unauthorized: access token revoked');

    const fresh = await auth.login('ana', 'correct horse', '127.0.0.1');
    expect((await run(requestWith(`Bearer ${fresh.accessToken}`))).error).toBeUndefined();
    clock.advance(301);
    expect((await run(requestWith(`Bearer ${fresh.accessToken}`))).error).toBe('unauthorized: access token expired');
  });

  it.runIf(testDialect() === 'sqlite')('waits, rather than reading past it, while a transaction holds the SQLite connection', async () => {
    await run(requestWith(`Bearer ${tokens.accessToken}`));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const open = db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ disabled: 1 }).where('username', '=', 'ana').execute();
      await gate;
      throw new Error('undo');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const pending = run(requestWith(`Bearer ${tokens.accessToken}`));
    release();
    await expect(open).rejects.toThrow('undo');
    expect(await pending).toEqual({ how: 'async' }); // and it saw the user enabled: the disabling was rolled back
  });
});

describe('access-token signer', () => {
  const signer = createAccessTokenSigner({ secret: SECRET, issuer: 'https://v4h.example', ttlSeconds: 300 });
  const now = Date.UTC(2026, 0, 1);
  const reason = (token: string, at = now) => {
    try {
      signer.verify(token, at);
      return 'valid';
    } catch (error) {
      return error instanceof InvalidAccessToken ? error.reason : String(error);
    }
  };

  it('remembers a verified token by its signature, but only ever accepts that exact token', async () => {
    const ana = (await signer.sign({ userId: 'u1', username: 'ana', familyId: 'f1' }, now)).token;
    const bob = (await signer.sign({ userId: 'u2', username: 'bob', familyId: 'f2' }, now)).token;
    expect(signer.verify(ana, now)).toEqual({ userId: 'u1', username: 'ana', familyId: 'f1', expiresAt: now + 300_000 });
    expect(signer.verify(ana, now)).toBe(signer.verify(ana, now + 1000)); // remembered
    const [head, , anaSignature] = ana.split('.');
    const bobBody = bob.split('.')[1];
    expect(reason(`${head}.${bobBody}.${anaSignature}`)).toBe('invalid'); // bob's claims under ana's remembered signature
    expect(reason(`${head}x.${ana.split('.')[1]}.${anaSignature}`)).toBe('invalid');
    expect(reason(ana)).toBe('valid'); // the genuine token is still remembered and valid
    expect(reason(ana, now + 300_000)).toBe('expired');
  });
});
