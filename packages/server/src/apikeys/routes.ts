// /api/apikeys: an organisation's admins create, list and revoke its API keys (with their own access token, never
// with a key). See docs/api.md, API keys.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import * as W from '@v4h/protocol';
import type { Authenticate } from '../auth/authenticate.js';
import { ErrorBody } from '../errors.js';
import { userPrincipal } from '../conferences/access-policy.js';
import type { ApiKeyService } from './service.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody };
const secured = { tags: ['apikeys'], security: [{ bearer: [] }] };
// Any text: an id that is no key's is a 404 like an unknown one.
const KeyIdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object({ organisationId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });

export const apiKeyRoutes: FastifyPluginAsync<{ keys: ApiKeyService; authenticate: Authenticate; isAdmin: (user: { username: string }) => boolean }> = async (
  fastify,
  { keys, authenticate, isAdmin },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', authenticate);
  const principal = (user: { id: string; username: string }) => userPrincipal(user, isAdmin(user)) as ReturnType<typeof userPrincipal> & { kind: 'user' };

  app.post('/', {
    schema: {
      ...secured,
      summary: 'Create an API key of your organisation (its admins); the key is shown once',
      body: W.ApiKeyCreate,
      response: { 201: W.ApiKeyCreated, ...errors },
    },
    handler: async (request, reply) => {
      const who = principal(request.user!);
      const organisationId = await keys.managedOrganisation(who, request.body.organisationId);
      const created = await keys.create({ organisationId, name: request.body.name, scopes: request.body.scopes, createdBy: `user:${who.id}` });
      request.log.info({ apiKeyId: created.id, organisationId }, 'API key created');
      return reply.status(201).send(created);
    },
  });

  app.get('/', {
    schema: {
      ...secured,
      summary: "Your organisation's API keys, without secrets, with their last use (its admins)",
      querystring: ListQuery,
      response: { 200: W.ApiKeyList, ...errors },
    },
    handler: async (request) => {
      const organisationId = await keys.managedOrganisation(principal(request.user!), request.query.organisationId);
      return { items: await keys.list(organisationId) };
    },
  });

  app.post('/:id/revoke', {
    schema: {
      ...secured,
      summary: 'Revoke an API key: refused from this moment (its organisation’s admins)',
      params: KeyIdParam,
      response: { 200: W.ApiKeyInfo, ...errors },
    },
    handler: async (request) => {
      const revoked = await keys.revokeAs(principal(request.user!), request.params.id);
      request.log.info({ apiKeyId: revoked.id }, 'API key revoked');
      return revoked;
    },
  });
};
