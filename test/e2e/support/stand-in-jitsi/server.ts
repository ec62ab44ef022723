// Stand-in Jitsi origin for the browser tests: serves external_api.js and meeting pages over https on its own port (a
// cross-origin iframe, as in production), checks tokens the way Prosody's token auth does, and relays room presence.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

export interface StandInJitsi {
  /** https://127.0.0.1:<port> (self-signed: Chromium runs with --ignore-certificate-errors) — what V4H_JITSI_URL points to. */
  url: string;
  /** While true, /external_api.js is never answered (to exercise the SDK's load timeout). */
  stallScript: boolean;
  /** Whether a recorder (Jibri) is deployed: without one, startRecording is answered with `service-unavailable` (pages opened from now on). */
  recorder: boolean;
  /** How many times external_api.js was requested. */
  scriptRequests: number;
  /** Room names whose meeting page was requested, with the token verdict. */
  pages: Array<{ room: string; token: string }>;
  close(): Promise<void>;
}

interface Member {
  id: string;
  displayName: string;
  res: http.ServerResponse;
}

const here = new URL('.', import.meta.url);
const read = (file: string) => fs.readFileSync(new URL(file, here), 'utf8');

// Real Jitsi is https only (its IFrame API always opens https://…), so the stand-in is too: a throwaway certificate.
let certificate: { key: string; cert: string } | undefined;
/** A throwaway certificate for 127.0.0.1 (made once per test process with Debian's openssl). */
export function selfSignedCertificate(): { key: string; cert: string } {
  if (certificate) return certificate;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-stand-in-tls-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  certificate = { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
  fs.rmSync(dir, { recursive: true, force: true });
  return certificate;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Starts the stand-in; with `appId`/`appSecret` every meeting page requires a valid HS256 token for its room. It has a
 * recorder unless `options.recorder` is false.
 */
export async function startStandInJitsi(auth?: { appId: string; appSecret: string }, options: { recorder?: boolean } = {}): Promise<StandInJitsi> {
  const script = read('external_api.js');
  const pageScript = read('room.js');
  const rooms = new Map<string, Map<string, Member>>();
  const stalled: http.ServerResponse[] = [];

  const broadcast = (room: string, event: string, data: unknown, except?: string) => {
    for (const member of rooms.get(room)?.values() ?? []) {
      if (member.id !== except) member.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    }
  };

  type Check = { verdict: 'none' | 'missing' | 'valid' | 'invalid'; error?: string; claims: Record<string, any> };
  async function checkToken(room: string, token: string | null, hostname: string): Promise<Check> {
    if (!auth) return { verdict: 'none', claims: {} };
    if (!token) return { verdict: 'missing', error: 'no token', claims: {} };
    try {
      const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(auth.appSecret), { algorithms: ['HS256'], issuer: auth.appId });
      if (protectedHeader.typ !== 'JWT') throw new Error('typ must be JWT');
      const claimRoom = typeof payload.room === 'string' || typeof payload.room === 'number' ? String(payload.room) : '';
      // Prosody (no domain verification) compares with the MUC room's node: a tenant's room is [tenant]room.
      const [tenant, name] = room.includes('/') ? room.split('/') : [undefined, room];
      const node = (tenant ? `[${tenant}]${name}` : name).toLowerCase();
      if (claimRoom !== '*' && claimRoom.toLowerCase() !== node) throw new Error(`token is for room ${claimRoom}`);
      if (payload.sub !== '*' && payload.sub !== hostname) throw new Error(`token sub ${payload.sub} is not ${hostname}`);
      return { verdict: 'valid', claims: payload };
    } catch (error) {
      return { verdict: 'invalid', error: (error as Error).message, claims: {} };
    }
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname === '/external_api.js') {
      standIn.scriptRequests++;
      if (standIn.stallScript) return void stalled.push(res);
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(script);
    }
    if (url.pathname === '/_stand-in/room.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return void res.end(pageScript);
    }
    const events = /^\/_stand-in\/rooms\/([^/]+)\/(events|end|breakout|recording)$/.exec(url.pathname);
    if (events) {
      const room = decodeURIComponent(events[1]).toLowerCase();
      // recording: the recorder joined (on) or left (off); everyone in the room is told.
      if (events[2] === 'recording') {
        broadcast(room, 'recording', { on: url.searchParams.get('on') === 'true', mode: url.searchParams.get('mode') });
        res.writeHead(204);
        return void res.end();
      }
      // end: a moderator's endConference; breakout: every member is moved to a breakout room and back in (a re-join).
      if (events[2] !== 'events') {
        broadcast(room, events[2] === 'end' ? 'ended' : 'breakout', {});
        res.writeHead(204);
        return void res.end();
      }
      const member: Member = { id: url.searchParams.get('id') ?? 'anon', displayName: url.searchParams.get('name') ?? '', res };
      let members = rooms.get(room);
      if (!members) rooms.set(room, (members = new Map()));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      members.set(member.id, member);
      const list = [...members.values()].map(({ id, displayName }) => ({ id, displayName }));
      res.write(`event: welcome\ndata: ${JSON.stringify(list)}\n\n`);
      broadcast(room, 'joined', { id: member.id, displayName: member.displayName }, member.id);
      req.on('close', () => {
        members.delete(member.id);
        broadcast(room, 'left', { id: member.id });
      });
      return;
    }
    const roomMatch = /^\/([A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)?)$/.exec(url.pathname);
    if (req.method === 'GET' && roomMatch) {
      const room = roomMatch[1].toLowerCase();
      const host = (req.headers.host ?? '').split(':')[0];
      const check = await checkToken(room, url.searchParams.get('jwt'), host);
      standIn.pages.push({ room, token: check.verdict });
      const user = (check.claims.context?.user ?? {}) as { name?: string; avatar?: string; moderator?: unknown };
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stand-in Jitsi — ${escape(room)}</title>
<style>body{margin:0;font:16px system-ui;background:#1e1e1e;color:#eee}main{padding:12px}button{font-size:16px}</style></head>
<body><main data-room="${escape(room)}" data-state="connecting" data-recorder="${standIn.recorder}" data-token="${check.verdict}" data-token-error="${escape(check.error ?? '')}"
 data-token-name="${escape(user.name ?? '')}" data-token-avatar="${escape(user.avatar ?? '')}" data-token-moderator="${escape(typeof user.moderator === 'boolean' || typeof user.moderator === 'string' ? String(user.moderator) : '')}">
<h1>Stand-in Jitsi: ${escape(room)}</h1><p id="status">Connecting…</p><ul id="participants"></ul>
<button id="hangup" type="button">Hang up</button></main><script src="/_stand-in/room.js"></script></body></html>`);
    }
    res.writeHead(404).end();
  };
  // The handler answers every request itself; a throw there is a bug of the stand-in, reported as an unhandled rejection.
  const server = https.createServer(selfSignedCertificate(), (req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const standIn: StandInJitsi = {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stallScript: false,
    recorder: options.recorder ?? true,
    scriptRequests: 0,
    pages: [],
    async close() {
      for (const res of stalled) res.destroy();
      for (const members of rooms.values()) for (const m of members.values()) m.res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standIn;
}
