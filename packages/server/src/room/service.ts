// The built-in room's live state: who is in which room, signaling relay, presence and the room life cycle.
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../lib/ids.js';
import { parseClientMessage, type ClientMessage, type PeerAccount, type PeerInfo, type RoomErrorCode, type ServerMessage } from './protocol.js';
import type { QualitySummary } from './quality.js';
import { RoomTokenError, type RoomIdentity, type RoomTokenVerifier } from './room-tokens.js';
import { turnCredentials, type TurnSettings } from './turn.js';
import type { BusEnvelope, MemberRecord, RoomBus } from './bus.js';
import { permitsFromRow } from '../conferences/access-policy.js';
import { deriveKey } from '../lib/keys.js';
import type { RelayMember, RoomRecording } from './recording-relay.js';

/** What the room needs from the conferences domain (ConferenceService fits it). */
export interface RoomConferences {
  findByRoomName(roomName: string): Promise<{ sessionId: string; state: string; ownerId: string } | undefined>;
  participantJoined(p: { sessionId: string; participantId: string; userId: string | null; displayName: string | null; actor: string }): Promise<void>;
  participantLeft(p: { sessionId: string; participantId: string; actor: string }): Promise<{ ended: boolean }>;
  endConference(sessionId: string, how: { actor: string; reason: 'moderator' }): Promise<void>;
  onEnded(listener: (sessionId: string, roomName: string) => void): () => void;
}

/** The access policy's answers the room needs (conferences/access-policy.ts: AccessPolicy fits it). */
export interface RoomAccess {
  permits(who: { kind: 'user'; id: string } | { kind: 'guest'; id: string }, conference: { ownerId: string }, action: { do: 'save_chat' }): boolean;
}

/** One browser's WebSocket, as the service sees it. */
export interface RoomSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface RoomServiceOptions {
  conferences: RoomConferences;
  /** Who may do what in a conference (default: the policy's rules from the conference row, permitsFromRow). */
  access?: RoomAccess;
  verifyToken: RoomTokenVerifier;
  /** The event-log actor for a verified identity (`user:<userId>` or `guest:<guestId>`). */
  actorFor(identity: RoomIdentity): Promise<string>;
  /** Whose account the identity is (its username), shown beside the display name; default: the user id. */
  accountOf?(identity: RoomIdentity): Promise<PeerAccount>;
  maxParticipants: number;
  graceSeconds: number;
  /** Keys resume tokens, so that a participant can come back even after a server restart. */
  resumeSecret: string;
  /**
   * Participants the conferences domain still counts as present in this room engine (from before a restart).
   * Those that have not come back within the grace period (plus `orphanDelayMs`) are recorded as gone.
   */
  orphans?: () => Promise<Array<{ sessionId: string; participantId: string }>>;
  orphanDelayMs?: number;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
  /**
   * Whether a verified user may (still) be in a call: account enabled, login session not revoked (auth/admission.ts).
   * Checked at every join and resume, and every `accountCheckMs` for everyone in a room: the token only admits (it is
   * short-lived); the server renews the admission while this holds and removes the participant once it does not.
   * Guests (no account) are not checked. Absent: users are never checked.
   */
  admitted?(identity: RoomIdentity): Promise<boolean>;
  accountCheckMs?: number;
  /** TURN REST API: every admission (and resume) hands the participant fresh credentials of its own. */
  turn?: TurnSettings;
  /** Stores the owner's chat transcript as an attachment of the conference (absent: saving is unavailable). */
  saveChat?(p: { sessionId: string; userId: string; transcript: string }): Promise<{ fileId: string; sha256: string }>;
  /** Keeps a participant's call quality summary (absent: summaries are dropped). */
  saveQuality?(p: { sessionId: string; participantId: string; summary: QualitySummary }): Promise<void>;
  /** Kicks and revoked guest links (ConferenceService.removals fits it); absent: nobody can be removed. */
  removals?: RoomRemovals;
  log?: { warn(obj: object, msg: string): void };
  /**
   * Rooms across processes (V4H_REDIS_URL): membership, seats, signaling and room events go through the bus, so
   * members connected to different processes meet. Absent: the room lives in this process.
   */
  bus?: RoomBus;
  /** How often members of other processes are checked for a dead process (default 1 s). */
  processCheckMs?: number;
  /** Recording and consent (recording-relay.ts): the log's state to the pages, their answers back; absent: neither. */
  recording?: RoomRecording;
}

/** What the room needs to remove people for good (conferences/removals.ts). */
export interface RoomRemovals {
  isRemoved(sessionId: string, subject: string): Promise<boolean>;
  removeParticipant(p: { sessionId: string; subject: `user:${string}` | `guest:${string}`; participantId: string; actor: string }): Promise<void>;
  onRemoved(listener: (p: { sessionId: string; roomName: string; subject: string }) => void): () => void;
}

interface Participant {
  info: PeerInfo;
  identity: RoomIdentity;
  actor: string;
  socket: RoomSocket | null;
  graceTimer?: NodeJS.Timeout;
  /** Counted against the cap but not yet announced (presence being recorded). */
  pending: boolean;
  /** The page's latest call quality summary, and whether it is stored yet (written at most every 20 s, and at leave). */
  quality?: { summary: QualitySummary; saved: boolean; savedAt: number };
  /** A member connected to another process (its id): a mirror kept from the bus, reached through it. */
  remote?: string;
  /** A mirror whose process died: its grace period runs here. */
  orphanedBy?: string;
}

interface Room {
  name: string;
  sessionId: string;
  ownerId: string;
  participants: Map<string, Participant>;
  /** With a bus: subscribed to the room's channel and mirrors loaded. */
  ready?: Promise<void>;
  /** Set by a moderator; lives with the room in this process (not stored). */
  subject?: string;
}

