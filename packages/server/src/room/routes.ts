// Built-in room routes: /external_api.js, the meeting page /<roomName>, its assets under /room/, and the signaling WebSocket.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { Type } from '@fastify/type-provider-typebox';
import { fileURLToPath } from 'node:url';
import { meetingPageCsp, meetingPageHtml } from './meeting-page.js';
import { acceptLanguageTags, pickLanguage } from './browser/lang/index.js';
import type { RoomService } from './service.js';
import { ErrorBody } from '../errors.js';
import { StaticFiles, sendStaticFile } from '../lib/static-files.js';

export interface RoomRoutesOptions {
  room: RoomService;
  publicUrl: string;
  /** Defaults to the build output (dist/room-assets). */
  assets?: StaticFiles;
}

/** Where build-room.js writes the room's browser assets; the same from src/room (tests) and dist/room (built). */
const ROOM_ASSETS_DIR = fileURLToPath(new URL('../../dist/room-assets/', import.meta.url));

/** Room names as the conferences domain makes them (lib/ids.ts newRoomName). */
export const ROOM_NAME_PATTERN = '^v4h-[a-z0-9-]{1,100}$';
const HEARTBEAT_MS = 10_000;
const MAX_MESSAGE_BYTES = 128 * 1024;

/** Fastify plugin of the built-in room; registered by app.ts only when `config.jitsi.mode === 'builtin'`. */
export async function roomRoutes(app: FastifyInstance, opts: RoomRoutesOptions) {
  const assets = opts.assets ?? new StaticFiles(ROOM_ASSETS_DIR);
  const publicOrigin = new URL(opts.publicUrl).origin;
  await app.register(websocket, {
    options: { maxPayload: MAX_MESSAGE_BYTES },
    // On shutdown every page hears "restarting" (close code 1012) and resumes on the next process; the plugin's
    // default would close the sockets with no reason first.
    preClose(this: FastifyInstance, done: () => void) {
      opts.room.close();
      for (const client of this.websocketServer.clients) client.close(1012, 'server restarting');
      this.websocketServer.close();
      done();
    },
  });

  const sendAsset = (name: string, cacheControl: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const asset = await assets.get(name);
    if (!asset) return reply.status(503).send({ error: 'service_unavailable', message: 'room assets are not built (npm run build)' });
    return sendStaticFile(request, reply, asset, { 'cache-control': cacheControl });
  };
  const assetSchema = { hide: true, response: { 200: Type.String(), 304: Type.Null(), 503: ErrorBody } };

  // Integrators' pages load this like Jitsi's; short cache so that upgrades reach them.
  app.get('/external_api.js', { schema: assetSchema }, sendAsset('external_api.js', 'public, max-age=300'));
  // Versioned by the page's ?v=<hash>: cache for good.
  app.get(
    '/room/meeting.js',
    { schema: { ...assetSchema, querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }) } },
    sendAsset('meeting.js', 'public, max-age=31536000, immutable'),
  );
  app.get(
    '/room/meeting.css',
    { schema: { ...assetSchema, querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }) } },
    sendAsset('meeting.css', 'public, max-age=31536000, immutable'),
  );

  // The meeting page, at the same path as on Jitsi: /<roomName>?jwt=… (the token may also come in the URL fragment).
  app.get(
    `/:roomName(${ROOM_NAME_PATTERN})`,
    {
      schema: {
        hide: true,
        params: Type.Object({ roomName: Type.String({ pattern: ROOM_NAME_PATTERN }) }),
        querystring: Type.Object(
          { jwt: Type.Optional(Type.String({ maxLength: 8192 })), lang: Type.Optional(Type.String({ maxLength: 35 })) },
          { additionalProperties: true },
        ),
        response: { 200: Type.String(), 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const [script, style] = await Promise.all([assets.get('meeting.js'), assets.get('meeting.css')]);
      if (!script || !style) return reply.status(503).send({ error: 'service_unavailable', message: 'room assets are not built (npm run build)' });
      const { roomName } = request.params as { roomName: string };
      // ?lang= (an explicit link, or the IFrame API's `lang` option), else the browser's languages.
      const language = pickLanguage((request.query as { lang?: string }).lang, acceptLanguageTags(request.headers['accept-language']));
      // Embeddable by other origins: this page's CSP (frame-ancestors) replaces helmet's X-Frame-Options.
      reply.removeHeader('x-frame-options');
      return reply
        .header('content-security-policy', meetingPageCsp(opts.publicUrl))
        .header('cache-control', 'no-store')
        .header('vary', 'accept-language')
        .header('permissions-policy', 'camera=(self), microphone=(self), display-capture=(self)')
        .type('text/html; charset=utf-8')
        .send(meetingPageHtml({ roomName, scriptVersion: script.version, styleVersion: style.version, language }));
    },
  );

  // Signaling. Browsers send an Origin: only the meeting page (this server's origin) may connect.
  app.get('/room/ws', { websocket: true, schema: { hide: true } }, (socket, request) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== publicOrigin && origin !== `${request.protocol}://${request.headers.host}`) {
      socket.close(4403, 'origin not allowed');
      return;
    }
    const connection = opts.room.connect({
      send: (data) => {
        if (socket.readyState === socket.OPEN) socket.send(data);
      },
      close: (code, reason) => socket.close(code, reason),
    });
    app.metrics.signalingSocket(1);
    let alive = true;
    const heartbeat = setInterval(() => {
      // A peer that stopped answering pings (killed browser, lost network) is disconnected; the grace period starts.
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, HEARTBEAT_MS);
    socket.on('pong', () => (alive = true));
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return socket.close(1003, 'text frames only');
      // A fault while handling one socket's message closes that socket, never the process.
      try {
        connection.message(data.toString());
      } catch (error) {
        request.log.error({ err: error }, 'room message handling failed');
        socket.close(1011, 'internal error');
      }
    });
    socket.on('close', () => {
      clearInterval(heartbeat);
      app.metrics.signalingSocket(-1);
      connection.closed();
    });
  });
}
