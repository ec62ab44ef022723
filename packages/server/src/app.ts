// Builds the Fastify app (no listen): shared plugins, then one plugin per domain, registered explicitly.
import type { Server } from 'node:http';
import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import { systemClock, type Clock } from './lib/clock.js';
import { errorHandler, frameworkErrorHandler } from './errors.js';
import { finiteNumberValidators } from './lib/finite-numbers.js';
import { loggerOptions, OneLinePerRequest, requestLoggerFactory } from './logging.js';
import { addSecurityHeaders } from './security/headers.js';
import { registerCors } from './security/cors.js';
import { addBodyDeadline, limitConnectionsPerAddress } from './security/connection-limits.js';
import { createAccessTokenSigner } from './auth/access-tokens.js';
import { createAuthenticate } from './auth/authenticate.js';
import { AuthService } from './auth/service.js';
import { authRoutes } from './auth/routes.js';
import { createJitsiTokenIssuer } from './jitsi/tokens.js';
import { ConferenceService } from './conferences/service.js';
import { conferenceRoutes } from './conferences/routes.js';
import { AccessPolicy } from './conferences/access-policy.js';
import { webRoutes } from './web/routes.js';
import { ConferenceEventHub } from './events/hub.js';
import { ConferenceEventsService } from './events/service.js';
import { eventRoutes } from './events/routes.js';
import { JitsiPresenceFeed } from './jitsi/presence-feed.js';
import { jitsiEventRoutes } from './jitsi/routes.js';
import { JaasRecordingFetcher } from './jitsi/recording-fetcher.js';
import { startConferenceSweeper } from './conferences/sweeper.js';
import { createRecordsDomain } from './records/domain.js';
import { recordsRoutes } from './records/routes.js';
import { createBuiltinRoom } from './room/builtin-room.js';
import { createRedisRoomBus, type RoomBus } from './room/bus.js';
import { roomRoutes } from './room/routes.js';
import { openStorage } from './storage/backend.js';
import { EncryptedStorage } from './storage/encryption.js';
import { masterKeyring } from './secrets.js';
import { installMetrics } from './metrics/install.js';
import type { RoomService } from './room/service.js';
import { checkMasterKeys, FileService } from './storage/service.js';
import { fileRoutes } from './storage/routes.js';
import { adminCheck } from './privacy/admin.js';
import { privacyRoutes } from './privacy/routes.js';
import { ErasureService } from './privacy/erasure.js';
import { RetentionJob, startRetentionJob } from './privacy/retention.js';
import { AccessAudit } from './audit/access-audit.js';
import { auditRoutes } from './audit/routes.js';
import { QualityService } from './quality/service.js';
import { qualityRoutes } from './quality/routes.js';
import { ConsentService } from './recordings/consents.js';
import { ChunkedUploads } from './recordings/chunked-uploads.js';
import { RecordingService } from './recordings/recordings.js';
import { recordingRoutes } from './recordings/routes.js';
import { createRoomTokenVerifier } from './room/room-tokens.js';
import { startPeriodicJob } from './lib/periodic-job.js';
import { ApiKeyService } from './apikeys/service.js';
import { apiKeyRoutes } from './apikeys/routes.js';
import { JoinLinkService } from './apikeys/join-links.js';
import { joinLinkRoutes } from './apikeys/join-link-routes.js';
import { OrganisationService } from './organisations/service.js';
import { organisationRoutes } from './organisations/routes.js';
import { IceServerService } from './network/service.js';
import { guestOfToken, networkRoutes } from './network/routes.js';
import { WaitingRoomService } from './waiting/service.js';
import { visitRoutes, waitingRoutes } from './waiting/routes.js';
import { createGuestTokens } from './conferences/guest-tokens.js';
import { createWebhooks } from './webhooks/domain.js';
import { webhookMasterKeyIds } from './webhooks/master-key-rotation.js';
import { webhookRoutes } from './webhooks/routes.js';

