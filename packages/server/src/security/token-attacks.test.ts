// Token attacks on every route that takes a bearer token: forged, confused, stale, replayed and revoked tokens are all 401.
import { generateKeyPairSync, createHmac } from 'node:crypto';
import { SignJWT, exportJWK, importPKCS8 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/service.js';
import { openDatabase } from '../db/database.js';
import { OTHER_CONNECTIONS_CHECK_MS } from '../db/read-cache.js';
import { createTestApp, type TestApp, JITSI_TEST_ENV } from '../test-support/test-app.js';
import { fillPath, listRoutes, type RouteInfo } from '../test-support/routes.js';

let t: TestApp;
// Each with a body its schema accepts, so that a genuine token gets past validation too (authentication comes first).
let protectedRoutes: (RouteInfo & { payload?: object })[];
let sessionId: string;
let ana: Awaited<ReturnType<TestApp['userSession']>>;
let claims: Record<string, unknown>;
let secret: Uint8Array;

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  t = await createTestApp({ env: JITSI_TEST_ENV }); // with presence tokens (see JITSI_TEST_ENV)
  ana = await t.userSession();
  const res = await t.app.inject({ method: 'POST', url: '/api/conferences', headers: ana.auth, payload: {} });
  sessionId = res.json().sessionId;
  claims = JSON.parse(Buffer.from(ana.accessToken.split('.')[1], 'base64url').toString());
  secret = new TextEncoder().encode(t.config.tokenSecret);
  // A route is protected when it refuses an anonymous caller with 401; every such route gets every attack.
  // (Routes that answer 401 for a reason other than the bearer token, e.g. a token in the path, are left out.)
  protectedRoutes = [];
  for (const route of listRoutes(t.app)) {
    for (const payload of route.method === 'GET' ? [undefined] : [{}, { name: 'x' }]) {
      const candidate = { ...route, payload };
      if ((await send(candidate, undefined)).statusCode === 401 && (await send(candidate, ana.accessToken)).statusCode !== 401) {
        protectedRoutes.push(candidate);
        break;
      }
    }
  }
}, 60_000);
afterAll(() => t?.close());

function send(route: RouteInfo & { payload?: object }, token: string | undefined) {
  return t.app.inject({
    method: route.method as 'GET',
    // The event stream stays open for a caller who may read it, so inject() would never return: on an unknown
    // conference it answers 404, after authentication, which is all these checks need.
    url: fillPath(route.path, () => (route.path.endsWith('/events') ? 'no-such-conference' : sessionId)),
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    payload: route.payload,
  });
}

/** Asserts that every protected route answers 401 to the token (and that a valid token gets past authentication). */
async function expectRefusedEverywhere(token: string) {
  for (const route of protectedRoutes) {
    const res = await send(route, token);
    expect(res.statusCode, `${route.method} ${route.path}: ${res.body}`).toBe(401);
    expect(res.json().error).toBe('unauthorized');
  }
}

const sign = (payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }, key: Uint8Array = secret) =>
  new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);

