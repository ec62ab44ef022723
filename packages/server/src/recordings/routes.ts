// HTTP routes of consent and recording (docs/api.md, "Consent and recording"): consent requests and answers, the
// recording's start/stop/status, and the chunked recording upload.
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import * as W from '@v4h/protocol';
import type { Authenticate } from '../auth/authenticate.js';
import { AppError, ErrorBody, unauthorized } from '../errors.js';
import { parseBearer } from '../lib/bearer.js';
import { uploadAnswer } from '../storage/routes.js';
import type { ConsentPrincipal, ConsentService } from './consents.js';
import type { RecordingService } from './recordings.js';
import type { ChunkedUploads } from './chunked-uploads.js';

export interface RecordingRoutesOptions {
  consents: ConsentService;
  recordings: RecordingService;
  uploads: ChunkedUploads;
  authenticate: Authenticate;
}

const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const SessionId = W.SessionIdParam.properties.sessionId;
const SessionParams = W.SessionIdParam;
const RequestParams = Type.Object({ sessionId: SessionId, requestId: Id });
const RecordingParams = Type.Object({ sessionId: SessionId, recordingId: Id });
const ChunkParams = Type.Object({ sessionId: SessionId, recordingId: Id, index: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) });
const LocaleQuery = Type.Object({ locale: Type.Optional(Type.String({ minLength: 2, maxLength: 35, pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$' })) });
const ChunkBody = Type.Unknown({ description: "the chunk's bytes, raw (any Content-Type, e.g. application/octet-stream)" });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const tags = ['recordings'];
const security = [{ bearer: [] }];

export const recordingRoutes: FastifyPluginAsync<RecordingRoutesOptions> = async (fastify, { consents, recordings, uploads, authenticate }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  // Participants answer with their access token, or with the room token of their call (built-in room, guest link).
  const principals = new WeakMap<FastifyRequest, ConsentPrincipal>();
  const identifyParticipant = async (request: FastifyRequest) => {
    const token = parseBearer(request.headers.authorization);
    if (!token) {
      await authenticate(request);
      return;
    }
    try {
      await authenticate(request);
      principals.set(request, { kind: 'user', id: request.user!.id });
      return;
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'unauthorized') throw error;
    }
    const sessionId = (request.params as { sessionId?: string }).sessionId;
    if (!sessionId) throw unauthorized();
    principals.set(request, await consents.principalFromCallToken(sessionId, token));
  };
  const participant = (request: FastifyRequest) => principals.get(request)!;

  app.post('/api/conferences/:sessionId/consent-requests', {
    onRequest: authenticate,
    schema: {
      tags,
      security,
      summary: 'Ask everyone in the call for consent (owner): the exact text is kept, the log holds its SHA-256',
      params: SessionParams,
      body: W.ConsentRequestBody,
      response: { 201: W.ConsentRequest, ...errors },
    },
    handler: async (request, reply) => reply.status(201).send(await consents.request(request.user!, request.params.sessionId, request.body)),
  });

  app.get('/api/conferences/:sessionId/consent-requests/:requestId', {
    onRequest: identifyParticipant,
    schema: {
      tags,
      security,
      summary: 'The text a participant is shown, in their language (participants, guests with their room token)',
      params: RequestParams,
      querystring: LocaleQuery,
      response: { 200: W.ConsentRequest, ...errors },
    },
    handler: async (request) => consents.show(participant(request), request.params.sessionId, request.params.requestId, request.query.locale),
  });

  app.post('/api/conferences/:sessionId/consent-requests/:requestId/answer', {
    onRequest: identifyParticipant,
    schema: {
      tags,
      security,
      summary: 'Answer a consent request: consent_given or consent_declined in the log; a decline stops a live recording',
      params: RequestParams,
      body: W.ConsentAnswerBody,
      response: { 200: W.ConsentAnswer, ...errors },
    },
    handler: async (request) =>
      consents.answer(participant(request), request.params.sessionId, request.params.requestId, request.body.accepted, request.body.locale),
  });

  app.get('/api/conferences/:sessionId/consents', {
    onRequest: authenticate,
    schema: {
      tags,
      security,
      summary: 'Every consent answer in the log, oldest first (owner)',
      params: SessionParams,
      response: { 200: W.ConsentList, ...errors },
    },
    handler: async (request) => consents.list(request.user!, request.params.sessionId),
  });

  app.get('/api/conferences/:sessionId/recording', {
    onRequest: identifyParticipant,
    schema: {
      tags,
      security,
      summary: 'Whether the call is being recorded, the consent request to answer, who has consented (participants, guests)',
      params: SessionParams,
      response: { 200: W.RecordingStatus, ...errors },
    },
    handler: async (request) => recordings.status(participant(request), request.params.sessionId),
  });

  app.post('/api/conferences/:sessionId/recording/start', {
    onRequest: authenticate,
    schema: {
      tags,
      security,
      summary: 'Start recording (owner): 409 consent_missing unless everyone in the call consented; recording_started',
      params: SessionParams,
      body: W.RecordingStartBody,
      response: { 201: W.Recording, ...errors, 415: ErrorBody },
    },
    // No body at all means the defaults, as `{}` does.
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) request.body = {};
    },
    handler: async (request, reply) => reply.status(201).send(await recordings.start(request.user!, request.params.sessionId, request.body?.mimeType)),
  });

  app.post('/api/conferences/:sessionId/recording/stop', {
    onRequest: authenticate,
    schema: {
      tags,
      security,
      summary: 'Stop recording (owner): recording_stopped; its chunks may still be sent, then completed',
      params: SessionParams,
      body: W.RecordingStopBody,
      response: { 200: W.Recording, ...errors },
    },
    // No body at all means the owner stopped it, as `{}` does.
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) request.body = {};
    },
    handler: async (request) => recordings.stop(request.user!, request.params.sessionId, request.body?.reason ?? 'owner'),
  });

  app.post('/api/conferences/:sessionId/recordings', {
    onRequest: authenticate,
    schema: {
      tags,
      security,
      summary: 'Begin a chunked recording upload without a live recording (owner); consent as for an upload',
      params: SessionParams,
      body: W.RecordingUploadBody,
      response: { 201: W.Recording, ...errors, 415: ErrorBody },
    },
    handler: async (request, reply) => reply.status(201).send(await recordings.create(request.user!, request.params.sessionId, request.body.mimeType)),
  });

  app.get('/api/conferences/:sessionId/recordings/:recordingId', {
    onRequest: authenticate,
    schema: {
      tags,
      security,
      summary: "A recording's upload: the next chunk index and bytes stored, to resume after a reload (owner)",
      params: RecordingParams,
      response: { 200: W.Recording, ...errors },
    },
    handler: async (request) => uploads.present(await uploads.get(request.user!, request.params.sessionId, request.params.recordingId)),
  });

  app.post('/api/conferences/:sessionId/recordings/:recordingId/complete', {
    onRequest: authenticate,
    schema: {
      tags,
      security,
      summary: "Assemble the chunks into the conference's recording (owner): hashed, stored, file_stored",
      params: RecordingParams,
      response: { 200: W.StoredFile, 201: W.StoredFile, ...errors, 413: ErrorBody, 503: ErrorBody },
    },
    handler: async (request, reply) => {
      const { file, created } = await uploads.complete(request.user!, request.params.sessionId, request.params.recordingId);
      return reply.status(created ? 201 : 200).send(file);
    },
  });

  // Chunks are raw bodies, handed over as the request stream (bounded by the service as they arrive).
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    raw.withTypeProvider<TypeBoxTypeProvider>().put('/api/conferences/:sessionId/recordings/:recordingId/chunks/:index', {
      bodyLimit: uploads.maxChunkBytes,
      onRequest: authenticate,
      onSend: uploadAnswer(uploads.maxChunkBytes),
      schema: {
        tags,
        security,
        summary: 'Store one chunk (owner): in order; a retry of a stored chunk with the same bytes is 200, other bytes 409',
        params: ChunkParams,
        body: ChunkBody,
        response: { 200: W.RecordingChunk, 201: W.RecordingChunk, ...errors, 413: ErrorBody, 503: ErrorBody },
      },
      handler: async (request, reply) => {
        const length = request.headers['content-length'];
        const { chunk, created } = await uploads.putChunk(
          request.user!,
          request.params.sessionId,
          request.params.recordingId,
          request.params.index,
          (request.body as Readable | undefined) ?? request.raw,
          length === undefined ? undefined : Number(length),
        );
        return reply.status(created ? 201 : 200).send(chunk);
      },
    });
  });
};
