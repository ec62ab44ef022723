// Cross-origin access to the API: the origins in V4H_CORS_ORIGINS, and a warning naming the variable for the others.
import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';

/** Distinct refused origins logged per process (enough for any real deployment, bounded against floods). */
const MAX_LOGGED_ORIGINS = 50;

/**
 * Allows the configured origins; a browser's preflight from any other origin is refused as before (no CORS headers,
 * a 404 when none is configured) and logged once per origin at warn level, with the variable and the value to set:
 * an integrator whose page says only "Failed to fetch" finds the cause in the server's log.
 */
export async function registerCors(app: FastifyInstance, allowed: readonly string[]): Promise<void> {
  const logged = new Set<string>();
  const refused = (origin: string) => {
    if (logged.has(origin) || logged.size >= MAX_LOGGED_ORIGINS) return;
    logged.add(origin);
    const value = [...allowed, origin].join(',');
    app.log.warn(
      { origin },
      `cross-origin request from ${origin} refused: add the origin to V4H_CORS_ORIGINS (V4H_CORS_ORIGINS=${value}) to let that page call this server`,
    );
  };
  if (allowed.length === 0) {
    // CORS off: no hook on every request, only this route for preflights.
    app.options('*', { schema: { hide: true } }, async (request, reply) => {
      const origin = request.headers.origin;
      if (origin && request.headers['access-control-request-method']) refused(origin);
      return reply.status(404).send({ error: 'not_found', message: `no route for OPTIONS ${request.url.split('?')[0]}` });
    });
    return;
  }
  await app.register(cors, {
    origin: (origin, callback) => {
      // No Origin: not a cross-origin browser request, no CORS headers to send.
      if (!origin) return callback(null, false);
      if (allowed.includes(origin)) return callback(null, true);
      refused(origin);
      callback(null, false);
    },
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Content-Digest', 'Repr-Digest', 'Last-Event-ID'],
    exposedHeaders: ['Retry-After', 'Content-Range', 'Accept-Ranges', 'X-Max-Upload-Bytes'],
    maxAge: 600,
  });
}