const JOIN_TIMEOUT_MS = 10_000;
const RATE_WINDOW_MS = 10_000;
const RATE_MAX_MESSAGES = 600;
/** A page reports its quality every 30 s and on leave; more often is kept in memory until the leave. */
const QUALITY_WRITE_MS = 20_000;
/** How long after its token's expiry a live participant may still reconnect. */
const MAX_EXPIRED_RESUME_S = 24 * 3600;

const ACCESS_REVOKED = 'this account may no longer be in calls (disabled, or signed out)';

/** WebSocket close codes the meeting page understands. */
export const CLOSE = { normal: 1000, refused: 4400, removed: 4403, ended: 4410, replaced: 4409, restarting: 1012 } as const;

/** Live rooms of this server process. */
export class RoomService {
  readonly #o: RoomServiceOptions;
  readonly #rooms = new Map<string, Room>();
  readonly #unsubscribe: () => void;
  readonly #unsubscribeRemovals: () => void;
  /** Kicks being recorded (`room\0subject`): their onRemoved is left to #kick, which names the kicker. */
  readonly #kicking = new Set<string>();
  readonly #orphanTimer: NodeJS.Timeout | undefined;
  readonly #accountTimer: NodeJS.Timeout | undefined;
  #checkingAccounts = false;
  readonly #processTimer: NodeJS.Timeout | undefined;

  readonly #access: RoomAccess;
  /** Keys resume keys (derived from resumeSecret). */
  readonly #resumeKeyKey: Buffer;

  constructor(options: RoomServiceOptions) {
    this.#o = options;
    this.#access = options.access ?? { permits: permitsFromRow };
    this.#resumeKeyKey = deriveKey(options.resumeSecret, 'v4h room resume keys v1');
    this.#unsubscribe = options.conferences.onEnded((_sessionId, roomName) => this.#closeRoom(roomName, 'ended'));
    // A guest link revoked over the API: its guest leaves the room now, on whichever process holds its socket (the
    // process that answered the request may hold no member of the room at all).
    this.#unsubscribeRemovals =
      options.removals?.onRemoved((p) => {
        if (this.#kicking.has(`${p.roomName}\0${p.subject}`)) return;
        this.#removeSubject(p.roomName, p.subject, null);
        const bus = options.bus;
        bus
          ?.publish(p.roomName, { from: bus.processId, kind: 'remove', subject: p.subject })
          .catch((e: unknown) => options.log?.warn({ err: e }, 'room: relaying a removal failed'));
      }) ?? (() => {});
    if (options.admitted) {
      this.#accountTimer = setInterval(() => void this.#checkAccounts(), options.accountCheckMs ?? 10_000);
      this.#accountTimer.unref?.();
    }
    if (options.bus) {
      options.bus.onEnvelope((roomName, envelope) => this.#onEnvelope(roomName, envelope));
      this.#processTimer = setInterval(
        () => void this.#checkProcesses().catch((e: unknown) => options.log?.warn({ err: e }, 'room: checking other processes failed')),
        options.processCheckMs ?? 1000,
      );
      this.#processTimer.unref?.();
    }
    if (options.orphans) {
      const delay = options.graceSeconds * 1000 + (options.orphanDelayMs ?? 5000);
      this.#orphanTimer = setTimeout(
        () => void this.#sweepOrphans().catch((e: unknown) => options.log?.warn({ err: e }, 'room: recording orphans failed')),
        delay,
      );
      this.#orphanTimer.unref?.();
    }
  }

