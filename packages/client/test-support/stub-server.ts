// A small stand-in of the V4H auth/conference API on real HTTP (127.0.0.1), counting what it receives.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface StubServer {
  baseUrl: string;
  /** Requests seen, as "METHOD /path". */
  log: string[];
  count(route: string): number;
  /** Seconds an access token lives. */
  expiresIn: number;
  /** Delay of /refresh answers, ms (to make concurrent refreshes overlap). */
  refreshDelay: number;
  /** Invalidate every access token issued so far (the next authenticated call gets a 401). */
  expireAccessTokens(): void;
  /** Answer every authenticated route with 401, even with fresh tokens. */
  alwaysUnauthorized: boolean;
  close(): Promise<void>;
}

const token = () => randomBytes(12).toString('base64url');

export async function startStubServer(users: Record<string, string> = { alice: 'secret' }): Promise<StubServer> {
  const access = new Set<string>();
  const refresh = new Set<string>();
  const conferences = new Map<string, string>();
  const pair = () => {
    const accessToken = token();
    const refreshToken = token();
    access.add(accessToken);
    refresh.add(refreshToken);
    return { accessToken, refreshToken, expiresIn: stub.expiresIn };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : {};
    const path = (req.url ?? '').split('?')[0];
    stub.log.push(`${req.method} ${path}`);
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const authed = !stub.alwaysUnauthorized && access.has(bearer);

    if (req.method === 'POST' && path === '/api/auth/login') {
      if (users[body.username] !== body.password) return send(401, { error: 'invalid_credentials', message: 'wrong username or password' });
      return send(200, pair());
    }
    if (req.method === 'POST' && path === '/api/auth/refresh') {
      await new Promise((resolve) => setTimeout(resolve, stub.refreshDelay));
      if (!refresh.delete(body.refreshToken)) return send(401, { error: 'invalid_refresh_token', message: 'refresh token reused or unknown' });
      return send(200, pair());
    }
    if (req.method === 'POST' && path === '/api/auth/logout') {
      refresh.delete(body.refreshToken);
      return send(200, { status: 'ok' });
    }
    if (!authed) return send(401, { error: 'unauthorized', message: 'missing or invalid access token' });
    if (req.method === 'GET' && path === '/api/auth/session')
      return send(200, { status: 'ok', username: 'alice', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    if (req.method === 'POST' && path === '/api/conferences') {
      const sessionId = body.sessionId ?? `c-${token()}`;
      conferences.set(sessionId, bearer);
      return send(201, { sessionId });
    }
    const match = /^\/api\/conferences\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && match) {
      if (!conferences.has(match[1])) return send(404, { error: 'not_found', message: 'conference not found' });
      return send(200, {
        sessionId: match[1],
        owner: 'alice',
        created: new Date().toISOString(),
        ended: null,
        state: 'requested',
        urlStorage: null,
        hash: null,
        hashType: null,
        DLTId: null,
        DLTType: null,
      });
    }
    send(404, { error: 'not_found', message: 'no route' });
  };
  // The handler answers every request itself; a throw there is a bug of the stub, reported as an unhandled rejection.
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stub: StubServer = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log: [],
    count: (route) => stub.log.filter((line) => line === route).length,
    expiresIn: 300,
    refreshDelay: 0,
    alwaysUnauthorized: false,
    expireAccessTokens: () => access.clear(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return stub;
}