export interface AppOptions {
  /** Config with secrets resolved (see secrets.ts). */
  config: Config;
  db: Db;
  clock?: Clock;
  /** Pino options, or false for silence (tests). */
  logger?: boolean | object;
  /** Run background workers (sweeper, sealing, anchoring); server.ts turns them on. */
  workers?: boolean;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { config, db } = opts;
  const clock = opts.clock ?? systemClock;
  // A wrong master key is refused here, before anything opens, rather than on the first download. With the database
  // unreachable the check waits for another start: the app still comes up to answer /readyz 503 (and a wrong key
  // still fails closed, file by file, when a data key does not unwrap).
  const keyring = masterKeyring(config);
  const masterKeysChecked = await db.ping();
  if (masterKeysChecked) await checkMasterKeys(db.kysely, keyring, [{ what: 'the webhook signing secrets', keyIds: await webhookMasterKeyIds(db) }]);
  const serverOptions: FastifyHttpOptions<Server> = {
    logger: opts.logger === undefined ? loggerOptions(config.logLevel) : opts.logger,
    logController: new OneLinePerRequest(),
    childLoggerFactory: requestLoggerFactory,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    trustProxy: trustProxyOption(config.trustProxy), // request.ip is the address the trusted proxy saw
    bodyLimit: 1024 * 1024,
    frameworkErrors: frameworkErrorHandler,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // Ajv's validators, refusing what it coerced from text to ±Infinity (lib/finite-numbers.ts).
    schemaController: { compilersFactory: { buildValidator: finiteNumberValidators() } },
  };
  const app = Fastify(serverOptions).withTypeProvider<TypeBoxTypeProvider>();
  if (!masterKeysChecked) app.log.warn('database unreachable at start: the master key check waits for the next start');

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  );
  app.decorateRequest('user', null);
  app.decorateRequest('apiKey', null);

  addSecurityHeaders(app);
  addBodyDeadline(app, config.requestBodyTimeout * 1000);
  if (config.trustProxy === false) limitConnectionsPerAddress(app.server, config.maxConnectionsPerAddress);
  let room: RoomService | undefined;
  let bus: RoomBus | undefined;
  const metrics = installMetrics(app, { ...config.metrics, host: config.host }, { db, clock, room: () => room, log: app.log });
  await registerCors(app, config.corsOrigins);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'V4H API', version: '0.1.0', description: API_DESCRIPTION },
      tags: API_TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    // A prefix's root route answers with and without the trailing slash; document it without (`/api/conferences`).
    transform: ({ schema, url }) => ({ schema, url: url.length > 1 ? url.replace(/\/$/, '') : url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (!(await db.ping())) return reply.status(503).send({ error: 'service_unavailable', message: 'database unreachable', database: 'unreachable' });
    // Another process holds SQLite's write lock and writes are waiting for it (reads still work).
    if (db.busy())
      return reply
        .status(503)
        .send({ error: 'service_unavailable', message: 'database busy: writes are waiting for a lock another process holds', database: 'busy' });
    // The built-in room's relay between processes (V4H_REDIS_URL): without it, rooms spanning processes break.
    if (!bus) return { status: 'ok', database: 'ok' };
    if (!(await bus.ping()))
      return reply.status(503).send({ error: 'service_unavailable', message: 'redis unreachable', database: 'ok', redis: 'unreachable' });
    return { status: 'ok', database: 'ok', redis: 'ok' };
  });

  // Domains.
  const signer = createAccessTokenSigner({ secret: config.tokenSecret!, issuer: config.publicUrl, ttlSeconds: config.accessTokenTtl });
  const access = new AccessPolicy({ db, clock });
  const apiKeys = new ApiKeyService({ db, clock, access, requestsPerMinute: config.apiKeyRequestsPerMinute });
  const authenticate = createAuthenticate({ signer, db: db.kysely, clock, apiKeys: (key) => apiKeys.authenticate(key) });
  const auth = new AuthService({ db, clock, signer, config });
  const jitsi = await createJitsiTokenIssuer(config);
  const storage = new EncryptedStorage(await openStorage(config.storageUrl, { credentials: config.storageCredentials, region: config.storageRegion }), keyring);
  app.addHook('onClose', async () => storage.close());
  // Consent as evidence (issue 21): a guest answers with their V4H guest token (waiting room, guest page) or, in the
  // built-in room, with the room token of their link.
  const guestTokens = createGuestTokens(config.tokenSecret!, config.publicUrl);
  const consents = new ConsentService({
    guestTokens,
    db,
    clock,
    access,
    mode: config.recording.consent,
    verifyRoomToken:
      config.jitsi.mode === 'builtin' && config.jitsi.appId && config.jitsi.appSecret
        ? createRoomTokenVerifier({
            appId: config.jitsi.appId,
            appSecret: config.jitsi.appSecret,
            domain: new URL(config.jitsi.url).hostname,
            now: () => clock.now(),
          })
        : undefined,
  });
  const files = new FileService({
    db,
    clock,
    access,
    storage,
    maxUploadBytes: config.maxUploadBytes,
    tokenSecret: config.tokenSecret!,
    publicUrl: config.publicUrl,
    uploadIdleTimeoutMs: config.uploadIdleTimeout * 1000,
    uploadLimits: config.uploadLimits,
    recordingConsent: (sessionId) => consents.requireForStorage(sessionId),
  });
  const recordingUploads = new ChunkedUploads({ db, clock, access, storage, files, maxBytes: config.maxUploadBytes });
  const recordings = new RecordingService({ db, clock, access, consents, uploads: recordingUploads });
  const conferences = new ConferenceService({ db, clock, config, jitsi, access, recordings: files });
  // The server→SDK channel: the event log's rows, as they are appended, to the conference's owner and participants.
  const eventHub = new ConferenceEventHub({
    db: db.kysely,
    pollIntervalMs: config.eventPollInterval,
    onError: (err) => app.log.warn({ err }, 'event channel: polling the event log failed'),
  });
  app.addHook('onClose', async () => eventHub.close());
  conferences.onEnded((sessionId) => eventHub.nudge(sessionId));
  // The waiting room: guests' visits (and users who wait: the join route) follow the event log through the hub, which each step nudges.
  const waiting = new WaitingRoomService({ db, clock, config, access, jitsi, hub: eventHub });
  app.addHook('onClose', async () => waiting.close());

  await app.register(authRoutes, { prefix: '/api/auth', auth, authenticate });
  // Every read of health data is recorded before it is answered (audit/access-audit.ts).
  const audit = new AccessAudit({ db, clock, addresses: config.audit.addresses, secret: config.tokenSecret! });
  await app.register(auditRoutes, { audit, authenticate, isAdmin: adminCheck(config) });
  await app.register(conferenceRoutes, { prefix: '/api/conferences', conferences, authenticate, audit, waiting });
  await app.register(apiKeyRoutes, { prefix: '/api/apikeys', keys: apiKeys, authenticate, isAdmin: adminCheck(config) });
  const joinLinks = new JoinLinkService({
    db,
    clock,
    access,
    jitsi,
    tokenSecret: config.tokenSecret!,
    publicUrl: config.publicUrl,
    defaultTtl: config.guestTokenTtl,
  });
  await app.register(joinLinkRoutes, { links: joinLinks, authenticate });
  await app.register(eventRoutes, {
    prefix: '/api/conferences',
    events: new ConferenceEventsService({ db: db.kysely, hub: eventHub, access }),
    authenticate,
    clock,
    audit,
  });
  await app.register(waitingRoutes, { prefix: '/api/conferences', waiting, authenticate, clock });
  await app.register(visitRoutes, { prefix: '/api/visit', waiting, guestTokens, clock });
  await app.register(fileRoutes, {
    files,
    authenticate,
    recorderSecret: config.recorderSecret,
    maxUploadBytes: config.maxUploadBytes,
    isAdmin: adminCheck(config),
    audit,
  });
  await app.register(recordingRoutes, { consents, recordings, uploads: recordingUploads, authenticate });
  app.decorate('recordingUploads', recordingUploads);
  const erasure = new ErasureService({ db, clock, files });
  await app.register(privacyRoutes, { erasure, authenticate, isAdmin: adminCheck(config), access });
  const { fileDays, personalDataDays } = config.retention;
  const retention = new RetentionJob({
    db,
    clock,
    files,
    erasure,
    audit,
    policy: { fileDays, personalDataDays, auditDays: config.audit.retentionDays },
    log: app.log,
  });
  app.decorate('privacy', { retention });
  app.decorate('jaasRecordings', null);
  if (config.jaasWebhookSecret || config.jitsiEventsSecret) {
    const feed = new JitsiPresenceFeed({ db, clock });
    const recordings = config.jaasWebhookSecret
      ? new JaasRecordingFetcher({ db, clock, files, hosts: config.jaasRecordingHosts, timeoutMs: config.jaasRecordingTimeout * 1000, log: app.log })
      : undefined;
    // Before storage and the database close: running downloads are aborted and recorded as failed (shutdown).
    if (recordings) {
      app.jaasRecordings = recordings;
      app.addHook('preClose', async () => recordings.close());
    }
    await app.register(jitsiEventRoutes, {
      prefix: '/api/jitsi',
      feed,
      clock,
      jaasSecret: config.jaasWebhookSecret,
      recordings,
      eventSyncSecret: config.jitsiEventsSecret,
    });
  }
  const organisations = new OrganisationService({ db, clock, access, auth });
  await app.register(organisationRoutes, { prefix: '/api/organisations', organisations, authenticate, isAdmin: adminCheck(config) });
  const quality = new QualityService({ db, clock, access });
  await app.register(qualityRoutes, { quality, authenticate, isAdmin: adminCheck(config) });
  // The pre-call check's STUN/TURN servers (SDK precheck, the guest page), in either video engine.
  const iceServers = new IceServerService({ iceServers: config.room.iceServers, turn: config.room.turn, clock, access });
  await app.register(networkRoutes, { iceServers, authenticate, guest: guestOfToken(guestTokens, waiting, clock) });
  if (config.jitsi.mode === 'builtin') {
    // Several processes share rooms through Redis when configured; an unreachable Redis stops the start.
    bus = config.room.redisUrl ? await createRedisRoomBus({ url: config.room.redisUrl, log: app.log }) : undefined;
    const opened = bus;
    if (opened) app.addHook('onClose', async () => opened.close());
    room = createBuiltinRoom({
      config,
      db,
      clock,
      conferences,
      access,
      removals: conferences.removals,
      files,
      quality,
      log: app.log,
      bus,
      events: eventHub,
      signer,
    });
    await app.register(roomRoutes, { room, publicUrl: config.publicUrl });
  }
  await app.register(webRoutes, { jitsiUrl: config.jitsi.url });

  // Webhooks: the outbox rows the event log writes, sent by the worker (webhooks/worker.ts) in every process that runs workers.
  const webhooks = createWebhooks({ config, db, clock, keyring, access, log: app.log });
  await app.register(webhookRoutes, { webhooks: webhooks.service, authenticate, isAdmin: adminCheck(config) });
  app.decorate('webhooks', webhooks);
  // Before the database closes: the round in progress finishes (its outcomes are recorded).
  app.addHook('preClose', async () => webhooks.close());

  const records = await createRecordsDomain({ config, db: db.kysely, sqliteFile: db.sqliteFile, clock, access, metrics, log: app.log });
  await app.register(recordsRoutes, { records: records.service, authenticate, audit });
  app.decorate('records', { sealer: records.sealer, anchorer: records.anchorer, ledger: records.ledger });
  app.addHook('onClose', async () => records.ledger.close?.());

  if (opts.workers) {
    const sweeper = startConferenceSweeper(conferences, config.sweepInterval, app.log);
    app.addHook('onClose', async () => sweeper.stop());
    const recordsWorkers = records.startWorkers();
    app.addHook('onClose', async () => recordsWorkers.stop());
    webhooks.worker.start();
    const retentionWorker = startRetentionJob(retention, config.retention.intervalSeconds, app.log);
    app.addHook('onClose', async () => retentionWorker.stop());
    // Chunked recordings left unfinished (a closed tab that never came back): their chunks are deleted.
    const abandonAfterMs = config.recording.abandonAfter * 1000;
    const abandoned = startPeriodicJob(() => recordingUploads.sweepAbandoned(abandonAfterMs), {
      name: 'abandoned recording uploads sweep',
      intervalMs: Math.min(abandonAfterMs, 3600_000),
      log: app.log,
    });
    app.addHook('onClose', async () => abandoned.stop());
  }
  return app;
}

