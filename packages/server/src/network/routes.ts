// GET /api/ice-servers: the STUN/TURN servers for the pre-call check, to a signed-in user or a guest of a link.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IceServersReply } from '@v4h/protocol';
import type { Authenticate } from '../auth/authenticate.js';
import { ErrorBody } from '../errors.js';
import { userPrincipal, type Principal } from '../conferences/access-policy.js';
import type { IceServerService } from './service.js';

/** Turns a guest token into its guest, or undefined when the token is not one (the waiting room's verifier). */
export type GuestTokenCheck = (request: FastifyRequest) => Promise<Principal | undefined>;

export const networkRoutes: FastifyPluginAsync<{ iceServers: IceServerService; authenticate: Authenticate; guest?: GuestTokenCheck }> = async (
  fastify,
  { iceServers, authenticate, guest },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/api/ice-servers', {
    schema: {
      tags: ['conferences'],
      security: [{ bearer: [] }],
      summary: 'STUN/TURN servers for the pre-call check (a user access token or a guest token); TURN credentials valid 5 minutes',
      response: { 200: IceServersReply, 401: ErrorBody, 403: ErrorBody },
    },
    handler: async (request) => {
      // A guest token is tried first only when it is one; anything else must be a user's access token (401 otherwise).
      const asGuest = guest ? await guest(request) : undefined;
      if (asGuest) return iceServers.forPrincipal(asGuest);
      await authenticate(request);
      return iceServers.forPrincipal(userPrincipal(request.user!));
    },
  });
};
