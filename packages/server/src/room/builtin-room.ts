// Wires the built-in room: token verifier from the room app's secret, event-log actors, the live room service.
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { createRoomTokenVerifier, type RoomIdentity } from './room-tokens.js';
import { Readable } from 'node:stream';
import type { FileService } from '../storage/service.js';
import type { QualitySummary } from './quality.js';
import { RoomService, type RoomAccess, type RoomConferences, type RoomRemovals } from './service.js';
import type { PeerAccount } from './protocol.js';
import { accountAdmitted } from '../auth/admission.js';
import type { RoomBus } from './bus.js';
import { RoomRecording } from './recording-relay.js';
import type { AccessTokenSigner } from '../auth/access-tokens.js';

/** What the room needs of the quality domain (QualityService): declared here, so room does not import quality, which imports room. */
export interface RoomQuality {
  save(sessionId: string, participantId: string, summary: QualitySummary): Promise<void>;
}

/** The room service for `config.jitsi.mode === 'builtin'` (app id and secret resolved by secrets.ts). */
export function createBuiltinRoom(deps: {
  config: Config;
  db: Db;
  clock: Clock;
  conferences: RoomConferences;
  /** Who may do what (ConferenceService.access); default: the policy's rules from the conference row. */
  access?: RoomAccess;
  /** Kicks and revoked guest links (ConferenceService.removals). */
  removals?: RoomRemovals;
  /** Where the owner's saved chat goes (an attachment); without it saving the chat is unavailable. */
  files?: FileService;
  /** Where the pages' call quality summaries go; without it they are dropped. */
  quality?: RoomQuality;
  log?: RoomServiceLog;
  /** Extra wait, after the grace period, before participants from a previous process are recorded as gone. */
  orphanDelayMs?: number;
  /** Rooms across processes (V4H_REDIS_URL); the caller owns and closes it. */
  bus?: RoomBus;
  /** The conference event log as it grows (events/hub.ts): recording and consent state for the pages. */
  events?: { subscribe(sessionId: string, afterSeq: number, listener: (rows: readonly { seq: number; type: string; data: string }[]) => void): () => void };
  /** Signs the API token the owner's page uploads its recording with. */
  signer?: AccessTokenSigner;
}): RoomService {
  const { config, db } = deps;
  if (!config.jitsi.appId || !config.jitsi.appSecret) throw new Error('the built-in room needs an app id and secret (resolveSecrets)');
  const verifyToken = createRoomTokenVerifier({
    appId: config.jitsi.appId,
    appSecret: config.jitsi.appSecret,
    domain: new URL(config.jitsi.url).hostname,
    now: () => deps.clock.now(),
  });
  // Event-log actors name people by opaque id only (docs/manifest.md §1.1), as the conferences domain does.
  const actorFor = async (identity: RoomIdentity) => (identity.userId === null ? `guest:${identity.id}` : `user:${identity.userId}`);
  // The username beside the display name: "Dr. Alice" typed by bob is visibly bob (issue 15). Guests get a mark.
  const accountOf = async (identity: RoomIdentity): Promise<PeerAccount> => {
    if (identity.userId === null) return { kind: 'guest' };
    const user = await db.kysely.selectFrom('users').select('username').where('id', '=', identity.userId).executeTakeFirst();
    return { kind: 'user', username: user?.username ?? identity.userId };
  };
  const { events, signer } = deps;
  const recording = events
    ? new RoomRecording({
        subscribe: (sessionId, listener) => events.subscribe(sessionId, 0, listener),
        apiToken: signer ? (identity) => apiToken(db, deps.clock, signer, identity) : undefined,
        log: deps.log,
      })
    : undefined;
  return new RoomService({
    conferences: deps.conferences,
    access: deps.access,
    verifyToken,
    actorFor,
    accountOf,
    removals: deps.removals,
    maxParticipants: config.room.maxParticipants,
    graceSeconds: config.room.graceSeconds,
    admitted: (identity) => accountAdmitted(db.kysely, identity.userId!, identity.familyId),
    accountCheckMs: config.room.accountCheckSeconds * 1000,
    resumeSecret: config.jitsi.appSecret,
    // Room participants (ids "r-…") still present from before this process started: recorded as gone unless they come back.
    orphans: () =>
      db.kysely
        .selectFrom('participants')
        .innerJoin('conferences', 'conferences.session_id', 'participants.session_id')
        .select(['participants.session_id as sessionId', 'participants.participant_id as participantId'])
        .where('participants.left_at', 'is', null)
        .where('conferences.state', '!=', 'ended')
        .where('participants.participant_id', 'like', 'r-%')
        .execute(),
    orphanDelayMs: deps.orphanDelayMs,
    iceServers: config.room.iceServers,
    saveQuality: deps.quality ? (p) => deps.quality!.save(p.sessionId, p.participantId, p.summary) : undefined,
    turn: config.room.turn,
    bus: deps.bus,
    saveChat: deps.files ? (p) => saveChat(db, deps.files!, p) : undefined,
    recording,
    log: deps.log,
  });
}

/**
 * An access token for a user's room page, in the login session the room token came from, while that session and the
 * account stand (the same checks as a token renewal); a room token without a session (`fid`) gets none.
 */
async function apiToken(db: Db, clock: Clock, signer: AccessTokenSigner, identity: RoomIdentity) {
  if (!identity.userId || !identity.familyId) return undefined;
  if (!(await accountAdmitted(db.kysely, identity.userId, identity.familyId))) return undefined;
  const user = await db.kysely.selectFrom('users').select('username').where('id', '=', identity.userId).executeTakeFirst();
  return user ? signer.sign({ userId: identity.userId, username: user.username, familyId: identity.familyId }, clock.now()) : undefined;
}

/** The transcript as a text attachment uploaded by the owner: stored, hashed and recorded like any file. */
async function saveChat(db: Db, files: FileService, p: { sessionId: string; userId: string; transcript: string }) {
  const user = await db.kysely.selectFrom('users').select('username').where('id', '=', p.userId).executeTakeFirst();
  if (!user) throw new Error('the owner no longer exists');
  const body = Buffer.from(p.transcript, 'utf8');
  const stored = await files.upload({
    principal: { kind: 'user', id: p.userId, username: user.username },
    target: { sessionId: p.sessionId },
    kind: 'attachment',
    // A fixed name: nothing personal in the record.
    name: 'chat.txt',
    contentType: 'text/plain; charset=utf-8',
    contentLength: body.length,
    digests: [],
    body: Readable.from([body]),
  });
  return { fileId: stored.fileId, sha256: stored.sha256 };
}

type RoomServiceLog = { warn(obj: object, msg: string): void };
