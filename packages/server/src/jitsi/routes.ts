// Jitsi's event posts: JaaS webhooks (POST /api/jitsi/webhooks, signed; RECORDING_UPLOADED starts a download) and
// Prosody event_sync (POST /api/jitsi/event-sync/events/room/created|destroyed, /events/occupant/joined|left, bearer).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Clock } from '../lib/clock.js';
import { verifyJaasSignature } from './signatures.js';
import { bearerSecretCheck } from '../lib/bearer.js';
import { bodyHash, type JitsiPresenceFeed, type JitsiReport } from './presence-feed.js';
import type { JaasRecordingFetcher } from './recording-fetcher.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** JaaS recording downloads, when V4H_JAAS_WEBHOOK_SECRET is set (tests await idle()). */
    jaasRecordings: JaasRecordingFetcher | null;
  }
}

const JAAS_TYPES: Record<string, JitsiReport['type']> = {
  ROOM_CREATED: 'jitsi_room_created',
  ROOM_DESTROYED: 'jitsi_room_destroyed',
  PARTICIPANT_JOINED: 'jitsi_participant_joined',
  PARTICIPANT_LEFT: 'jitsi_participant_left',
  RECORDING_UPLOADED: 'jitsi_recording_uploaded',
};
const PROSODY_TYPES: Record<string, JitsiReport['type']> = {
  'room/created': 'jitsi_room_created',
  'room/destroyed': 'jitsi_room_destroyed',
  'occupant/joined': 'jitsi_participant_joined',
  'occupant/left': 'jitsi_participant_left',
};

type Body = Record<string, unknown>;
const text = (value: unknown, max = 512) => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined);

function parse(raw: string): Body {
  try {
    const body = JSON.parse(raw) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Body;
  } catch {
    // below
  }
  throw new AppError('bad_request', 'body is not a JSON object');
}

export interface JitsiEventRoutesOptions {
  feed: JitsiPresenceFeed;
  clock: Clock;
  jaasSecret?: string;
  /** Downloads JaaS recordings (with jaasSecret). */
  recordings?: JaasRecordingFetcher;
  eventSyncSecret?: string;
}

export const jitsiEventRoutes: FastifyPluginAsync<JitsiEventRoutesOptions> = async (app, { feed, clock, jaasSecret, recordings, eventSyncSecret }) => {
  // The signature covers the exact bytes: keep the raw text, parse after checking it.
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));
  const raw = (request: FastifyRequest) => (typeof request.body === 'string' ? request.body : '');
  const answer = (request: FastifyRequest, outcome: string, sessionId?: string) => {
    // Ids only: the room name is a random id of ours; Jitsi's names and e-mails are never logged.
    if (outcome === 'unknown_room') request.log.info('jitsi event for a room V4H does not know: ignored');
    return { status: outcome, ...(sessionId ? { sessionId } : {}) };
  };

  if (jaasSecret) {
    app.post('/webhooks', { schema: { hide: true } }, async (request) => {
      const verdict = verifyJaasSignature(request.headers['x-jaas-signature'] as string | undefined, raw(request), jaasSecret, clock.now());
      if (!verdict.ok) throw new AppError('unauthorized', verdict.reason);
      const body = parse(raw(request));
      const type = JAAS_TYPES[String(body.eventType)];
      const idempotencyKey = text(body.idempotencyKey);
      const room = text(body.fqn);
      if (!type) return answer(request, 'ignored');
      if (!idempotencyKey || !room) throw new AppError('bad_request', 'a JaaS event needs idempotencyKey and fqn');
      const data = (body.data && typeof body.data === 'object' ? body.data : {}) as Body;
      // The pre-authenticated link is a secret (anyone holding it can download the recording): never logged or kept.
      const link = type === 'jitsi_recording_uploaded' ? text(data.preAuthenticatedLink, 8192) : undefined;
      if (type === 'jitsi_recording_uploaded' && (!link || !recordings))
        throw new AppError('bad_request', 'a RECORDING_UPLOADED event needs data.preAuthenticatedLink');
      const { outcome, sessionId } = await feed.record({
        room,
        type,
        source: 'jaas',
        jitsiParticipantId: text(data.participantId, 128) ?? text(data.id, 128),
        jitsiSessionId: text(body.sessionId, 128),
        receiptKey: `jaas:${idempotencyKey}`,
        extraReceiptKey: `sig:${verdict.signature}`,
      });
      if (outcome === 'replayed') throw new AppError('unauthorized', 'this signed request was already received');
      if (link && recordings && outcome === 'recorded' && sessionId) {
        // Answered at once, downloaded in the background: a recording can take minutes, JaaS waits seconds for an
        // answer and would deliver again meanwhile. The outcome reaches the event log.
        return { sessionId, ...(await recordings.accept({ sessionId, link, jitsiSessionId: text(body.sessionId, 128) })) };
      }
      return answer(request, outcome, sessionId);
    });
  }

  if (eventSyncSecret) {
    const fromProsody = bearerSecretCheck(eventSyncSecret);
    app.post<{ Params: { kind: string; what: string } }>('/event-sync/events/:kind/:what', { schema: { hide: true } }, async (request) => {
      if (!fromProsody(request.headers.authorization)) throw new AppError('unauthorized', 'wrong or missing event_sync secret');
      const type = PROSODY_TYPES[`${request.params.kind}/${request.params.what}`];
      if (!type) throw new AppError('not_found', 'unknown event_sync event');
      const body = parse(raw(request));
      const room = text(body.room_name) ?? text(body.room_jid);
      if (!room) throw new AppError('bad_request', 'an event_sync event needs room_name');
      const occupant = (body.occupant && typeof body.occupant === 'object' ? body.occupant : {}) as Body;
      const { outcome, sessionId } = await feed.record({
        room,
        type,
        source: 'prosody',
        jitsiParticipantId: text(occupant.id, 128) ?? text(occupant.occupant_jid, 256)?.split('/').pop(),
        // event_sync retries a failed post with the same body: its hash identifies the delivery.
        receiptKey: `prosody:${bodyHash(`${type}\n${raw(request)}`)}`,
      });
      return answer(request, outcome, sessionId);
    });
  }
};
