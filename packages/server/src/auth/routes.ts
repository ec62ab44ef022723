// /api/auth: login, refresh, logout and the session check. Thin: validation by schema, work in AuthService.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { iso } from '../lib/clock.js';
import type { Authenticate } from './authenticate.js';
import type { AuthService } from './service.js';
import { trackLogin } from '../metrics/track.js';
import { loginSchema, logoutSchema, refreshSchema, sessionSchema } from './schemas.js';

/**
 * Bodies of the routes anyone may call without a token: a login is a few hundred bytes, so 8 KiB is plenty, and a
 * stranger cannot make the server buffer the 1 MiB every other JSON route accepts.
 */
export const UNAUTHENTICATED_BODY_LIMIT = 8 * 1024;

/** Registered by app.ts at prefix /api/auth. */
export const authRoutes: FastifyPluginAsync<{ auth: AuthService; authenticate: Authenticate }> = async (fastify, { auth, authenticate }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  // Token answers must not be stored by any cache (RFC 6749 §5.1).
  app.post('/login', { schema: loginSchema, bodyLimit: UNAUTHENTICATED_BODY_LIMIT }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return trackLogin(fastify.metrics, auth.login(request.body.username, request.body.password, request.ip));
  });

  app.post('/refresh', { schema: refreshSchema, bodyLimit: UNAUTHENTICATED_BODY_LIMIT }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return auth.refresh(request.body.refreshToken);
  });

  app.post('/logout', { schema: logoutSchema, bodyLimit: UNAUTHENTICATED_BODY_LIMIT }, async (request) => {
    await auth.logout(request.body.refreshToken);
    return { status: 'ok' as const };
  });

  app.get('/session', { schema: sessionSchema, onRequest: authenticate }, async (request) => {
    const user = request.user!;
    return { status: 'ok' as const, username: user.username, expiresAt: iso(user.expiresAt)! };
  });
};
