// Property-based fuzzing of every route the app serves: generated requests (bad JSON, wrong types, huge and unicode
// strings, path tricks, odd content types, duplicate headers) never get a 5xx or a stack trace, and the server stays up.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, JITSI_TEST_ENV } from '../test-support/test-app.js';
import { fillPath, listRoutes, type RouteInfo } from '../test-support/routes.js';
import { ERROR_STATUS } from '../errors.js';

// ≥ 10,000 requests per database (the suite runs on SQLite and PostgreSQL); V4H_FUZZ_RUNS overrides.
const RUNS = Number(process.env.V4H_FUZZ_RUNS ?? 10_000);
// Lines of a stack trace, file paths of ours or of dependencies: none may reach a client in an error answer.
const LEAK = /\n\s+at .+:\d+:\d+|node_modules|\/work\/|\/packages\/server\/|file:\/\/|Error: .*\n/;

let t: TestApp;
let routes: RouteInfo[];
let real: { sessionId: string; ownerAuth: string; otherAuth: string; presenceToken: string; refreshToken: string; guestJwt: string };

async function setUp(env: Record<string, string>) {
  // Generous login limits would let fuzzed logins run argon2 thousands of times; the defaults keep it bounded.
  t = await createTestApp({ env });
  // The event stream stays open for a caller who may read it (inject() would wait for ever); events/stream.test.ts
  // covers its bad ids, bad Last-Event-ID values and refused callers.
  routes = listRoutes(t.app).filter((route) => !route.path.endsWith('/events'));
  const ana = await t.userSession();
  const bob = await t.userSession();
  // Fuzzed refresh/logout calls may revoke this session: it is not the one the other requests use.
  const carol = await t.userSession();
  const created = await t.app.inject({ method: 'POST', url: '/api/conferences', headers: ana.auth, payload: {} });
  const sessionId = created.json().sessionId as string;
  const started = await t.app.inject({ method: 'POST', url: `/api/conferences/${sessionId}/start`, headers: ana.auth, payload: {} });
  const guest = await t.app.inject({ method: 'POST', url: `/api/conferences/${sessionId}/guest-url`, headers: ana.auth, payload: { name: 'Guest' } });
  real = {
    sessionId,
    ownerAuth: ana.auth.authorization,
    otherAuth: bob.auth.authorization,
    presenceToken: started.json().presenceToken ?? 'no-presence-token',
    refreshToken: carol.refreshToken,
    guestJwt: guest.json().jwt ?? 'none',
  };
}

const nasty = fc.constantFrom(
  '..',
  '../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f',
  '%00',
  '%',
  '%zz',
  '%C0%AE%C0%AE',
  '\u0000',
  '\u202e',
  '😀'.repeat(50),
  'v4h-abc',
  'v4h-' + 'a'.repeat(101),
  '__proto__',
  'constructor',
  'null',
  'undefined',
  '-1',
  '1e309',
  'a'.repeat(70),
  'x'.repeat(10_000),
  '//evil.example',
  '\\\\evil',
  ';drop table users;--',
  "' or '1'='1",
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
);

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.string({ minLength: 200, maxLength: 5000 }),
  nasty,
);

// Values of every type, for fields that expect strings (and the other way around).
const anyValue = fc.oneof(
  anyText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }),
);

