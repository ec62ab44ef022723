// POST /api/conferences/:sessionId/join-links (the owner, or an API key of the owner's organisation) and GET /join,
// where such a link leads: to the call inside its slot, else a clear refusal. See docs/api.md, Appointment links.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import * as W from '@v4h/protocol';
import type { Authenticate } from '../auth/authenticate.js';
import { AppError, ErrorBody } from '../errors.js';
import { keyPrincipal } from '../conferences/access-policy.js';
import { SessionIdParam } from '../conferences/schemas.js';
import type { JoinLinkService } from './join-links.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody };
const OpenQuery = Type.Object({ token: Type.String({ minLength: 1, maxLength: 4096 }) });

export const joinLinkRoutes: FastifyPluginAsync<{ links: JoinLinkService; authenticate: Authenticate }> = async (fastify, { links, authenticate }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/api/conferences/:sessionId/join-links', {
    onRequest: authenticate,
    config: { apiKeys: true },
    schema: {
      tags: ['conferences'],
      security: [{ bearer: [] }],
      summary: 'A join link bound to an appointment slot, for someone without an account (owner, or an API key of its organisation)',
      params: SessionIdParam,
      body: W.JoinLinkBody,
      response: { 201: W.JoinLink, ...errors },
    },
    handler: async (request, reply) => {
      const who = request.apiKey ? keyPrincipal(request.apiKey) : { kind: 'user' as const, id: request.user!.id };
      return reply.status(201).send(await links.create(who, request.params.sessionId, request.body));
    },
  });

  // What a person opens: redirected into the call inside the slot. `Accept: application/json` answers the address
  // instead (an integrator's own page); refusals are `{ error, message }` either way.
  app.get('/join', {
    schema: {
      tags: ['conferences'],
      summary: 'Open a join link: into the call inside its slot; 425 too_early before it (with when it opens), 410 expired after',
      querystring: OpenQuery,
      response: { 200: W.JoinLinkOpened, 302: Type.Null(), 403: ErrorBody, 401: ErrorBody, 409: ErrorBody, 410: ErrorBody, 425: ErrorBody },
    },
    handler: async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const accept = request.headers.accept ?? '';
      let opened;
      try {
        opened = await links.open(request.query.token);
      } catch (error) {
        // A person's browser: the guest page says why in their language (and, before the slot, opens the call by itself
        // once it starts), asking this route again with Accept: application/json. The token stays in the fragment.
        if (error instanceof AppError && !accept.includes('application/json') && accept.includes('text/html')) {
          return reply.redirect(`./visit/#join:${encodeURIComponent(request.query.token)}`, 302);
        }
        throw error;
      }
      if (accept.includes('application/json')) return opened;
      return reply.redirect(opened.url, 302);
    },
  });
};
