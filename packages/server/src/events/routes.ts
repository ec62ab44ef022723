// GET /api/conferences/:sessionId/events: the conference's events as Server-Sent Events, resumable with Last-Event-ID.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../auth/authenticate.js';
import type { Clock } from '../lib/clock.js';
import { AppError, ErrorBody } from '../errors.js';
import { SessionIdParam } from '../conferences/schemas.js';
import type { ConferenceEventsService } from './service.js';
import { publicEvent } from './public-event.js';
import type { AccessAudit } from '../audit/access-audit.js';

const HEARTBEAT_MS = 15_000;
// A client that reads nothing while events pile up is cut off rather than buffered without bound.
const MAX_BUFFERED_BYTES = 1024 * 1024;

export const eventRoutes: FastifyPluginAsync<{ events: ConferenceEventsService; authenticate: Authenticate; clock: Clock; audit: AccessAudit }> = async (
  fastify,
  { events, authenticate, clock, audit },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const open = new Set<() => void>();
  // Streams never finish by themselves: close them before the server waits for its connections to drain.
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get('/:sessionId/events', {
    onRequest: authenticate,
    schema: {
      tags: ['conferences'],
      security: [{ bearer: [] }],
      summary: "The conference's events as a text/event-stream (owner, participants); resume with Last-Event-ID or ?after=",
      params: SessionIdParam,
      querystring: Type.Object({ after: Type.Optional(Type.String({ pattern: '^\\d{1,15}$' })) }, { additionalProperties: false }),
      response: {
        200: Type.String({ description: 'text/event-stream: `id: <seq>`, `event: <type>`, `data: <JSON event>`' }),
        400: ErrorBody,
        401: ErrorBody,
        403: ErrorBody,
        404: ErrorBody,
      },
    },
    handler: async (request, reply) => {
      const header = request.headers['last-event-id'];
      const resumeAt = typeof header === 'string' && header.trim() !== '' ? header.trim() : request.query.after;
      if (resumeAt !== undefined && !/^\d{1,15}$/.test(resumeAt)) throw new AppError('bad_request', 'Last-Event-ID must be an event sequence number');
      const user = request.user!;
      const sessionId = request.params.sessionId;
      const afterSeq = await events.open(user, sessionId, resumeAt === undefined ? undefined : Number(resumeAt));
      await audit.record({ actor: `user:${user.id}`, action: 'event_stream', sessionId, ip: request.ip });

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no', // nginx: pass each event on at once
      });
      // The client waits this long before reconnecting after a drop (it backs off further on repeated failures).
      res.write('retry: 2000\n\n');
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        open.delete(close);
        unsubscribe();
        clearInterval(heartbeat);
        clearTimeout(expiry);
        res.end();
      };
      open.add(close);
      const unsubscribe = events.subscribe(sessionId, afterSeq, (rows) => {
        if (closed) return;
        let text = '';
        for (const row of rows) text += `id: ${row.seq}\nevent: ${row.type}\ndata: ${JSON.stringify(publicEvent(row))}\n\n`;
        res.write(text);
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          close();
          res.destroy();
        }
      });
      // Comments keep proxies and idle timeouts from cutting a quiet stream.
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      // The stream lives as long as the access token that opened it: the client reconnects with a renewed one (and
      // a revoked session or disabled user stops following at the next expiry).
      const expiry = setTimeout(close, Math.min(2 ** 31 - 1, Math.max(0, user.expiresAt - clock.now())));
      res.on('close', close);
    },
  });
};