/**
 * Fastify's trustProxy for the config's value. A hop count trusts that many hops from the server, the socket's peer
 * first (Fastify itself trusts nothing for a plain number, since the peer cannot be checked): safe only when V4H can
 * be reached through the proxies alone (README).
 */
function trustProxyOption(trust: Config['trustProxy']): FastifyHttpOptions<Server>['trustProxy'] {
  if (typeof trust !== 'number') return trust;
  return (_address: string, hop: number) => hop < trust;
}

/** The reference's introduction, for someone integrating V4H into their application. */
const API_DESCRIPTION = [
  'The HTTP API of this V4H server: telehealth video calls whose records a third party can verify.',
  'Most web pages use the browser SDK instead (`<script src="/v4h.js">`, the `V4H` class), which calls these routes for you.',
  '',
  '**Signing in.** `POST /api/auth/login` with `{ username, password }` answers an access token (valid 5 minutes by default) and a refresh token;',
  'send `Authorization: Bearer <accessToken>` on every other call and exchange the refresh token at `POST /api/auth/refresh` before the access token expires.',
  '',
  '**A consultation.** `POST /api/conferences` creates one (its `sessionId`), `POST /api/conferences/{sessionId}/start` opens the call for its owner',
  'and `…/join` for others, `…/guest-url` makes a link for a patient without an account, `…/end` ends it for everyone.',
  'Once ended, its record (`…/manifest`) can be checked by anyone with a verification link.',
  '',
  '**Errors** answer `{ error, message }`: `error` is a stable code to act on (`invalid_credentials`, `conference_ended`, `rate_limited`, …), `message` says what went wrong in English.',
  'Pages on another origin may call the API only when the server lists that origin in `V4H_CORS_ORIGINS`.',
].join('\n');

const API_TAGS = [
  { name: 'auth', description: 'Signing in and out, renewing tokens' },
  { name: 'conferences', description: 'Consultations: create, start or join the call, guest links, end, live events' },
  { name: 'visit', description: "A guest's visit to a waiting room, with the guest link's token (the guest page and the SDK's joinAsGuest)" },
  { name: 'files', description: 'Recordings and attachments of a consultation' },
  { name: 'recordings', description: 'Consent to recording as evidence, the recording’s start and stop, and its chunked upload' },
  { name: 'records', description: 'The verifiable record of a consultation: manifests, the ledger key, verification links' },
  { name: 'apikeys', description: "An organisation's API keys for server-to-server calls (its admins)" },
  { name: 'organisations', description: 'Organisations, their units and users, and the defaults of their conferences' },
  { name: 'admin', description: "The administrator's erasure of personal data" },
  { name: 'webhooks', description: "An organisation's signed webhooks: endpoints, secrets, deliveries" },
];
