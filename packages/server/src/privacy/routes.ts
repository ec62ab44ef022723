// Admin routes for data-subject rights: erasure, by the instance admin (V4H_ADMIN_USERNAME) or an organisation's admin.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../auth/authenticate.js';
import { AppError, ErrorBody } from '../errors.js';
import { userPrincipal, type AccessPolicy } from '../conferences/access-policy.js';
import { Reason } from '../storage/schemas.js';
import type { ErasureService, ErasureTarget } from './erasure.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const ErasureBody = Type.Object(
  {
    guestId: Type.Optional(Id),
    username: Type.Optional(Id),
    sessionId: Type.Optional(Id),
    files: Type.Optional(Type.Boolean({ description: "also delete the files' bytes" })),
    reason: Type.Optional(Reason),
  },
  { additionalProperties: false },
);
const ErasureReport = Type.Object({
  subjects: Type.Array(Type.String()),
  conferences: Type.Array(Type.String()),
  keysDestroyed: Type.Integer(),
  filesDeleted: Type.Array(Type.String()),
  prePseudonymous: Type.Array(Type.String()),
});

export const privacyRoutes: FastifyPluginAsync<{
  erasure: ErasureService;
  authenticate: Authenticate;
  isAdmin: (user: { username: string }) => boolean;
  access: AccessPolicy;
}> = async (fastify, { erasure, authenticate, isAdmin, access }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/api/admin/erasures', {
    onRequest: authenticate,
    schema: {
      tags: ['admin'],
      security: [{ bearer: [] }],
      summary: "Erase a guest's, a user's or a conference's personal data (the instance admin, or the admin of its organisation); the record keeps verifying",
      body: ErasureBody,
      response: { 200: ErasureReport, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
    handler: async (request) => {
      const user = request.user!;
      const { guestId, username, sessionId, files, reason } = request.body;
      const given = [guestId, username, sessionId].filter((v) => v !== undefined).length;
      if (given !== 1) throw new AppError('bad_request', 'name exactly one of guestId, username, sessionId');
      const target: ErasureTarget = guestId !== undefined ? { guestId } : username !== undefined ? { username } : { sessionId: sessionId! };
      // The instance admin, or an admin of the organisation the target belongs to.
      await access.requireErasure(userPrincipal(user, isAdmin(user)), target);
      return erasure.erase(target, { files: files ?? false, reason: reason ?? 'data_subject_request', actor: `user:${user.id}` });
    },
  });
};