function bodyFor(): fc.Arbitrary<{ payload?: string | Buffer; contentType?: string }> {
  const knownKeys = fc.record(
    {
      username: anyValue,
      password: anyValue,
      refreshToken: fc.oneof(anyValue, fc.constant('REAL_REFRESH')),
      sessionId: fc.oneof(anyValue, fc.constant('REAL_SESSION')),
      displayName: anyValue,
      avatarUrl: fc.oneof(anyValue, fc.constantFrom('javascript:alert(1)', 'http://x/' + 'a'.repeat(3000), 'https://ok.example/a.png')),
      name: anyValue,
      event: fc.oneof(anyValue, fc.constantFrom('joined', 'left')),
      presenceToken: fc.oneof(anyValue, fc.constant('REAL_PRESENCE')),
      __proto__: fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
      extra: anyValue,
    },
    { requiredKeys: [] },
  );
  const jsonText = fc.oneof(
    knownKeys.map((v) => JSON.stringify(v)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.constantFrom(
      '{',
      '{"a":',
      'nul',
      '[1,2',
      '{"a":1}}',
      '\ufeff{}',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '""',
      '0',
      '[]',
    ),
    fc.string(),
    fc.integer({ min: 1, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
    fc.integer({ min: 1, max: 5_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  );
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'APPLICATION/JSON',
    'text/plain',
    'text/plain; charset=latin1',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/x-ndjson',
    'garbage/?;;',
    '',
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({}) },
    { weight: 12, arbitrary: fc.record({ payload: jsonText, contentType }) },
    { weight: 2, arbitrary: fc.record({ payload: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), contentType }) },
    // Past the 1 MiB body limit now and then: 413, not a crash.
    { weight: 1, arbitrary: fc.record({ payload: fc.integer({ min: 900_000, max: 1_200_000 }).map((n) => `{"name":"${'x'.repeat(n)}"}`), contentType }) },
  );
}

const authHeader = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('OWNER', 'OTHER', 'GUEST_JWT', 'PRESENCE_AS_BEARER'),
  anyText.map((s) => `Bearer ${s}`),
  fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'bearer OWNER', 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.'),
  fc.constant(['OWNER', 'Bearer junk']),
);

const extraHeaders = fc.record(
  {
    origin: fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1'),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', '::1', 'garbage', '1.1.1.1, 2.2.2.2'),
    range: fc.oneof(anyText, fc.constantFrom('bytes=0-', 'bytes=-1', 'bytes=5-2', 'bytes=0-1,2-3', 'bytes=99999999999999999999-')),
    'content-digest': fc.oneof(anyText, fc.constant('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:')),
    'repr-digest': anyText,
    'if-none-match': anyText,
    accept: fc.constantFrom('*/*', 'text/html', 'application/json;q=0', 'garbage'),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', 'x'),
    'x-http-method-override': fc.constantFrom('DELETE', 'PUT'),
  },
  { requiredKeys: [] },
);

const query = fc.dictionary(fc.oneof(fc.constantFrom('limit', 'cursor', 'token', 'jwt', '__proto__'), fc.string({ maxLength: 10 })), anyText, { maxKeys: 3 });

function requestFor(route: RouteInfo) {
  const param = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ raw: false, value: 'REAL_SESSION' }) },
    { weight: 4, arbitrary: anyText.map((value) => ({ raw: false, value })) },
    // Unencoded path tricks, as a hostile client would send them.
    { weight: 2, arbitrary: fc.constantFrom('..', '../..', '%2e%2e', '%2F', '%00', '%', '.', '//', 'a/../b', '%252e').map((value) => ({ raw: true, value })) },
  );
  return fc.record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant(route.method) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
    ),
    param,
    body: bodyFor(),
    auth: authHeader,
    extra: extraHeaders,
    query,
    address: fc.oneof({ weight: 9, arbitrary: fc.constant('127.0.0.1') }, { weight: 1, arbitrary: fc.constantFrom('10.0.0.1', '::1', '2001:db8::1') }),
  });
}

const substitute = (value: string): string =>
  value
    .replace('REAL_SESSION', () => real.sessionId)
    .replace('REAL_PRESENCE', () => real.presenceToken)
    .replace('REAL_REFRESH', () => real.refreshToken);

function authValue(auth: string | readonly string[] | undefined): string | string[] | undefined {
  const one = (a: string) =>
    a === 'OWNER'
      ? real.ownerAuth
      : a === 'OTHER'
        ? real.otherAuth
        : a === 'GUEST_JWT'
          ? `Bearer ${real.guestJwt}`
          : a === 'PRESENCE_AS_BEARER'
            ? `Bearer ${real.presenceToken}`
            : a === 'bearer OWNER'
              ? `bearer ${real.ownerAuth.slice('Bearer '.length)}`
              : a;
  if (auth === undefined) return undefined;
  return typeof auth === 'string' ? one(auth) : auth.map(one);
}

