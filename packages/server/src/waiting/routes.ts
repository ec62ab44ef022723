// HTTP routes of the waiting room: the guest's visit (/api/visit, `Authorization: Bearer <guest token>`) and the owner's
// queue (/api/conferences/:sessionId/waiting…). See docs/api.md, "Waiting room".
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import * as W from '@v4h/protocol';
import type { Authenticate } from '../auth/authenticate.js';
import { ErrorBody, unauthorized } from '../errors.js';
import { parseBearer } from '../lib/bearer.js';
import type { Clock } from '../lib/clock.js';
import type { GuestClaims, GuestTokens } from '../conferences/guest-tokens.js';
import { SessionIdParam } from '../conferences/schemas.js';
import type { WaitingRoomService, Waiter } from './service.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody };
const HEARTBEAT_MS = 15_000;

const ParticipantParams = Type.Object({
  sessionId: SessionIdParam.properties.sessionId,
  participantId: Type.String({ pattern: '^w-[A-Za-z0-9_-]{1,64}$' }),
});

/** /api/visit: the guest of a link with a waiting room. */
export const visitRoutes: FastifyPluginAsync<{ waiting: WaitingRoomService; guestTokens: GuestTokens; clock: Clock }> = async (
  fastify,
  { waiting, guestTokens, clock },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const guests = new WeakMap<FastifyRequest, GuestClaims>();
  // Before the body is read: a caller without a valid guest token learns nothing about what a route accepts.
  app.addHook('onRequest', async (request) => {
    const token = parseBearer(request.headers.authorization);
    if (!token) throw unauthorized('missing guest token (Authorization: Bearer <the token of the guest link>)');
    guests.set(request, await guestTokens.verify(token, clock.now()));
  });
  const guestOf = (request: FastifyRequest) => guests.get(request)!;
  const secured = { tags: ['visit'], security: [{ bearer: [] }] };
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get('/', {
    schema: { ...secured, summary: 'The guest’s visit: whom they wait for and where they stand', response: { 200: W.VisitInfo, ...errors } },
    handler: async (request) => waiting.visit(guestOf(request)),
  });

  app.post('/knock', {
    schema: { ...secured, summary: 'Knock: join the waiting room (idempotent)', body: W.KnockBody, response: { 200: W.KnockReply, ...errors } },
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) request.body = {};
    },
    handler: async (request) => waiting.knock(guestOf(request), request.body?.name),
  });

  app.post('/enter', {
    schema: { ...secured, summary: 'Once admitted: the call embed with a video token (once per admission)', response: { 200: W.Embed, ...errors } },
    handler: async (request) => waiting.enter(guestOf(request)),
  });

  app.post('/leave', {
    schema: { ...secured, summary: 'Leave the waiting room (or an admission not used yet)', response: { 200: W.VisitStateBody, ...errors } },
    handler: async (request) => waiting.leave(guestOf(request)),
  });

  app.get('/events', {
    schema: {
      ...secured,
      summary: 'The guest’s state as a text/event-stream (`event: state`); keeping it open keeps the guest’s place in the queue',
      response: { 200: Type.String({ description: 'text/event-stream: `event: state`, `data: { state, reason? }`' }), ...errors },
    },
    handler: async (request, reply) => streamState(waiting, guestOf(request), guestOf(request).expiresAt, clock, reply, open),
  });
};

/**
 * Serves `waiter`'s state as a text/event-stream (`event: state`) until `expiresAt` (the token that opened it) or the
 * end of the conference; keeping it open keeps their place in the queue (waiting/service.ts).
 */
