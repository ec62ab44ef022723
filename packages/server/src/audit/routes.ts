// GET /api/audit: the access audit, for the admin (the V4H_ADMIN_USERNAME account), filtered and paged.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../auth/authenticate.js';
import { AppError, ErrorBody, forbidden } from '../errors.js';
import type { AccessAudit } from './access-audit.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const AuditQuery = Type.Object(
  {
    sessionId: Type.Optional(Id),
    actor: Type.Optional(Id),
    fileId: Type.Optional(Id),
    action: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, inclusive' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, exclusive' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const Entry = Type.Object({
  id: Type.String(),
  at: Type.String(),
  actor: Type.String({ description: '`user:<id>`, `verification-link:<hash>` or `signed-link:<hash>`' }),
  action: Type.String(),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  fileId: Type.Union([Type.String(), Type.Null()]),
  listed: Type.Union([Type.Array(Type.String()), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
});
const AuditPage = Type.Object({ items: Type.Array(Entry), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const auditRoutes: FastifyPluginAsync<{ audit: AccessAudit; authenticate: Authenticate; isAdmin: (user: { username: string }) => boolean }> = async (
  fastify,
  { audit, authenticate, isAdmin },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/api/audit', {
    onRequest: authenticate,
    schema: {
      tags: ['admin'],
      security: [{ bearer: [] }],
      summary: 'Who read which health data, when and from where (admin), oldest first',
      querystring: AuditQuery,
      response: { 200: AuditPage, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
    },
    handler: async (request) => {
      if (!isAdmin(request.user!)) throw forbidden('only the admin may read the access audit');
      const { since, until, limit = 100, ...rest } = request.query;
      return audit.query({ ...rest, limit, since: time('since', since), until: time('until', until) });
    },
  });
};

function time(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new AppError('bad_request', `${name}: not a date-time`);
  return ms;
}
