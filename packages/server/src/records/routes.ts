// HTTP routes for records: the owner's manifest bundle and verification links, the public link and ledger key.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../auth/authenticate.js';
import type { RecordsService } from './service.js';
import * as S from './schemas.js';
import * as W from '@v4h/protocol';
import { ErrorBody } from '../errors.js';
import { linkActor, type AccessAudit } from '../audit/access-audit.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody };
const secured = { tags: ['records'], security: [{ bearer: [] }] };

/** Registered without a prefix: its paths are absolute. */
export const recordsRoutes: FastifyPluginAsync<{ records: RecordsService; authenticate: Authenticate; audit: AccessAudit }> = async (
  fastify,
  { records, authenticate, audit },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/.well-known/v4h-ledger.json', {
    schema: { tags: ['records'], summary: "The ledger's public key (local) or chain and anchor address (EVM)", response: { 200: W.LedgerDescription } },
    // Public and credential-free: any origin may read it (a verifier page elsewhere).
    handler: async (_request, reply) =>
      reply.headers({ 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' }).send(records.ledgerDescription()),
  });

  app.get('/api/verify/:token', {
    schema: {
      tags: ['records'],
      summary: 'A conference record opened by a verification link (no account)',
      params: S.TokenParam,
      response: { 200: W.ManifestBundle, ...errors },
    },
    handler: async (request, reply) => {
      const bundle = await records.bundleForLink(request.params.token);
      await audit.record({
        actor: linkActor('verification-link', request.params.token),
        action: 'verification_bundle',
        sessionId: bundle.sessionId,
        ip: request.ip,
      });
      return reply.headers({ 'cache-control': 'no-store', 'access-control-allow-origin': '*' }).send(bundle);
    },
  });

  app.register(async (authed) => {
    const r = authed.withTypeProvider<TypeBoxTypeProvider>();
    r.addHook('onRequest', authenticate);

    r.get('/api/conferences/:sessionId/manifest', {
      schema: {
        ...secured,
        summary: 'Sealed manifests with proofs and anchoring status (owner)',
        params: S.SessionIdParam,
        response: { 200: W.ManifestBundle, ...errors },
      },
      handler: async (request) => {
        const bundle = await records.bundleForOwner(request.user!.id, request.params.sessionId);
        await audit.record({ actor: `user:${request.user!.id}`, action: 'manifest', sessionId: request.params.sessionId, ip: request.ip });
        return bundle;
      },
    });

    r.post('/api/conferences/:sessionId/verification-links', {
      schema: {
        ...secured,
        summary: 'Mint a read-only verification link (owner)',
        params: S.SessionIdParam,
        body: W.LinkBody,
        response: { 201: W.LinkReply, ...errors },
      },
      handler: async (request, reply) => {
        const link = await records.createVerificationLink(request.user!.id, request.params.sessionId, request.body?.expiresIn);
        return reply.status(201).send(link);
      },
    });
  });
};
