// GET /api/conferences/:sessionId/quality: the built-in room's call quality summaries (owner, admin).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../auth/authenticate.js';
import { ErrorBody } from '../errors.js';
import { SessionIdParam } from '../conferences/schemas.js';
import { QualityReply } from '@v4h/protocol';
import type { QualityService } from './service.js';

export const qualityRoutes: FastifyPluginAsync<{
  quality: QualityService;
  authenticate: Authenticate;
  isAdmin: (user: { username: string }) => boolean;
}> = async (fastify, { quality, authenticate, isAdmin }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', authenticate);
  app.get('/api/conferences/:sessionId/quality', {
    schema: {
      tags: ['conferences'],
      security: [{ bearer: [] }],
      summary: "Each participant's call quality summary, built-in room (owner, admin); numbers and participant ids only",
      params: SessionIdParam,
      response: { 200: QualityReply, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody },
    },
    handler: async (request) => quality.forConference(request.user!, request.params.sessionId, isAdmin(request.user!)),
  });
};
