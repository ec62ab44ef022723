// HTTP routes for organisations, their units and users (docs/api.md, Organisations): the instance admin creates and
// lists organisations, an organisation's admins manage it. Validate, call the service, reply.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../auth/authenticate.js';
import { ErrorBody } from '../errors.js';
import { userPrincipal, type Principal } from '../conferences/access-policy.js';
import type { OrganisationService } from './service.js';
import * as W from '@v4h/protocol';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const secured = { tags: ['organisations'], security: [{ bearer: [] }] };

export const organisationRoutes: FastifyPluginAsync<{
  organisations: OrganisationService;
  authenticate: Authenticate;
  isAdmin: (user: { username: string }) => boolean;
}> = async (fastify, { organisations, authenticate, isAdmin }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRequest', authenticate);
  const who = (request: FastifyRequest): Principal => userPrincipal(request.user!, isAdmin(request.user!));

  app.get('/', {
    schema: { ...secured, summary: 'Organisations you may see: all for the instance admin, else your own', response: { 200: W.OrganisationList, ...errors } },
    handler: async (request) => ({ items: await organisations.list(who(request)) }),
  });

  app.post('/', {
    schema: { ...secured, summary: 'Create an organisation (the instance admin)', body: W.NewOrganisation, response: { 201: W.Organisation, ...errors } },
    handler: async (request, reply) => reply.status(201).send(await organisations.create(who(request), request.body)),
  });

  app.get('/:organisationId', {
    schema: {
      ...secured,
      summary: 'An organisation and its defaults (its members)',
      params: W.OrganisationIdParam,
      response: { 200: W.Organisation, ...errors },
    },
    handler: async (request) => organisations.get(who(request), request.params.organisationId),
  });

  app.patch('/:organisationId/settings', {
    schema: {
      ...secured,
      summary: "Set the defaults of the organisation's new conferences (its admins)",
      params: W.OrganisationIdParam,
      body: W.OrganisationSettings,
      response: { 200: W.Organisation, ...errors },
    },
    handler: async (request) => organisations.updateSettings(who(request), request.params.organisationId, request.body),
  });

  app.get('/:organisationId/units', {
    schema: { ...secured, summary: "The organisation's units (its members)", params: W.OrganisationIdParam, response: { 200: W.UnitList, ...errors } },
    handler: async (request) => ({ items: await organisations.listUnits(who(request), request.params.organisationId) }),
  });

  app.post('/:organisationId/units', {
    schema: { ...secured, summary: 'Add a unit (its admins)', params: W.OrganisationIdParam, body: W.NewUnit, response: { 201: W.Unit, ...errors } },
    handler: async (request, reply) => reply.status(201).send(await organisations.addUnit(who(request), request.params.organisationId, request.body)),
  });

  app.get('/:organisationId/users', {
    schema: {
      ...secured,
      summary: "The organisation's users, roles and units (its admins)",
      params: W.OrganisationIdParam,
      response: { 200: W.OrganisationUserList, ...errors },
    },
    handler: async (request) => ({ items: await organisations.listUsers(who(request), request.params.organisationId) }),
  });

  app.post('/:organisationId/users', {
    schema: {
      ...secured,
      summary: 'Create an account in the organisation (its admins)',
      params: W.OrganisationIdParam,
      body: W.NewOrganisationUser,
      response: { 201: W.OrganisationUser, ...errors },
    },
    handler: async (request, reply) => reply.status(201).send(await organisations.addUser(who(request), request.params.organisationId, request.body)),
  });

  app.patch('/:organisationId/users/:username', {
    schema: {
      ...secured,
      summary: "Change a user's role or units (its admins)",
      params: W.OrganisationUserParam,
      body: W.OrganisationUserChange,
      response: { 200: W.OrganisationUser, ...errors },
    },
    handler: async (request) => organisations.changeUser(who(request), request.params.organisationId, request.params.username, request.body),
  });
};