// Token-auth Jitsi (presence tokens in play) gets the full count; the built-in room (its page, socket and
// assets; no presence tokens) gets a share of its own.
const CONFIGS: [string, Record<string, string>, number][] = [
  ['token-auth Jitsi', { ...JITSI_TEST_ENV }, RUNS],
  ['built-in room', {}, Math.ceil(RUNS * 0.3)],
];

describe.each(CONFIGS)('fuzzing every route (%s)', (config, env, runs) => {
  beforeAll(() => setUp(env), 60_000);
  afterAll(() => t?.close());

  it(`answers ${runs} generated requests without a 5xx or a leaked stack trace`, async () => {
    expect(routes.length).toBeGreaterThan(10);
    const seen = new Map<string, number>();
    const arbitrary = fc.constantFrom(...routes).chain((route) => requestFor(route).map((req) => ({ route, ...req })));
    await fc.assert(
      fc.asyncProperty(arbitrary, async (req) => {
        const paramValue = req.param.raw ? req.param.value : encodeURIComponent(substitute(req.param.value));
        const path = fillPath(req.route.path, () => paramValue);
        const search = new URLSearchParams(Object.entries(req.query).map(([k, v]) => [k, substitute(v)])).toString();
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(req.extra)) if (v !== undefined) headers[k] = v;
        const auth = authValue(req.auth);
        if (auth !== undefined) headers.authorization = auth;
        const payload = typeof req.body.payload === 'string' ? substitute(req.body.payload) : req.body.payload;
        if (req.body.contentType !== undefined) headers['content-type'] = req.body.contentType;
        const res = await t.app.inject({
          method: req.method as 'GET',
          url: search ? `${path}?${search}` : path,
          headers,
          payload: req.method === 'GET' || req.method === 'HEAD' ? undefined : payload,
          remoteAddress: req.address,
        });
        seen.set(`${res.statusCode}`, (seen.get(`${res.statusCode}`) ?? 0) + 1);
        const context = `${req.method} ${path.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(res.statusCode, context).toBeLessThan(500);
        if (res.statusCode >= 300 && res.statusCode < 400) {
          // No open redirect: a Location stays on this server (a path, not `//host` or another origin).
          const location = String(res.headers.location ?? '');
          expect(location, context).toMatch(/^(\/(?![/\\])|\.|[^:/\\]*$)/);
        }
        if (res.statusCode >= 400) {
          expect(res.body, context).not.toMatch(LEAK);
          if (String(res.headers['content-type']).startsWith('application/json') && res.body) {
            const body = JSON.parse(res.body);
            expect(Object.keys(ERROR_STATUS), `a stable error code (docs/api.md): ${context}`).toContain(body.error);
            expect(body, context).not.toHaveProperty('stack');
          }
        }
      }),
      { numRuns: runs, endOnFailure: true },
    );
    // The generator reached past validation too, not only 400s.
    expect([...seen.keys()].some((s) => s.startsWith('2'))).toBe(true);
    expect([...seen.keys()]).toEqual(expect.arrayContaining(['400', '401', '404']));
    console.log(
      `fuzz (${config}, ${process.env.V4H_TEST_DB ?? 'sqlite'}): ${runs} requests over ${routes.length} routes, statuses ${JSON.stringify(Object.fromEntries(seen))}`,
    );

    // Still up and still correct.
    expect((await fetch(`${t.baseUrl}/healthz`)).status).toBe(200);
    // (From another address: the fuzzed logins may have used up this one's login limit, as they should.)
    const user = await t.createUser();
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: user, remoteAddress: '192.0.2.77' });
    expect(login.statusCode).toBe(200);
    const authorization = `Bearer ${login.json().accessToken}`;
    const again = await t.app.inject({ method: 'POST', url: '/api/conferences', headers: { authorization }, payload: {} });
    expect(again.statusCode).toBe(201);
    expect(Object.prototype).not.toHaveProperty('polluted');
  }, 600_000); // about 60 s on a quiet machine; 246 s beside two spinners and other work
});