  /** Participants currently in a room (for tests and diagnostics). */
  participants(roomName: string): PeerInfo[] {
    return [...(this.#rooms.get(roomName)?.participants.values() ?? [])].filter((p) => !p.pending).map((p) => ({ ...p.info }));
  }

  /** Live rooms and their participants in this process (for metrics; joins being recorded count; not members of other processes). */
  counts(): { rooms: number; participants: number } {
    let participants = 0;
    for (const room of this.#rooms.values()) participants += localCount(room);
    return { rooms: this.#rooms.size, participants };
  }

  /** Attaches a new WebSocket; returns the handlers the transport calls. */
  connect(socket: RoomSocket): { message(raw: string): void; closed(): void } {
    let me: { room: Room; participant: Participant } | undefined;
    let joining = false;
    let gone = false;
    // Messages are handled one at a time, in order.
    let queue = Promise.resolve();
    // A socket that does not join soon is closed: unauthenticated connections do not linger.
    const joinTimer = setTimeout(() => {
      if (!me && !joining) this.#refuse(socket, 'bad_message', 'join first');
    }, JOIN_TIMEOUT_MS);
    joinTimer.unref?.();
    const handle = async (msg: ClientMessage) => {
      if (msg.type === 'join') {
        if (me || joining) return this.#send(socket, error('bad_message', 'already joined', false));
        joining = true;
        me = await this.#join(socket, msg).catch((e: unknown) => {
          this.#o.log?.warn({ err: e }, 'room join failed');
          this.#refuse(socket, 'unavailable', 'the room is unavailable; try again shortly');
          return undefined;
        });
        if (me && gone) this.#disconnected(me.room, me.participant, socket);
        return;
      }
      if (!me || me.participant.socket !== socket) return this.#send(socket, error('bad_message', 'join first', false));
      await this.#command(me.room, me.participant, msg);
    };
    let windowStart = Date.now();
    let inWindow = 0;
    return {
      message: (raw) => {
        // Flood guard: far above what negotiation needs (a few dozen candidates per peer).
        if (Date.now() - windowStart > RATE_WINDOW_MS) {
          windowStart = Date.now();
          inWindow = 0;
        }
        if (++inWindow > RATE_MAX_MESSAGES) return socket.close(1008, 'too many messages');
        const msg = parseClientMessage(raw);
        if (!msg) return this.#send(socket, error('bad_message', 'malformed message', false));
        queue = queue.then(() => handle(msg)).catch((e: unknown) => this.#o.log?.warn({ err: e }, 'room message failed'));
      },
      closed: () => {
        gone = true;
        clearTimeout(joinTimer);
        if (me) this.#disconnected(me.room, me.participant, socket);
      },
    };
  }

  /**
   * Closes every room without recording leaves (server shutdown): each page is told the server is restarting
   * (close code 1012), so it reconnects and resumes on the next process; the sweeper ends what stays open.
   */
  close() {
    this.#unsubscribe();
    this.#unsubscribeRemovals();
    this.#o.recording?.close();
    clearTimeout(this.#orphanTimer);
    clearInterval(this.#accountTimer);
    // Members stay in the shared room: their pages resume on another process (the bus's owner closes it).
    clearInterval(this.#processTimer);
    const rooms = [...this.#rooms.values()];
    this.#rooms.clear();
    for (const room of rooms) {
      const participants = [...room.participants.values()];
      // Cleared first, so that the sockets' close events start no grace timers.
      room.participants.clear();
      for (const p of participants) {
        clearTimeout(p.graceTimer);
        if (!p.socket || p.remote) continue;
        this.#send(p.socket, { type: 'restarting' });
        p.socket.close(CLOSE.restarting, 'server restarting');
      }
    }
  }

  async #join(socket: RoomSocket, msg: Extract<ClientMessage, { type: 'join' }>) {
    let identity: RoomIdentity;
    let expired = false;
    try {
      identity = await this.#o.verifyToken(msg.jwt, msg.roomName);
    } catch (e) {
      if (!(e instanceof RoomTokenError)) throw e;
      // Tokens are checked at join, as Prosody does: a participant still in the call may reconnect after its token expired.
      const retry =
        e.code === 'token_expired' && msg.resume
          ? await this.#o.verifyToken(msg.jwt, msg.roomName, { expiredUpTo: MAX_EXPIRED_RESUME_S }).catch(() => undefined)
          : undefined;
      if (!retry) return void this.#refuse(socket, e.code, e.message);
      identity = retry;
      expired = true;
    }
    // The token only admits: joining (and resuming, after the token's expiry too) needs the account still in good standing.
    if (!(await this.#mayStay(identity))) return void this.#refuse(socket, 'access_revoked', ACCESS_REVOKED);
    const conference = await this.#o.conferences.findByRoomName(msg.roomName);
    if (!conference) return void this.#refuse(socket, 'conference_not_found', 'there is no conference for this room');
    if (conference.state === 'ended') return void this.#refuse(socket, 'conference_ended', 'this conference has ended');
    // Removed by the moderator (or a revoked guest link): this token, and any other of that person, stays out.
    if (this.#o.removals && (await this.#o.removals.isRemoved(conference.sessionId, await this.#o.actorFor(identity)))) {
      return void this.#refuse(socket, 'removed', 'you were removed from this conference by its owner');
    }

    if (this.#o.bus) return this.#joinShared(socket, msg, identity, expired, conference);
    let room = this.#rooms.get(msg.roomName);
    // The key binds participant, identity and room: it proves this browser was that participant.
    const resumeId = msg.resume && this.#resumeValid(msg.roomName, msg.resume, identity.id) ? msg.resume.participantId : undefined;
    const known = resumeId ? room?.participants.get(resumeId) : undefined;
    if (room && known && !known.pending) return this.#resume(room, known, socket);
    if (expired) return void this.#refuse(socket, 'token_expired', 'the token has expired');
    if (!room) {
      room = { name: msg.roomName, sessionId: conference.sessionId, ownerId: conference.ownerId, participants: new Map() };
      this.#rooms.set(room.name, room);
    }
    const refusal = this.#seatRefusal(room, identity);
    if (refusal) {
      if (localCount(room) === 0) this.#rooms.delete(room.name);
      return void this.#refuse(socket, refusal.code, refusal.message);
    }
    // Known to the conference but not to this process (restart, or back after the grace period): same participant.
    const participant = newParticipant(msg, identity, socket, resumeId && !known ? resumeId : undefined);
    // Reserve the seat before any await so that concurrent joins cannot exceed the cap.
    room.participants.set(participant.info.id, participant);
    try {
      participant.actor = await this.#o.actorFor(identity);
      if (this.#o.accountOf) participant.info.account = await this.#o.accountOf(identity);
    } catch (e) {
      this.#drop(room, participant);
      throw e;
    }
    return this.#admit(room, participant, socket);
  }

  /** Records the presence of a participant whose seat is reserved, then announces it. */
  async #admit(room: Room, participant: Participant, socket: RoomSocket) {
    const bus = this.#o.bus;
    try {
      await this.#o.conferences.participantJoined({
        sessionId: room.sessionId,
        participantId: participant.info.id,
        userId: participant.identity.userId,
        displayName: participant.info.displayName,
        actor: participant.actor,
      });
      if (bus) {
        participant.pending = false;
        await bus.update(room.name, this.#record(room, participant));
        await this.#syncMirrors(room);
      }
    } catch (e) {
      this.#drop(room, participant);
      if (bus) void bus.remove(room.name, participant.info.id, bus.processId).catch(() => {});
      const code = (e as { code?: string }).code;
      if (code === 'conference_ended' || code === 'not_found') {
        return void this.#refuse(socket, 'conference_ended', 'this conference has ended');
      }
      throw e;
    }
    if (this.#rooms.get(room.name) !== room) {
      // The conference ended while we were recording the join.
      return void this.#refuse(socket, 'conference_ended', 'this conference has ended');
    }
    participant.pending = false;
    this.#broadcast(room, { type: 'participant-joined', participant: participant.info }, participant);
    this.#sendJoined(room, participant, socket, false);
    return { room, participant };
  }

  /** A join when rooms span processes: seats are reserved in Redis, members of other processes are mirrors. */
  async #joinShared(
    socket: RoomSocket,
    msg: Extract<ClientMessage, { type: 'join' }>,
    identity: RoomIdentity,
    expired: boolean,
    conference: { sessionId: string; ownerId: string },
  ) {
    const bus = this.#o.bus!;
    const room = await this.#sharedRoom(msg.roomName, conference);
    const resumeId = msg.resume && this.#resumeValid(msg.roomName, msg.resume, identity.id) ? msg.resume.participantId : undefined;
    // A member that was on another process (dead, stopping, or the load balancer sent the page elsewhere).
    if (resumeId && !room.participants.has(resumeId)) await this.#syncMirrors(room);
    const known = resumeId ? room.participants.get(resumeId) : undefined;
    if (known && !known.pending) return known.remote ? this.#takeOver(room, known, identity, socket) : this.#resume(room, known, socket);
    if (expired) {
      this.#forgetIfIdle(room);
      return void this.#refuse(socket, 'token_expired', 'the token has expired');
    }
    const participant = newParticipant(msg, identity, socket, resumeId && !known ? resumeId : undefined);
    room.participants.set(participant.info.id, participant);
    let refusal: RoomErrorCode | undefined;
    try {
      participant.actor = await this.#o.actorFor(identity);
      if (this.#o.accountOf) participant.info.account = await this.#o.accountOf(identity);
      refusal = await bus.reserve(room.name, this.#record(room, participant), this.#o.maxParticipants);
    } catch (e) {
      this.#drop(room, participant);
      throw e;
    }
    if (refusal) {
      this.#drop(room, participant);
      const message =
        refusal === 'room_full'
          ? `the room is full (at most ${this.#o.maxParticipants} participants)`
          : 'this guest link is already in use in the call (one person per link at a time)';
      return void this.#refuse(socket, refusal, message);
    }
    return this.#admit(room, participant, socket);
  }

  /** This process's part of a shared room: subscribed to its channel, with mirrors of the members elsewhere. */
  async #sharedRoom(roomName: string, conference: { sessionId: string; ownerId: string }): Promise<Room> {
    let room = this.#rooms.get(roomName);
    if (!room) {
      const created: Room = { name: roomName, sessionId: conference.sessionId, ownerId: conference.ownerId, participants: new Map() };
      created.ready = this.#o.bus!.subscribe(roomName).then(() => this.#syncMirrors(created));
      created.ready.catch(() => {
        if (this.#rooms.get(roomName) === created) this.#rooms.delete(roomName);
      });
      this.#rooms.set(roomName, created);
      room = created;
    }
    await room.ready;
    return room;
  }

  /** A member of another process resumes here: this process holds its socket from now on. */
  async #takeOver(room: Room, p: Participant, identity: RoomIdentity, socket: RoomSocket) {
    const actor = await this.#o.actorFor(identity);
    if (room.participants.get(p.info.id) !== p || !p.remote) return void this.#refuse(socket, 'unavailable', 'the room is unavailable; try again shortly');
    clearTimeout(p.graceTimer);
    p.remote = undefined;
    p.identity = identity;
    p.actor = actor;
    p.socket = socket;
    p.info.connected = true;
    await this.#o.bus!.update(room.name, this.#record(room, p));
    this.#broadcast(room, { type: 'participant-resumed', participant: p.info }, p);
    this.#sendJoined(room, p, socket, true);
    return { room, participant: p };
  }

  #record(room: Room, p: Participant): MemberRecord {
    const userId = p.identity.userId;
    return {
      info: p.info,
      process: this.#o.bus!.processId,
      identityId: p.identity.id,
      userId,
      owner: userId !== null && userId === room.ownerId,
      actor: p.actor,
      pending: p.pending,
    };
  }

  /** Writes a local member's state to the shared room (newcomers on other processes read it). */
  #persist(room: Room, p: Participant) {
    if (!this.#o.bus || p.remote) return;
    void this.#o.bus.update(room.name, this.#record(room, p)).catch((e: unknown) => this.#o.log?.warn({ err: e }, 'room: sharing a member failed'));
  }

  /** Rebuilds the mirrors of members on other processes from the shared membership. */
  async #syncMirrors(room: Room) {
    const records = await this.#o.bus!.members(room.name);
    const seen = new Set<string>();
    for (const r of records) {
      if (r.pending || r.process === this.#o.bus!.processId) continue;
      seen.add(r.info.id);
      const p = room.participants.get(r.info.id);
      if (p && !p.remote) continue;
      if (p) {
        if (p.remote !== r.process) clearTimeout(p.graceTimer);
        p.info = r.info;
        p.remote = r.process;
        // A mirror first learnt from a join message lacks these (a kick needs them).
        p.actor = r.actor;
        p.identity = { ...p.identity, id: r.identityId, userId: r.userId };
      } else room.participants.set(r.info.id, mirror(r));
    }
    for (const p of room.participants.values()) {
      if (p.remote && !seen.has(p.info.id)) {
        clearTimeout(p.graceTimer);
        room.participants.delete(p.info.id);
      }
    }
  }

  /** A message on a shared room's channel from another process. */
  #onEnvelope(roomName: string, e: BusEnvelope) {
    const bus = this.#o.bus!;
    if (e.from === bus.processId) return;
    const room = this.#rooms.get(roomName);
    if (!room) return;
    if (e.kind === 'close') return this.#closeRoom(roomName, e.reason, true);
    // Seats the sender already closed through their mirrors are gone by now (same channel, in order): no repeat.
    if (e.kind === 'remove') return this.#removeSubject(roomName, e.subject, null, { localOnly: true });
    const msg = e.msg;
    if (e.to !== undefined) {
      const target = room.participants.get(e.to);
      if (target && !target.remote && !target.pending) {
        this.#send(target.socket, msg);
        // Removed by a moderator on another process (which records the leave): this process closes the seat.
        if (msg.type === 'kicked') this.#closeKicked(room, target);
      }
      return;
    }
    switch (msg.type) {
      case 'participant-joined':
      case 'participant-updated':
      case 'participant-resumed': {
        const p = room.participants.get(msg.participant.id);
        if (p && !p.remote) {
          if (msg.type !== 'participant-resumed') break;
          // Resumed on another process: that one holds the socket now; ours (if any) is stale.
          clearTimeout(p.graceTimer);
          const old = p.socket;
          p.socket = null;
          p.remote = e.from;
          p.info = msg.participant;
          old?.close(CLOSE.replaced, 'resumed elsewhere');
          if (localCount(room) === 0) this.#forgetRoom(room);
        } else if (p) {
          if (msg.type === 'participant-resumed' || p.remote !== e.from) clearTimeout(p.graceTimer);
          p.info = msg.participant;
          p.remote = e.from;
        } else {
          room.participants.set(
            msg.participant.id,
            mirror({ info: msg.participant, process: e.from, identityId: '', userId: null, owner: false, actor: '', pending: false }),
          );
        }
        break;
      }
      case 'participant-left': {
        const p = room.participants.get(msg.id);
        if (p?.remote) {
          clearTimeout(p.graceTimer);
          room.participants.delete(msg.id);
        }
        break;
      }
    }
    const data = JSON.stringify(msg);
    for (const p of room.participants.values()) if (!p.remote && !p.pending && p.socket && p.info.id !== e.except) p.socket.send(data);
  }

  /**
   * Members held by a process whose heartbeat stopped (killed, or its Redis link lost) are disconnected: the others
   * see them so at once and, unless their page resumes on a live process within the grace period, one process
   * records the leave (the one whose removal from Redis succeeds).
   */
  async #checkProcesses() {
    const bus = this.#o.bus!;
    const mirrors = [...this.#rooms.values()].flatMap((room) => [...room.participants.values()].filter((p) => p.remote).map((p) => ({ room, p })));
    if (mirrors.length === 0) return;
    const dead = await bus.deadProcesses(mirrors.map(({ p }) => p.remote!));
    for (const { room, p } of mirrors) {
      if (!dead.has(p.remote!) || p.orphanedBy === p.remote || room.participants.get(p.info.id) !== p) continue;
      const process = p.remote!;
      p.orphanedBy = process;
      clearTimeout(p.graceTimer);
      p.info.connected = false;
      const data = JSON.stringify({ type: 'participant-updated', participant: p.info } satisfies ServerMessage);
      for (const o of room.participants.values()) if (!o.remote && !o.pending && o.socket) o.socket.send(data);
      p.graceTimer = setTimeout(
        () => void this.#reapDead(room, p, process).catch((e: unknown) => this.#o.log?.warn({ err: e }, 'room: recording a leave failed')),
        this.#o.graceSeconds * 1000,
      );
      p.graceTimer.unref?.();
    }
  }

  async #reapDead(room: Room, p: Participant, process: string) {
    const bus = this.#o.bus!;
    if (room.participants.get(p.info.id) !== p || p.remote !== process) return;
    const record = (await bus.members(room.name)).find((r) => r.info.id === p.info.id);
    if (!record || record.process !== process) return;
    p.actor = record.actor;
    await this.#leave(room, p);
  }

  /**
   * Seats (docs/room.md, "Seats"): one of the `maxParticipants` seats is the owner's, so others fill at most
   * `maxParticipants − 1` and the owner's first device always gets in; a guest link seats one person at a time
   * (a second browser is refused while the first is in the room, its grace period included).
   * Checked and reserved in one turn (no await in between): concurrent joins cannot pass it together.
   */
  #seatRefusal(room: Room, identity: RoomIdentity): { code: RoomErrorCode; message: string } | undefined {
    const max = this.#o.maxParticipants;
    const present = [...room.participants.values()];
    const isOwner = (i: RoomIdentity) => i.userId !== null && i.userId === room.ownerId;
    if (identity.userId === null && present.some((p) => p.identity.id === identity.id)) {
      return { code: 'guest_link_in_use', message: 'this guest link is already in use in the call (one person per link at a time)' };
    }
    const full = { code: 'room_full' as const, message: `the room is full (at most ${max} participants)` };
    if (isOwner(identity)) return present.some((p) => isOwner(p.identity)) && present.length >= max ? full : undefined;
    const others = present.filter((p) => !isOwner(p.identity)).length;
    return others >= max - 1 || present.length >= max ? full : undefined;
  }

  #resume(room: Room, p: Participant, socket: RoomSocket) {
    clearTimeout(p.graceTimer);
    const old = p.socket;
    p.socket = socket;
    if (old && old !== socket) old.close(CLOSE.replaced, 'resumed elsewhere');
    p.info.connected = true;
    this.#persist(room, p);
    this.#broadcast(room, { type: 'participant-resumed', participant: p.info }, p);
    this.#sendJoined(room, p, socket, true);
    return { room, participant: p };
  }

  /** Tells the others (and the shared room) that a local participant's state changed. */
  #updated(room: Room, p: Participant) {
    this.#persist(room, p);
    this.#broadcast(room, { type: 'participant-updated', participant: p.info }, p);
  }

  /** Sends to one member, here or on another process. */
  #sendTo(room: Room, target: Participant, msg: ServerMessage) {
    if (!target.remote) return this.#send(target.socket, msg);
    void this.#o.bus
      ?.publish(room.name, { from: this.#o.bus.processId, kind: 'message', msg, to: target.info.id })
      .catch((e: unknown) => this.#o.log?.warn({ err: e }, 'room: relaying a message failed'));
  }

  async #command(room: Room, p: Participant, msg: ClientMessage) {
    switch (msg.type) {
      case 'signal': {
        const target = room.participants.get(msg.to);
        if (target && !target.pending && (target.socket || target.remote)) this.#sendTo(room, target, { type: 'signal', from: p.info.id, data: msg.data });
        return;
      }
      case 'mute':
        if (msg.audio !== undefined) p.info.audioMuted = msg.audio;
        if (msg.video !== undefined) p.info.videoMuted = msg.video;
        return this.#updated(room, p);
      case 'share':
        p.info.screenSharing = msg.on;
        return this.#updated(room, p);
      case 'profile':
        if (msg.displayName?.trim() && !p.identity.name) p.info.displayName = msg.displayName.trim();
        if (msg.avatar !== undefined && !p.identity.avatar) p.info.avatar = msg.avatar && /^(https?:|data:image\/)/i.test(msg.avatar) ? msg.avatar : null;
        return this.#updated(room, p);
      case 'leave': {
        const socket = p.socket;
        await this.#leave(room, p);
        if (socket) {
          this.#send(socket, { type: 'left' });
          socket.close(CLOSE.normal, 'left');
        }
        return;
      }
      case 'chat': {
        const chat: ServerMessage = { type: 'chat', from: p.info.id, message: msg.message, private: msg.to !== undefined };
        if (msg.to === undefined) return this.#broadcast(room, chat, p);
        const target = room.participants.get(msg.to);
        if (!target || target.pending || target === p) return this.#send(p.socket, error('bad_message', 'no such participant', false));
        return this.#sendTo(room, target, chat);
      }
      case 'save-chat': {
        const userId = p.identity.userId;
        if (userId === null || !this.#access.permits({ kind: 'user', id: userId }, room, { do: 'save_chat' })) {
          return this.#send(p.socket, error('not_owner', 'only the owner can save the chat', false));
        }
        if (!this.#o.saveChat) return this.#send(p.socket, error('unavailable', 'saving the chat is not available', false));
        const saved = await this.#o.saveChat({ sessionId: room.sessionId, userId, transcript: msg.transcript }).catch((e: unknown) => {
          this.#o.log?.warn({ err: e }, 'room: saving the chat failed');
          return undefined;
        });
        return this.#send(p.socket, saved ? { type: 'chat-saved', ...saved } : error('save_failed', 'the chat could not be saved', false));
      }
      case 'mute-everyone': {
        if (!p.identity.moderator) return this.#send(p.socket, error('not_moderator', 'only a moderator can mute everyone', false));
        const muted: ServerMessage = { type: 'muted', media: msg.media, by: p.info.id };
        return this.#broadcast(room, muted, p);
      }
      case 'subject':
        if (!p.identity.moderator) return this.#send(p.socket, error('not_moderator', 'only a moderator can set the subject', false));
        room.subject = msg.subject;
        return this.#broadcast(room, { type: 'subject', subject: msg.subject });
      case 'quality': {
        const last = p.quality?.savedAt ?? -Infinity;
        p.quality = { summary: msg.summary, saved: false, savedAt: last };
        if (Date.now() - last >= QUALITY_WRITE_MS) await this.#saveQuality(room, p);
        return;
      }
      case 'api-token':
        return this.#o.recording
          ? this.#o.recording.apiToken(room.sessionId, room.ownerId, this.#relayMember(p))
          : this.#send(p.socket, { type: 'api-token-refused', reason: 'recording is not available' });
      case 'kick':
        return this.#kick(room, p, msg.id);
      case 'end':
        if (!p.identity.moderator) return this.#send(p.socket, error('not_moderator', 'only a moderator can end the conference for everyone', false));
        await this.#o.conferences.endConference(room.sessionId, { actor: p.actor, reason: 'moderator' });
        // onEnded closes the room; this covers a conference that had already ended.
        return this.#closeRoom(room.name, 'ended');
    }
  }

  /** `kickParticipant`: the moderator removes someone (every seat of that account or guest link) for good. */
  async #kick(room: Room, by: Participant, targetId: string) {
    if (!by.identity.moderator) return this.#send(by.socket, error('not_moderator', 'only a moderator can remove a participant', false));
    // A mirror learnt from a join message has no actor yet: the shared membership has it.
    if (room.participants.get(targetId)?.remote && !room.participants.get(targetId)!.actor) await this.#syncMirrors(room);
    const target = room.participants.get(targetId);
    if (!target || target.pending || target === by || !target.actor) return this.#send(by.socket, error('bad_message', 'no such participant', false));
    if (target.identity.userId !== null && target.identity.userId === room.ownerId)
      return this.#send(by.socket, error('not_moderator', 'the owner cannot be removed', false));
    if (!this.#o.removals) return this.#send(by.socket, error('unavailable', 'removing participants is not available', false));
    const key = `${room.name}\0${target.actor}`;
    this.#kicking.add(key);
    try {
      await this.#o.removals.removeParticipant({
        sessionId: room.sessionId,
        subject: target.actor as `user:${string}`,
        participantId: target.info.id,
        actor: by.actor,
      });
    } finally {
      this.#kicking.delete(key);
    }
    this.#removeSubject(room.name, target.actor, by.info.id);
  }