describe('token attacks (every protected route)', () => {
  it('finds the protected routes, and a genuine token passes them', async () => {
    const names = protectedRoutes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /api/auth/session',
        'POST /api/conferences',
        'GET /api/conferences',
        'GET /api/conferences/:sessionId',
        'POST /api/conferences/:sessionId/start',
        'POST /api/conferences/:sessionId/join',
        'POST /api/conferences/:sessionId/guest-url',
        'POST /api/conferences/:sessionId/end',
      ]),
    );
    console.log(`token attacks cover ${names.length} routes: ${names.join(', ')}`);
  });

  it('answers 401 before it reads or validates anything: an anonymous caller learns nothing of what a route accepts', async () => {
    const badBodies: [string, string][] = [
      ['application/json', '{"broken'],
      ['application/json', '{"sessionId": 42, "unknown": true}'],
      ['text/plain', 'x'.repeat(5000)],
    ];
    for (const route of protectedRoutes) {
      for (const [contentType, payload] of route.method === 'GET' ? [] : badBodies) {
        for (const token of [undefined, 'not-a-token']) {
          const res = await t.app.inject({
            method: route.method as 'POST',
            // The event stream stays open for a caller who may read it, so inject() would never return: on an unknown
            // conference it answers 404, after authentication, which is all these checks need.
            url: fillPath(route.path, () => (route.path.endsWith('/events') ? 'no-such-conference' : sessionId)),
            headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
            payload,
          });
          expect(res.statusCode, `${route.method} ${route.path} ${contentType} ${payload.slice(0, 20)}: ${res.body}`).toBe(401);
        }
      }
      // A malformed id in the path too.
      const res = await t.app.inject({ method: route.method as 'GET', url: fillPath(route.path, () => '..%2F..%2Fetc'), headers: {} });
      expect(res.statusCode, `${route.method} ${route.path} with a bad id: ${res.body}`).toBe(401);
    }
  });

  it('alg none (any spelling), and a stripped signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await expectRefusedEverywhere(`${b64({ alg, typ: 'JWT' })}.${b64(claims)}.`);
    }
    const [head, body] = ana.accessToken.split('.');
    await expectRefusedEverywhere(`${head}.${body}.`);
    await expectRefusedEverywhere(`${head}.${body}`);
  });

  it('HS/RS confusion: RS256 with an attacker key (also with the key embedded as jwk), HS256 keyed with a public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsa = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256');
    await expectRefusedEverywhere(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(rsa));
    const jwk = await exportJWK(publicKey);
    await expectRefusedEverywhere(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', jwk }).sign(rsa));
    // The classic confusion: the verifier's "public key" used as an HMAC secret.
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expectRefusedEverywhere(await sign(claims, { alg: 'HS256', typ: 'JWT' }, new TextEncoder().encode(pem)));
    // Whatever the server publishes (ledger / manifest keys) is no HMAC key either.
    const published = await t.app.inject({ method: 'GET', url: '/.well-known/v4h-ledger.json' });
    if (published.statusCode === 200) {
      await expectRefusedEverywhere(await sign(claims, { alg: 'HS256', typ: 'JWT' }, new TextEncoder().encode(published.body)));
    }
  });

  it('another spelling of a genuine signature (unused base64 bits, padding) is refused', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const [head, body, signature] = ana.accessToken.split('.');
    const last = alphabet.indexOf(signature.at(-1)!);
    for (const flip of [1, 2, 3]) await expectRefusedEverywhere(`${head}.${body}.${signature.slice(0, -1)}${alphabet[last ^ flip]}`);
    await expectRefusedEverywhere(`${head}.${body}.${signature}=`);
    await expectRefusedEverywhere(`${head}.${body}.${signature.replaceAll('-', '+').replaceAll('_', '/')}${signature.match(/[-_]/) ? '' : '+'}`);
  });

  it('other algorithms with the right secret, a wrong secret, and a jku/kid pointing elsewhere', async () => {
    for (const alg of ['HS384', 'HS512']) await expectRefusedEverywhere(await sign(claims, { alg, typ: 'JWT' }));
    await expectRefusedEverywhere(await sign(claims, { alg: 'HS256', typ: 'JWT' }, new TextEncoder().encode('a-different-secret-of-enough-length!!')));
    const attackerKey = new TextEncoder().encode('the attacker key, served from jku!');
    await expectRefusedEverywhere(await sign(claims, { alg: 'HS256', typ: 'JWT', kid: '../../../dev/null', jku: 'https://evil.example/jwks' }, attackerKey));
  });

  it('right key, wrong claims: expired, not yet valid, other audience, other issuer, missing claims', async () => {
    const now = nowSeconds();
    const variants: Record<string, unknown>[] = [
      { ...claims, iat: now - 7200, exp: now - 3600 },
      { ...claims, exp: now - 1 },
      { ...claims, nbf: now + 3600 },
      { ...claims, aud: 'jitsi' },
      { ...claims, aud: 'v4h-presence' },
      { ...claims, iss: 'https://evil.example' },
      { ...claims, sid: undefined },
      { ...claims, jti: undefined },
      { ...claims, exp: undefined },
      { ...claims, sub: 'no-such-user' },
      { ...claims, name: 42 },
    ];
    for (const payload of variants) await expectRefusedEverywhere(await sign(payload));
  });

  it('tampered payloads keep their old signature and are refused', async () => {
    const bob = await t.userSession();
    const bobClaims = JSON.parse(Buffer.from(bob.accessToken.split('.')[1], 'base64url').toString());
    const [head, , signature] = ana.accessToken.split('.');
    for (const payload of [
      { ...claims, sub: bobClaims.sub, name: bobClaims.name },
      { ...claims, exp: nowSeconds() + 10 ** 8 },
      { ...claims, name: 'admin' },
    ]) {
      await expectRefusedEverywhere(`${head}.${b64(payload)}.${signature}`);
    }
    // Our own HMAC over the tampered payload with a guessed secret is still wrong.
    const forged = `${head}.${b64({ ...claims, name: 'admin' })}`;
    await expectRefusedEverywhere(`${forged}.${createHmac('sha256', 'secret').update(forged).digest('base64url')}`);
  });

  it('other tokens the server issues are not access tokens: presence token, Jitsi/room token, guest token', async () => {
    // A conference of its own: finding the protected routes ran `end` on the shared one.
    const fresh = (await t.app.inject({ method: 'POST', url: '/api/conferences', headers: ana.auth, payload: {} })).json().sessionId;
    const started = await t.app.inject({ method: 'POST', url: `/api/conferences/${fresh}/start`, headers: ana.auth, payload: {} });
    expect(started.statusCode).toBe(200);
    const embed = started.json();
    expect(embed.presenceToken).toEqual(expect.any(String));
    await expectRefusedEverywhere(embed.presenceToken);
    if (embed.jwt) await expectRefusedEverywhere(embed.jwt);
    const guest = await t.app.inject({ method: 'POST', url: `/api/conferences/${fresh}/guest-url`, headers: ana.auth, payload: { name: 'G' } });
    expect(guest.statusCode).toBe(200);
    if (guest.json().jwt) await expectRefusedEverywhere(guest.json().jwt);
    // A refresh token is not an access token either.
    await expectRefusedEverywhere(ana.refreshToken);
  });

  it('a replayed refresh token is refused, and revokes the session: its access and refresh tokens stop working', async () => {
    const s = await t.userSession();
    const first = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: s.refreshToken } });
    expect(first.statusCode).toBe(200);
    const replay = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: s.refreshToken } });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error).toBe('invalid_refresh_token');
    const rotated = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: first.json().refreshToken } });
    expect(rotated.statusCode).toBe(401);
    await expectRefusedEverywhere(s.accessToken);
    await expectRefusedEverywhere(first.json().accessToken);
  });

  it('tokens of a disabled user, and of a logged-out session, are refused', async () => {
    const s = await t.userSession();
    const auth = new AuthService({ db: t.db, clock: { now: () => Date.now() }, config: t.config });
    await auth.disableUser(s.username);
    await expectRefusedEverywhere(s.accessToken);
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: s.refreshToken } })).statusCode).toBe(401);

    const out = await t.userSession();
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/logout', payload: { refreshToken: out.refreshToken } })).statusCode).toBe(200);
    await expectRefusedEverywhere(out.accessToken);
  });

  it('a token that was accepted (and is remembered) is refused once revoked here or by another process', async () => {
    const here = await t.userSession();
    const elsewhere = await t.userSession();
    for (const s of [here, elsewhere]) expect((await t.app.inject({ method: 'GET', url: '/api/auth/session', headers: s.auth })).statusCode).toBe(200);
    await new AuthService({ db: t.db, clock: { now: () => Date.now() }, config: t.config }).disableUser(here.username);
    await expectRefusedEverywhere(here.accessToken);
    // The CLI, or another server on the same database: its own connection.
    const other = await openDatabase(t.config.databaseUrl);
    try {
      await new AuthService({ db: other, clock: { now: () => Date.now() }, config: t.config }).disableUser(elsewhere.username);
    } finally {
      await other.close();
    }
    await new Promise((resolve) => setTimeout(resolve, OTHER_CONNECTIONS_CHECK_MS + 5));
    await expectRefusedEverywhere(elsewhere.accessToken);
  });

  it('a token of a changed password session is refused', async () => {
    const s = await t.userSession();
    const auth = new AuthService({ db: t.db, clock: { now: () => Date.now() }, config: t.config });
    await auth.setPassword(s.username, 'a-brand-new-password');
    await expectRefusedEverywhere(s.accessToken);
  });
});
