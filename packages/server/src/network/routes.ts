// GET /api/ice-servers: the STUN/TURN servers for the pre-call check, to a signed-in user or a guest of a link.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IceServersReply } from '@v4h/protocol';
import type { Authenticate } from '../auth/authenticate.js';
import { ErrorBody } from '../errors.js';
import { userPrincipal, type Principal } from '../conferences/access-policy.js';
import type { IceServerService } from './service.js';
import type { GuestTokens } from '../conferences/guest-tokens.js';
import type { WaitingRoomService } from '../waiting/service.js';
import type { Clock } from '../lib/clock.js';
import { parseBearer } from '../lib/bearer.js';

/** Turns a guest token into its guest, or undefined when the token is not one (the waiting room's verifier). */
export type GuestTokenCheck = (request: FastifyRequest) => Promise<Principal | undefined>;

/**
 * The guest of a waiting-room link's token, once its visit is still open to it (a revoked link is refused as at
 * /api/visit); undefined when the bearer token is not a guest token at all.
 */
export function guestOfToken(tokens: GuestTokens, waiting: Pick<WaitingRoomService, 'state'>, clock: Clock): GuestTokenCheck {
  return async (request) => {
    const token = parseBearer(request.headers.authorization);
    if (!token) return undefined;
    const claims = await tokens.verify(token, clock.now()).catch(() => undefined);
    if (!claims) return undefined;
    await waiting.state(claims);
    return { kind: 'guest', id: claims.guestId };
  };
}

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
