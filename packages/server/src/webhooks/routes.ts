// /api/webhooks (docs/webhooks.md): an organisation's endpoints and their deliveries, for its admins and its API keys
// (webhooks:read / webhooks:write).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  WebhookCreate,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookDeliveryStatus,
  WebhookList,
  WebhookRotate,
  WebhookSecret,
  WebhookUpdate,
  Webhook,
} from '@v4h/protocol';
import type { Authenticate } from '../auth/authenticate.js';
import { ErrorBody } from '../errors.js';
import { keyPrincipal, userPrincipal, type Principal } from '../conferences/access-policy.js';
import type { WebhookService } from './service.js';

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const DeliveryId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), deliveryId: Type.String({ minLength: 1, maxLength: 20 }) });
const ListQuery = Type.Object({ organisationId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false });
const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(WebhookDeliveryStatus),
    before: Type.Optional(Type.String({ maxLength: 20, description: 'a delivery id: older ones' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody };

export const webhookRoutes: FastifyPluginAsync<{
  webhooks: WebhookService;
  authenticate: Authenticate;
  isAdmin: (user: { username: string }) => boolean;
}> = async (fastify, { webhooks, authenticate, isAdmin }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const who = (request: FastifyRequest): Principal => (request.apiKey ? keyPrincipal(request.apiKey) : userPrincipal(request.user!, isAdmin(request.user!)));
  const common = { tags: ['webhooks'], security: [{ bearer: [] }] };
  // Every route takes an organisation's API key too (its scopes checked in the service).
  const config = { apiKeys: true };

  app.post('/api/webhooks', {
    onRequest: authenticate,
    config,
    schema: {
      ...common,
      summary: 'Register an endpoint; answers its signing secret, shown once',
      body: WebhookCreate,
      response: { 201: WebhookSecret, ...errors },
    },
    handler: async (request, reply) => {
      const { webhook, secret } = await webhooks.create(who(request), request.body);
      return reply.status(201).send({ id: webhook.id, secret, webhook });
    },
  });
  app.get('/api/webhooks', {
    onRequest: authenticate,
    config,
    schema: { ...common, summary: "The organisation's endpoints (never their secrets)", querystring: ListQuery, response: { 200: WebhookList, ...errors } },
    handler: async (request) => ({ items: await webhooks.list(who(request), request.query.organisationId) }),
  });
  app.get('/api/webhooks/:id', {
    onRequest: authenticate,
    config,
    schema: { ...common, summary: 'One endpoint: its events, and whether and why it is disabled', params: Id, response: { 200: Webhook, ...errors } },
    handler: async (request) => webhooks.get(who(request), request.params.id),
  });
  app.patch('/api/webhooks/:id', {
    onRequest: authenticate,
    config,
    schema: {
      ...common,
      summary: 'Change the URL, the events, the description; enable or disable',
      params: Id,
      body: WebhookUpdate,
      response: { 200: Webhook, ...errors },
    },
    handler: async (request) => webhooks.update(who(request), request.params.id, request.body),
  });
  app.delete('/api/webhooks/:id', {
    onRequest: authenticate,
    config,
    schema: {
      ...common,
      summary: 'Delete an endpoint and its pending deliveries',
      params: Id,
      response: { 204: Type.Null({ description: 'no content' }), ...errors },
    },
    handler: async (request, reply) => {
      await webhooks.delete(who(request), request.params.id);
      return reply.status(204).send(null);
    },
  });
  app.post('/api/webhooks/:id/rotate-secret', {
    onRequest: authenticate,
    config,
    schema: {
      ...common,
      summary: 'A new signing secret (shown once); the old one also signs for overlapSeconds',
      params: Id,
      body: WebhookRotate,
      response: { 200: WebhookSecret, ...errors },
    },
    handler: async (request) => {
      const { webhook, secret } = await webhooks.rotateSecret(who(request), request.params.id, request.body?.overlapSeconds);
      return { id: webhook.id, secret, webhook };
    },
  });
  app.get('/api/webhooks/:id/deliveries', {
    onRequest: authenticate,
    config,
    schema: {
      ...common,
      summary: "The endpoint's deliveries, newest first: status, attempts, last error",
      params: Id,
      querystring: DeliveriesQuery,
      response: { 200: WebhookDeliveryList, ...errors },
    },
    handler: async (request) => ({ items: await webhooks.deliveries(who(request), request.params.id, request.query) }),
  });
  app.post('/api/webhooks/:id/deliveries/:deliveryId/redeliver', {
    onRequest: authenticate,
    config,
    schema: { ...common, summary: 'Send a delivery’s event again (a new delivery)', params: DeliveryId, response: { 202: WebhookDelivery, ...errors } },
    handler: async (request, reply) => reply.status(202).send(await webhooks.redeliver(who(request), request.params.id, request.params.deliveryId)),
  });
};
