// HTTP routes for conferences: validate, call the service, reply. See docs/api.md.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../auth/authenticate.js';
import { AppError, ErrorBody } from '../errors.js';
import type { ConferenceService } from './service.js';
import * as S from './schemas.js';
import * as W from '@v4h/protocol';
import type { AccessAudit } from '../audit/access-audit.js';
import { actorOf, keyPrincipal } from './access-policy.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody };
const secured = { tags: ['conferences'], security: [{ bearer: [] }] };

export const conferenceRoutes: FastifyPluginAsync<{
  conferences: ConferenceService;
  authenticate: Authenticate;
  audit: AccessAudit;
  /** The waiting room (waiting/service.ts): a conference whose users wait answers their join with their place until admitted. */
  waiting?: { knockToJoin(caller: { id: string; username: string }, sessionId: string, password?: string): Promise<W.JoinWaiting | null> };
}> = async (fastify, { conferences, authenticate, audit, waiting }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  // sendBeacon posts text/plain (no CORS preflight); the presence route reads it as JSON.
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: 8192 }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new AppError('bad_request', 'body is not valid JSON'), undefined);
    }
  });

  app.post('/:sessionId/presence', {
    schema: {
      tags: ['conferences'],
      summary: 'Report that you joined or left the call (Jitsi calls; the SDK sends it with its presence token)',
      params: S.SessionIdParam,
      body: W.PresenceBody,
      response: { 200: W.PresenceReply, ...errors },
    },
    handler: async (request) => {
      const result = await conferences.reportPresence(request.body.presenceToken, request.body.event, request.params.sessionId);
      return result;
    },
  });

  app.register(async (authed) => {
    const r = authed.withTypeProvider<TypeBoxTypeProvider>();
    r.addHook('onRequest', authenticate);

    r.post('/', {
      schema: {
        ...secured,
        summary: 'Request a conference (an API key: on behalf of `owner`, a user of its organisation)',
        body: W.ConferenceRequest,
        response: { 200: W.SessionIdBody, 201: W.SessionIdBody, ...errors },
      },
      config: { apiKeys: true },
      // A POST with no body at all (curl -X POST, fetch without body) means "no options", as `{}` does.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      handler: async (request, reply) => {
        const { sessionId: wanted, owner, ...options } = request.body ?? {};
        if (!request.apiKey && owner !== undefined)
          throw new AppError('validation_failed', 'owner is taken only from an API key: a user requests conferences they own');
        const { sessionId, created } = request.apiKey
          ? await conferences.requestFor(keyPrincipal(request.apiKey), owner, wanted, options)
          : await conferences.request(request.user!, wanted, options);
        return reply.status(created ? 201 : 200).send({ sessionId });
      },
    });

    r.get('/', {
      config: { apiKeys: true },
      schema: {
        ...secured,
        summary: "The conferences the caller may see, newest first (a user: under the list policies; an API key with conferences:read: its organisation's)",
        querystring: S.ListQuery,
        response: { 200: W.ConferenceList, ...errors },
      },
      handler: async (request) => {
        const { limit = 20, cursor } = request.query;
        const key = request.apiKey ? keyPrincipal(request.apiKey) : undefined;
        const page = await conferences.list(key ?? request.user!, { limit, cursor });
        const actor = key ? actorOf(key) : `user:${request.user!.id}`;
        await audit.record({ actor, action: 'conference_list', listed: page.items.map((c) => c.sessionId), ip: request.ip });
        return page;
      },
    });

    r.get('/:sessionId', {
      schema: {
        ...secured,
        summary: "A conference's details (owner, or an API key of the owner's organisation)",
        params: S.SessionIdParam,
        response: { 200: W.ConferenceDetails, ...errors },
      },
      config: { apiKeys: true },
      // Answered once the read is in the access audit (fail-closed: audit/access-audit.ts). Not an async function:
      // clients poll this, and a user's details usually come at once (conferences.detailsSoon).
      handler: (request) => {
        const key = request.apiKey;
        const actor = key ? `apikey:${key.id}` : `user:${request.user!.id}`;
        const audited = (details: W.ConferenceDetails) =>
          audit.record({ actor, action: 'conference_details', sessionId: details.sessionId, ip: request.ip }).then(() => details);
        const details = key
          ? conferences.detailsFor(keyPrincipal(key), request.params.sessionId)
          : conferences.detailsSoon(request.user!, request.params.sessionId);
        return details instanceof Promise ? details.then(audited) : audited(details);
      },
    });

    r.post('/:sessionId/start', {
      schema: { ...secured, summary: 'Start the call (owner)', params: S.SessionIdParam, body: W.ProfileBody, response: { 200: W.Embed, ...errors } },
      handler: async (request) => conferences.start(request.user!, request.params.sessionId, request.body ?? {}),
    });

    r.post('/:sessionId/join', {
      schema: {
        ...secured,
        summary: 'Join the call (202: the conference makes its users wait and the owner has not admitted you yet)',
        params: S.SessionIdParam,
        body: W.ProfileBody,
        response: { 200: W.Embed, 202: W.JoinWaiting, ...errors },
      },
      handler: async (request, reply) => {
        const body = request.body ?? {};
        const place = await waiting?.knockToJoin(request.user!, request.params.sessionId, body.password);
        if (place) return reply.status(202).send(place);
        return conferences.join(request.user!, request.params.sessionId, body);
      },
    });

    r.post('/:sessionId/guest-url', {
      schema: {
        ...secured,
        summary: 'A link for a guest without an account (owner)',
        params: S.SessionIdParam,
        body: W.GuestBody,
        response: { 200: W.GuestUrl, ...errors },
      },
      handler: async (request) => conferences.guestUrl(request.user!, request.params.sessionId, request.body),
    });

    r.post('/:sessionId/guests/:guestId/revoke', {
      schema: {
        ...secured,
        summary: 'Revoke a guest link; its guest leaves the built-in room (owner)',
        params: S.GuestParams,
        response: { 200: W.GuestRevoked, ...errors },
      },
      handler: async (request) => conferences.removals.revokeGuest(request.user!, request.params.sessionId, request.params.guestId),
    });

    r.post('/:sessionId/end', {
      schema: { ...secured, summary: 'End the conference for everyone (owner)', params: S.SessionIdParam, response: { 200: W.ConferenceDetails, ...errors } },
      handler: async (request) => conferences.end(request.user!, request.params.sessionId),
    });
  });
};