  /**
   * Closes the seats of a removed account or guest link: the removed pages are told (on another process through the
   * bus), the others see them kicked out and leave; this process records the leaves.
   */
  #removeSubject(roomName: string, subject: string, by: string | null, o: { localOnly?: boolean } = {}) {
    const room = this.#rooms.get(roomName);
    if (!room) return;
    for (const target of [...room.participants.values()].filter((p) => p.actor === subject && !p.pending && !(o.localOnly && p.remote))) {
      this.#broadcast(room, { type: 'participant-kicked', id: target.info.id, by }, target);
      this.#sendTo(room, target, { type: 'kicked', by });
      if (!target.remote) this.#closeKicked(room, target);
      else this.#leave(room, target).catch((e: unknown) => this.#o.log?.warn({ err: e }, 'recording a leave failed'));
    }
  }

  #closeKicked(room: Room, target: Participant) {
    target.socket?.close(CLOSE.removed, 'removed');
    this.#leave(room, target).catch((e: unknown) => this.#o.log?.warn({ err: e }, 'recording a leave failed'));
  }

  #disconnected(room: Room, p: Participant, socket: RoomSocket) {
    if (p.socket !== socket || !room.participants.has(p.info.id)) return;
    p.socket = null;
    p.info.connected = false;
    this.#updated(room, p);
    // A dropped connection may come back (network change, reload): it is gone only after the grace period.
    p.graceTimer = setTimeout(() => {
      this.#leave(room, p).catch((e: unknown) => this.#o.log?.warn({ err: e }, 'recording a leave failed'));
    }, this.#o.graceSeconds * 1000);
    p.graceTimer.unref?.();
  }

  async #leave(room: Room, p: Participant) {
    if (room.participants.get(p.info.id) !== p) return;
    this.#drop(room, p);
    // Shared room: exactly one process records a leave, the one that removes the member (it may have resumed elsewhere).
    const bus = this.#o.bus;
    if (bus && !(await bus.remove(room.name, p.info.id, p.remote ?? bus.processId))) return;
    this.#broadcast(room, { type: 'participant-left', id: p.info.id });
    this.#o.recording?.changed(room.sessionId);
    if (p.quality && !p.quality.saved) await this.#saveQuality(room, p);
    const { ended } = await this.#o.conferences.participantLeft({ sessionId: room.sessionId, participantId: p.info.id, actor: p.actor });
    if (ended) this.#closeRoom(room.name, 'ended');
  }

  async #saveQuality(room: Room, p: Participant) {
    if (!p.quality || !this.#o.saveQuality) return;
    const q = p.quality;
    q.saved = true;
    q.savedAt = Date.now();
    await this.#o.saveQuality({ sessionId: room.sessionId, participantId: p.info.id, summary: q.summary }).catch((e: unknown) => {
      q.saved = false;
      this.#o.log?.warn({ err: e }, 'room: storing a call quality summary failed');
    });
  }

  #drop(room: Room, p: Participant) {
    clearTimeout(p.graceTimer);
    room.participants.delete(p.info.id);
    this.#forgetIfIdle(room);
  }

  /** A room with no participant on this process is forgotten here (members elsewhere stay in the shared room). */
  #forgetIfIdle(room: Room) {
    if (localCount(room) === 0) this.#forgetRoom(room);
  }

  #forgetRoom(room: Room) {
    if (this.#rooms.get(room.name) !== room) return;
    this.#rooms.delete(room.name);
    this.#o.recording?.unwatch(room.sessionId);
    if (!this.#o.bus) return;
    for (const p of room.participants.values()) clearTimeout(p.graceTimer);
    room.participants.clear();
    void this.#o.bus.unsubscribe(room.name).catch(() => {});
  }

  /** Ends a room for everyone; `fromBus`: another process said so (else this process tells the others). */
  #closeRoom(roomName: string, reason: string, fromBus = false) {
    const bus = this.#o.bus;
    if (bus && !fromBus) {
      void bus
        .publish(roomName, { from: bus.processId, kind: 'close', reason })
        .catch((e: unknown) => this.#o.log?.warn({ err: e }, 'room: relaying the end failed'));
      void bus.dropRoom(roomName).catch(() => {});
    }
    const room = this.#rooms.get(roomName);
    if (!room) return;
    this.#rooms.delete(roomName);
    this.#o.recording?.unwatch(room.sessionId);
    if (bus) void bus.unsubscribe(roomName).catch(() => {});
    for (const p of room.participants.values()) {
      clearTimeout(p.graceTimer);
      if (p.socket && !p.pending && !p.remote) {
        this.#send(p.socket, { type: 'ended', reason });
        p.socket.close(CLOSE.ended, 'conference ended');
      }
    }
    room.participants.clear();
  }

  #mayStay(identity: RoomIdentity): Promise<boolean> | boolean {
    return identity.userId === null || !this.#o.admitted || this.#o.admitted(identity);
  }

  /** Removes from every room the users who may no longer be in a call (disabled, signed out): their leave is recorded. */
  async #checkAccounts() {
    if (this.#checkingAccounts) return;
    this.#checkingAccounts = true;
    try {
      for (const room of [...this.#rooms.values()]) {
        for (const p of [...room.participants.values()]) {
          // A member on another process is that process's to check (it holds the socket).
          if (p.pending || p.remote || (await this.#mayStay(p.identity))) continue;
          const socket = p.socket;
          // Detached first: its close is not a drop to wait out a grace period for.
          p.socket = null;
          if (socket) this.#refuse(socket, 'access_revoked', ACCESS_REVOKED);
          await this.#leave(room, p);
        }
      }
    } catch (e) {
      this.#o.log?.warn({ err: e }, "room: checking participants' accounts failed");
    } finally {
      this.#checkingAccounts = false;
    }
  }

  #resumeKey(roomName: string, participantId: string, identityId: string) {
    return createHmac('sha256', this.#resumeKeyKey).update(`${roomName}\0${participantId}\0${identityId}`).digest('base64url');
  }

  /**
   * Whether the page proves it was this participant. Keys handed out before deriveKey (an HMAC under the app secret
   * itself) still count: the pages of calls running across that upgrade resume with them (a call lasts at most
   * V4H_CONFERENCE_MAX_DURATION), so the legacy form can go with the next release.
   */
  #resumeValid(roomName: string, resume: { participantId: string; resumeKey: string }, identityId: string): boolean {
    if (safeEqual(this.#resumeKey(roomName, resume.participantId, identityId), resume.resumeKey)) return true;
    const legacy = createHmac('sha256', this.#o.resumeSecret)
      .update(`v4h-room-resume\0${roomName}\0${resume.participantId}\0${identityId}`)
      .digest('base64url');
    return safeEqual(legacy, resume.resumeKey);
  }

  async #sweepOrphans() {
    const live = new Set([...this.#rooms.values()].flatMap((room) => [...room.participants.keys()]));
    // Members held by a live process anywhere are not orphans (those of a dead one are: nobody can reap them).
    if (this.#o.bus) {
      const shared = await this.#o.bus.allMembers();
      const dead = await this.#o.bus.deadProcesses(shared.map((m) => m.process));
      for (const m of shared) if (!dead.has(m.process)) live.add(m.id);
    }
    for (const orphan of await this.#o.orphans!()) {
      if (live.has(orphan.participantId)) continue;
      await this.#o.conferences.participantLeft({ ...orphan, actor: 'system' });
    }
  }

  /** The joined message, then the recording state (and a consent question) for the newcomer. */
  #sendJoined(room: Room, p: Participant, socket: RoomSocket, resumed: boolean) {
    this.#send(socket, this.#joinedMessage(room, p, resumed));
    const recording = this.#o.recording;
    if (!recording) return;
    recording.watch(room.sessionId, room.ownerId, () => this.#relayMembers(room));
    recording.changed(room.sessionId);
  }

  /** The members whose sockets this process holds, as the recording relay sees them. */
  #relayMembers(room: Room): RelayMember[] {
    return [...room.participants.values()].filter((p) => !p.remote && !p.pending && p.socket).map((p) => this.#relayMember(p));
  }

  #relayMember(p: Participant): RelayMember {
    // The socket at the time of sending: a resumed page has a new one.
    return { id: p.info.id, identity: p.identity, send: (msg) => this.#send(p.socket, msg) };
  }

  #joinedMessage(room: Room, p: Participant, resumed: boolean): ServerMessage {
    const others = [...room.participants.values()].filter((o) => o !== p && !o.pending).map((o) => o.info);
    return {
      type: 'joined',
      you: p.info,
      fromToken: { displayName: p.identity.name !== null, avatar: p.identity.avatar !== null },
      resumeKey: this.#resumeKey(room.name, p.info.id, p.identity.id),
      resumed,
      participants: others,
      graceSeconds: this.#o.graceSeconds,
      iceServers: this.#o.turn ? [...this.#o.iceServers, turnCredentials(this.#o.turn, p.info.id)] : this.#o.iceServers,
      ...(room.subject ? { subject: room.subject } : {}),
    };
  }

  #refuse(socket: RoomSocket, code: RoomErrorCode, message: string) {
    this.#send(socket, error(code, message, true));
    socket.close(CLOSE.refused, code);
  }

  #broadcast(room: Room, msg: ServerMessage, except?: Participant) {
    const data = JSON.stringify(msg);
    for (const p of room.participants.values()) if (p !== except && !p.pending && p.socket && !p.remote) p.socket.send(data);
    const bus = this.#o.bus;
    if (bus) {
      void bus
        .publish(room.name, { from: bus.processId, kind: 'message', msg, ...(except ? { except: except.info.id } : {}) })
        .catch((e: unknown) => this.#o.log?.warn({ err: e }, 'room: relaying a message failed'));
    }
  }

  #send(socket: RoomSocket | null, msg: ServerMessage) {
    socket?.send(JSON.stringify(msg));
  }
}

const error = (code: RoomErrorCode, message: string, fatal: boolean): ServerMessage => ({ type: 'error', code, message, fatal });

/** Participants whose socket this process holds (or will: joins being recorded). */
function localCount(room: { participants: Map<string, Participant> }) {
  let n = 0;
  for (const p of room.participants.values()) if (!p.remote) n++;
  return n;
}

function newParticipant(msg: Extract<ClientMessage, { type: 'join' }>, identity: RoomIdentity, socket: RoomSocket, id?: string): Participant {
  return {
    info: {
      id: id ?? `r-${randomBytes(9).toString('base64url')}`,
      // The token's name is authoritative (as in Jitsi with a JWT): no one picks another name in the call.
      displayName: identity.name ?? (msg.displayName?.trim() || 'Guest'),
      account: identity.userId === null ? { kind: 'guest' } : { kind: 'user', username: identity.userId },
      avatar: identity.avatar,
      moderator: identity.moderator,
      audioMuted: msg.audioMuted ?? false,
      videoMuted: msg.videoMuted ?? false,
      connected: true,
      screenSharing: false,
    },
    identity,
    actor: '',
    socket,
    pending: true,
  };
}

/** A member of another process, as this process keeps it (no socket; reached through the bus). */
function mirror(r: MemberRecord): Participant {
  return {
    info: r.info,
    identity: { id: r.identityId, userId: r.userId, name: null, avatar: null, moderator: r.info.moderator, familyId: null, expiresAt: 0 },
    actor: r.actor,
    socket: null,
    pending: false,
    remote: r.process,
  };
}
