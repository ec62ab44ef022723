// HTTP routes for recordings and attachments: streamed uploads, listing, and Range-capable downloads.
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../auth/authenticate.js';
import { bearerSecretCheck } from '../lib/bearer.js';
import { unauthorized, ErrorBody } from '../errors.js';
import { formatSha256 } from './digests.js';
import { isInline } from '../lib/media-types.js';
import { contentDisposition } from './content-disposition.js';
import type { Download, FileService, Principal, RangeHeaders, UploadInput } from './service.js';
import * as S from './schemas.js';
import * as W from '@v4h/protocol';
import { trackUpload } from '../metrics/track.js';
import { linkActor, type AccessAudit, type AccessRead } from '../audit/access-audit.js';

export interface FileRoutesOptions {
  files: FileService;
  authenticate: Authenticate;
  /** The recorder service credential (Jibri); uploads by it are refused when unset. */
  recorderSecret?: string;
  maxUploadBytes: number;
  /** True for the admin account (privacy/admin.ts). */
  isAdmin: (user: { username: string }) => boolean;
  audit: AccessAudit;
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody };
const uploadErrors = { ...errors, 413: ErrorBody, 415: ErrorBody };
const downloadErrors = { ...errors, 416: ErrorBody };
const tags = ['files'];

export const fileRoutes: FastifyPluginAsync<FileRoutesOptions> = async (fastify, { files, authenticate, recorderSecret, maxUploadBytes, isAdmin, audit }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  // Uploads are raw bodies of any type, handed over as the request stream itself (checked by the service).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const answerUpload = uploadAnswer(maxUploadBytes);
  const isRecorder = recorderSecret === undefined ? () => false : bearerSecretCheck(recorderSecret);
  /** The recorder secret (compared in constant time), else a user's access token. */
  async function uploader(request: FastifyRequest): Promise<Principal> {
    if (isRecorder(request.headers.authorization)) return { kind: 'recorder' };
    await authenticate(request);
    return { kind: 'user', id: request.user!.id, username: request.user!.username };
  }

  // Who uploads is settled in onRequest, before the query is validated or the body read: a caller without a valid
  // credential gets 401 whatever else is wrong with the request, as on every other route.
  const principals = new WeakMap<FastifyRequest, Principal>();
  const identifyUploader = async (request: FastifyRequest) => {
    principals.set(request, await uploader(request));
  };
  const identifyRecorder = async (request: FastifyRequest) => {
    const principal = await uploader(request);
    if (principal.kind !== 'recorder') throw unauthorized('this route takes the recorder credential');
    principals.set(request, principal);
  };

  const upload = (
    request: FastifyRequest,
    principal: Principal,
    target: UploadInput['target'],
    query: { kind: 'recording' | 'attachment'; name?: string; shared?: boolean },
  ) => {
    const length = request.headers['content-length'];
    return trackUpload(
      app.metrics,
      files.upload({
        principal,
        target,
        kind: query.kind,
        name: query.name,
        shared: query.shared,
        contentType: request.headers['content-type'],
        contentLength: length === undefined ? undefined : Number(length),
        contentEncoding: request.headers['content-encoding'],
        digests: [header(request, 'repr-digest'), header(request, 'content-digest')],
        // Fastify skips the parser for an empty body; the raw request is then an ended stream.
        body: (request.body as Readable | undefined) ?? request.raw,
      }),
    );
  };

  app.post('/api/conferences/:sessionId/files', {
    bodyLimit: maxUploadBytes,
    config: { ownBodyDeadline: true }, // a minimum transfer rate instead (FileService)
    onRequest: identifyUploader,
    onSend: answerUpload,
    schema: {
      tags,
      security: [{ bearer: [] }],
      summary: 'Upload a recording (owner, recorder) or an attachment (owner, admitted participants), streamed',
      params: S.SessionParams,
      querystring: S.UploadQuery,
      body: S.UploadBody,
      response: { 201: W.StoredFile, ...uploadErrors },
    },
    handler: async (request, reply) => {
      const stored = await upload(request, principals.get(request)!, { sessionId: request.params.sessionId }, request.query);
      return reply.status(201).send(stored);
    },
  });

  app.post('/api/rooms/:roomName/files', {
    bodyLimit: maxUploadBytes,
    config: { ownBodyDeadline: true },
    onRequest: identifyRecorder,
    onSend: answerUpload,
    schema: {
      tags,
      security: [{ bearer: [] }],
      summary: 'Upload a recording by Jitsi room name (recorder credential only; used by Jibri)',
      params: S.RoomParams,
      querystring: S.UploadQuery,
      body: S.UploadBody,
      response: { 201: W.StoredFile, ...uploadErrors },
    },
    handler: async (request, reply) => {
      const stored = await upload(request, principals.get(request)!, { roomName: request.params.roomName }, request.query);
      return reply.status(201).send(stored);
    },
  });

  app.get('/api/conferences/:sessionId/files', {
    onRequest: authenticate,
    schema: {
      tags,
      security: [{ bearer: [] }],
      summary: "A conference's files the caller may see, oldest first (owner: all; others: their own and shared ones)",
      params: S.SessionParams,
      response: { 200: W.FileList, ...errors },
    },
    handler: async (request) => {
      const items = await files.list(request.user!, request.params.sessionId);
      await audit.record({
        actor: `user:${request.user!.id}`,
        action: 'file_list',
        sessionId: request.params.sessionId,
        listed: items.map((f) => f.fileId),
        ip: request.ip,
      });
      return { items };
    },
  });

  app.post('/api/conferences/:sessionId/files/:fileId/share', {
    onRequest: authenticate,
    schema: {
      tags,
      security: [{ bearer: [] }],
      summary: 'Share a file with the participants (owner)',
      params: S.FileParams,
      response: { 200: W.StoredFile, ...errors },
    },
    handler: async (request) => files.share(request.user!, request.params.sessionId, request.params.fileId),
  });

  app.get('/api/conferences/:sessionId/files/:fileId', {
    onRequest: authenticate,
    schema: {
      tags,
      security: [{ bearer: [] }],
      summary: 'Download a file (owner, its uploader, participants once shared); Range supported',
      params: S.FileParams,
      response: { 200: S.Binary, 206: S.Binary, ...downloadErrors },
    },
    handler: async (request, reply) => {
      const download = await files.open(request.user!, request.params.sessionId, request.params.fileId, rangeHeader(request));
      return sendDownload(reply, await audited(audit, download, { actor: `user:${request.user!.id}`, ip: request.ip }));
    },
  });

  app.delete('/api/conferences/:sessionId/files/:fileId', {
    onRequest: authenticate,
    schema: {
      tags,
      security: [{ bearer: [] }],
      summary: "Delete a file's bytes from storage (owner, admin); the record keeps its hash and gains file_deleted",
      params: S.FileParams,
      querystring: S.DeleteQuery,
      response: { 204: S.Empty, ...errors },
    },
    handler: async (request, reply) => {
      await files.delete(request.user!, request.params.sessionId, request.params.fileId, request.query.reason ?? 'owner_request', isAdmin(request.user!));
      return reply.status(204).send(null);
    },
  });

  app.get('/api/files/:fileId/content', {
    schema: {
      tags,
      summary: 'Download a file through a signed, time-limited link; Range supported',
      params: S.SignedParams,
      querystring: S.SignedQuery,
      response: { 200: S.Binary, 206: S.Binary, ...downloadErrors },
    },
    handler: async (request, reply) => {
      const download = await files.openSigned(request.params.fileId, request.query.expires, request.query.signature, rangeHeader(request));
      return sendDownload(reply, await audited(audit, download, { actor: linkActor('signed-link', request.query.signature), ip: request.ip }));
    },
  });
};