async function streamState(waiting: WaitingRoomService, waiter: Waiter, expiresAt: number, clock: Clock, reply: FastifyReply, open: Set<() => void>) {
  const first = await waiting.state(waiter); // 403/404 are answered before the stream starts
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let closed = false;
  let unsubscribe = () => {};
  const send = (state: { state: W.VisitState; reason?: string }) => {
    if (closed) return;
    res.write(`event: state\ndata: ${JSON.stringify(state)}\n\n`);
    // An ended conference turns everyone away: nothing more will come.
    if (state.state === 'ended') close();
  };
  const close = () => {
    if (closed) return;
    closed = true;
    open.delete(close);
    unsubscribe();
    clearInterval(heartbeat);
    clearInterval(alive);
    clearTimeout(expiry);
    res.end();
    void waiting.streamClosed(waiter).catch(() => {});
  };
  open.add(close);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  // Other processes decide whether the guest is still here from this (waiting/service.ts).
  const alive = setInterval(() => void waiting.seen(waiter).catch(() => {}), waiting.heartbeatMs);
  // The stream lives as long as the token that opened it.
  const expiry = setTimeout(close, Math.min(2 ** 31 - 1, Math.max(0, expiresAt - clock.now())));
  res.on('close', close);
  await waiting.streamOpened(waiter).catch(() => {});
  send(first);
  if (closed) return;
  const stop = await waiting.follow(waiter, first.state, send, close);
  if (closed) stop();
  else unsubscribe = stop;
}

/** The owner's routes under /api/conferences, and a waiting user's own (…/waiting/me). */
export const waitingRoutes: FastifyPluginAsync<{ waiting: WaitingRoomService; authenticate: Authenticate; clock: Clock }> = async (
  fastify,
  { waiting, authenticate, clock },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', authenticate);
  const secured = { tags: ['conferences'], security: [{ bearer: [] }] };
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  app.get('/:sessionId/waiting/me/events', {
    schema: {
      ...secured,
      summary: 'A user waiting to join (waitingRoomForUsers): their state as a text/event-stream (`event: state`); keeping it open keeps their place',
      params: SessionIdParam,
      response: { 200: Type.String({ description: 'text/event-stream: `event: state`, `data: { state, reason? }`' }), ...errors },
    },
    handler: async (request, reply) => {
      const user = request.user!;
      await streamState(waiting, { sessionId: request.params.sessionId, userId: user.id }, user.expiresAt, clock, reply, open);
    },
  });

  app.post('/:sessionId/waiting/me/leave', {
    schema: { ...secured, summary: 'A waiting user leaves the waiting room', params: SessionIdParam, response: { 200: W.VisitStateBody, ...errors } },
    handler: async (request) => waiting.leaveAsUser({ sessionId: request.params.sessionId, userId: request.user!.id }),
  });

  app.get('/:sessionId/waiting', {
    schema: {
      ...secured,
      summary: 'The waiting room: guests waiting, admitted or denied (owner)',
      params: SessionIdParam,
      response: { 200: W.WaitingList, ...errors },
    },
    handler: async (request) => ({ items: await waiting.list(request.user!, request.params.sessionId) }),
  });

  app.post('/:sessionId/waiting/:participantId/admit', {
    schema: { ...secured, summary: 'Admit a waiting guest (owner)', params: ParticipantParams, response: { 200: W.WaitingEntry, ...errors } },
    handler: async (request) => waiting.admit(request.user!, request.params.sessionId, request.params.participantId),
  });

  app.post('/:sessionId/waiting/:participantId/deny', {
    schema: {
      ...secured,
      summary: 'Turn a waiting guest away (owner)',
      params: ParticipantParams,
      body: W.DenyBody,
      response: { 200: W.WaitingEntry, ...errors },
    },
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) request.body = {};
    },
    handler: async (request) => waiting.deny(request.user!, request.params.sessionId, request.params.participantId, request.body?.reason),
  });

  app.post('/:sessionId/waiting/:participantId/allow-again', {
    schema: { ...secured, summary: 'Let a denied guest link knock again (owner)', params: ParticipantParams, response: { 200: W.WaitingEntry, ...errors } },
    handler: async (request) => waiting.allowAgain(request.user!, request.params.sessionId, request.params.participantId),
  });
};