/** The download once its read is in the access audit; its bytes are never sent (the stream is closed) if it cannot be. */
async function audited(audit: AccessAudit, download: Download, who: Pick<AccessRead, 'actor' | 'ip'>): Promise<Download> {
  try {
    await audit.record({ ...who, action: 'file_download', sessionId: download.file.session_id, fileId: download.file.id });
  } catch (error) {
    download.body.destroy();
    throw error;
  }
  return download;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function rangeHeader(request: FastifyRequest): RangeHeaders {
  return { range: request.headers.range, ifRange: header(request, 'if-range'), headersOnly: request.method === 'HEAD' };
}

function sendDownload(reply: FastifyReply, { file, range, body }: Download) {
  reply
    .header('content-type', file.content_type)
    .header('accept-ranges', 'bytes')
    .header('etag', `"${file.sha256}"`)
    .header('repr-digest', formatSha256(file.sha256))
    .header('cache-control', 'private, max-age=300')
    .header('content-disposition', contentDisposition(isInline(file.content_type) ? 'inline' : 'attachment', file.name))
    // Uploaded bytes are served from the API's origin: they must never run as a page.
    .header('content-security-policy', "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'");
  if (range) {
    return reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
      .header('content-length', range.end - range.start + 1)
      .send(body);
  }
  return reply.status(200).header('content-length', file.size).send(body);
}

/** How long, and how much, an upload answered before its body (413, 401, …) may go on sending what is then dropped. */
const LINGER_MS = 10_000;
const LINGER_BYTES = 64 * 1024 * 1024;

/**
 * Every upload answer says the limit (`X-Max-Upload-Bytes`), so the SDK can refuse an oversized file before sending.
 * An answer given before the body was read (a 413 on the declared length, a 401): closing at once resets a client
 * that is still sending, which then often never reads the answer (Node's fetch saw `network_error`). So the rest of
 * a modest body is read and dropped, keeping the connection usable; beyond LINGER_BYTES or LINGER_MS the connection
 * is closed rather than read gigabytes to reuse it.
 */
export function uploadAnswer(maxUploadBytes: number) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-max-upload-bytes', String(maxUploadBytes));
    const raw = request.raw;
    if (raw.readableEnded) return;
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > LINGER_BYTES) return void reply.header('connection', 'close');
    raw.unpipe();
    let dropped = 0;
    const cut = () => raw.socket?.destroy();
    const timer = setTimeout(cut, LINGER_MS);
    timer.unref();
    raw.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) cut();
    });
    raw.once('end', () => clearTimeout(timer));
    raw.once('close', () => clearTimeout(timer));
    raw.resume();
  };
}
