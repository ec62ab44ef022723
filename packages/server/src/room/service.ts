// The built-in room's live state: who is in which room, signaling relay, presence and the room life cycle.
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../lib/ids.js';
import { parseClientMessage, type ClientMessage, type PeerAccount, type PeerInfo, type RoomErrorCode, type ServerMessage } from './protocol.js';
import { RoomTokenError, type RoomIdentity, type RoomTokenVerifier } from './room-tokens.js';

/** What the room needs from the conferences domain (ConferenceService fits it). */
export interface RoomConferences {
  findByRoomName(roomName: string): Promise<{ sessionId: string; state: string; ownerId: string } | undefined>;
  participantJoined(p: { sessionId: string; participantId: string; userId: string | null; displayName: string | null; actor: string }): Promise<void>;
  participantLeft(p: { sessionId: string; participantId: string; actor: string }): Promise<{ ended: boolean }>;
  endConference(sessionId: string, how: { actor: string; reason: 'moderator' }): Promise<void>;
  onEnded(listener: (sessionId: string, roomName: string) => void): () => void;
}

/** One browser's WebSocket, as the service sees it. */
export interface RoomSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface RoomServiceOptions {
  conferences: RoomConferences;
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
  /** Stores the owner's chat transcript as an attachment of the conference (absent: saving is unavailable). */
  saveChat?(p: { sessionId: string; userId: string; transcript: string }): Promise<{ fileId: string; sha256: string }>;
  /** Kicks and revoked guest links (ConferenceService.removals fits it); absent: nobody can be removed. */
  removals?: RoomRemovals;
  log?: { warn(obj: object, msg: string): void };
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
}

interface Room {
  name: string;
  sessionId: string;
  ownerId: string;
  participants: Map<string, Participant>;
}

const JOIN_TIMEOUT_MS = 10_000;
const RATE_WINDOW_MS = 10_000;
const RATE_MAX_MESSAGES = 600;
/** How long after its token's expiry a live participant may still reconnect. */
const MAX_EXPIRED_RESUME_S = 24 * 3600;

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

  constructor(options: RoomServiceOptions) {
    this.#o = options;
    this.#unsubscribe = options.conferences.onEnded((_sessionId, roomName) => this.#closeRoom(roomName, 'ended'));
    // A guest link revoked over the API: its guest leaves the room now.
    this.#unsubscribeRemovals =
      options.removals?.onRemoved((p) => {
        if (!this.#kicking.has(`${p.roomName}\0${p.subject}`)) this.#removeSubject(p.roomName, p.subject, null);
      }) ?? (() => {});
    if (options.orphans) {
      const delay = options.graceSeconds * 1000 + (options.orphanDelayMs ?? 5000);
      this.#orphanTimer = setTimeout(() => void this.#sweepOrphans().catch((e) => options.log?.warn({ err: e }, 'room: recording orphans failed')), delay);
      this.#orphanTimer.unref?.();
    }
  }

  /** Participants currently in a room (for tests and diagnostics). */
  participants(roomName: string): PeerInfo[] {
    return [...(this.#rooms.get(roomName)?.participants.values() ?? [])].filter((p) => !p.pending).map((p) => ({ ...p.info }));
  }

  /** Live rooms and their participants in this process (for metrics; joins being recorded count). */
  counts(): { rooms: number; participants: number } {
    let participants = 0;
    for (const room of this.#rooms.values()) participants += room.participants.size;
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
        me = await this.#join(socket, msg).catch((e) => {
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
        queue = queue.then(() => handle(msg)).catch((e) => this.#o.log?.warn({ err: e }, 'room message failed'));
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
    clearTimeout(this.#orphanTimer);
    const rooms = [...this.#rooms.values()];
    this.#rooms.clear();
    for (const room of rooms) {
      const participants = [...room.participants.values()];
      // Cleared first, so that the sockets' close events start no grace timers.
      room.participants.clear();
      for (const p of participants) {
        clearTimeout(p.graceTimer);
        if (!p.socket) continue;
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
      const retry = e.code === 'token_expired' && msg.resume ? await this.#o.verifyToken(msg.jwt, msg.roomName, { expiredUpTo: MAX_EXPIRED_RESUME_S }).catch(() => undefined) : undefined;
      if (!retry) return void this.#refuse(socket, e.code, e.message);
      identity = retry;
      expired = true;
    }
    const conference = await this.#o.conferences.findByRoomName(msg.roomName);
    if (!conference) return void this.#refuse(socket, 'conference_not_found', 'there is no conference for this room');
    if (conference.state === 'ended') return void this.#refuse(socket, 'conference_ended', 'this conference has ended');
    // Removed by the moderator (or a revoked guest link): this token, and any other of that person, stays out.
    const actor = await this.#o.actorFor(identity);
    if (await this.#o.removals?.isRemoved(conference.sessionId, actor)) {
      return void this.#refuse(socket, 'removed', 'you were removed from this conference by its owner');
    }

    let room = this.#rooms.get(msg.roomName);
    // The key binds participant, identity and room: it proves this browser was that participant.
    const resumeId = msg.resume && safeEqual(this.#resumeKey(msg.roomName, msg.resume.participantId, identity.id), msg.resume.resumeKey) ? msg.resume.participantId : undefined;
    const known = resumeId ? room?.participants.get(resumeId) : undefined;
    if (room && known && !known.pending) return this.#resume(room, known, socket);
    if (expired) return void this.#refuse(socket, 'token_expired', 'the token has expired');
    if (!room) {
      room = { name: msg.roomName, sessionId: conference.sessionId, ownerId: conference.ownerId, participants: new Map() };
      this.#rooms.set(room.name, room);
    }
    const refusal = this.#seatRefusal(room, identity);
    if (refusal) {
      if (room.participants.size === 0) this.#rooms.delete(room.name);
      return void this.#refuse(socket, refusal.code, refusal.message);
    }
    const participant: Participant = {
      info: {
        // Known to the conference but not to this process (restart, or back after the grace period): same participant.
        id: resumeId && !known ? resumeId : `r-${randomBytes(9).toString('base64url')}`,
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
      actor,
      socket,
      pending: true,
    };
    // Reserve the seat before any await so that concurrent joins cannot exceed the cap.
    room.participants.set(participant.info.id, participant);
    try {
      if (this.#o.accountOf) participant.info.account = await this.#o.accountOf(identity);
      await this.#o.conferences.participantJoined({
        sessionId: room.sessionId,
        participantId: participant.info.id,
        userId: identity.userId,
        displayName: participant.info.displayName,
        actor: participant.actor,
      });
    } catch (e) {
      this.#drop(room, participant);
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
    this.#send(socket, this.#joinedMessage(room, participant, false));
    return { room, participant };
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
    this.#broadcast(room, { type: 'participant-resumed', participant: p.info }, p);
    this.#send(socket, this.#joinedMessage(room, p, true));
    return { room, participant: p };
  }

  async #command(room: Room, p: Participant, msg: ClientMessage) {
    switch (msg.type) {
      case 'signal': {
        const target = room.participants.get(msg.to);
        if (target && !target.pending && target.socket) this.#send(target.socket, { type: 'signal', from: p.info.id, data: msg.data });
        return;
      }
      case 'mute':
        if (msg.audio !== undefined) p.info.audioMuted = msg.audio;
        if (msg.video !== undefined) p.info.videoMuted = msg.video;
        return this.#broadcast(room, { type: 'participant-updated', participant: p.info }, p);
      case 'share':
        p.info.screenSharing = msg.on;
        return this.#broadcast(room, { type: 'participant-updated', participant: p.info }, p);
      case 'profile':
        if (msg.displayName?.trim() && !p.identity.name) p.info.displayName = msg.displayName.trim();
        if (msg.avatar !== undefined && !p.identity.avatar) p.info.avatar = msg.avatar && /^(https?:|data:image\/)/i.test(msg.avatar) ? msg.avatar : null;
        return this.#broadcast(room, { type: 'participant-updated', participant: p.info }, p);
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
        return this.#send(target.socket, chat);
      }
      case 'save-chat': {
        if (p.identity.userId === null || p.identity.userId !== room.ownerId) return this.#send(p.socket, error('not_owner', 'only the owner can save the chat', false));
        if (!this.#o.saveChat) return this.#send(p.socket, error('unavailable', 'saving the chat is not available', false));
        const saved = await this.#o.saveChat({ sessionId: room.sessionId, userId: p.identity.userId, transcript: msg.transcript }).catch((e) => {
          this.#o.log?.warn({ err: e }, 'room: saving the chat failed');
          return undefined;
        });
        return this.#send(p.socket, saved ? { type: 'chat-saved', ...saved } : error('save_failed', 'the chat could not be saved', false));
      }
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
    const target = room.participants.get(targetId);
    if (!target || target.pending || target === by) return this.#send(by.socket, error('bad_message', 'no such participant', false));
    if (target.identity.userId !== null && target.identity.userId === room.ownerId) return this.#send(by.socket, error('not_moderator', 'the owner cannot be removed', false));
    if (!this.#o.removals) return this.#send(by.socket, error('unavailable', 'removing participants is not available', false));
    const key = `${room.name}\0${target.actor}`;
    this.#kicking.add(key);
    try {
      await this.#o.removals.removeParticipant({ sessionId: room.sessionId, subject: target.actor as `user:${string}`, participantId: target.info.id, actor: by.actor });
    } finally {
      this.#kicking.delete(key);
    }
    this.#removeSubject(room.name, target.actor, by.info.id);
  }

  /** Closes the seats of a removed account or guest link: the removed pages are told, the others see them leave. */
  #removeSubject(roomName: string, subject: string, by: string | null) {
    const room = this.#rooms.get(roomName);
    if (!room) return;
    for (const target of [...room.participants.values()].filter((p) => p.actor === subject && !p.pending)) {
      const socket = target.socket;
      const kicked: ServerMessage = { type: 'participant-kicked', id: target.info.id, by };
      this.#broadcast(room, kicked, target);
      if (socket) {
        this.#send(socket, { type: 'kicked', by });
        socket.close(CLOSE.removed, 'removed');
      }
      this.#leave(room, target).catch((e) => this.#o.log?.warn({ err: e }, 'recording a leave failed'));
    }
  }

  #disconnected(room: Room, p: Participant, socket: RoomSocket) {
    if (p.socket !== socket || !room.participants.has(p.info.id)) return;
    p.socket = null;
    p.info.connected = false;
    this.#broadcast(room, { type: 'participant-updated', participant: p.info }, p);
    // A dropped connection may come back (network change, reload): it is gone only after the grace period.
    p.graceTimer = setTimeout(() => {
      this.#leave(room, p).catch((e) => this.#o.log?.warn({ err: e }, 'recording a leave failed'));
    }, this.#o.graceSeconds * 1000);
    p.graceTimer.unref?.();
  }

  async #leave(room: Room, p: Participant) {
    if (room.participants.get(p.info.id) !== p) return;
    this.#drop(room, p);
    this.#broadcast(room, { type: 'participant-left', id: p.info.id });
    const { ended } = await this.#o.conferences.participantLeft({ sessionId: room.sessionId, participantId: p.info.id, actor: p.actor });
    if (ended) this.#closeRoom(room.name, 'ended');
  }

  #drop(room: Room, p: Participant) {
    clearTimeout(p.graceTimer);
    room.participants.delete(p.info.id);
    if (room.participants.size === 0 && this.#rooms.get(room.name) === room) this.#rooms.delete(room.name);
  }

  #closeRoom(roomName: string, reason: string) {
    const room = this.#rooms.get(roomName);
    if (!room) return;
    this.#rooms.delete(roomName);
    for (const p of room.participants.values()) {
      clearTimeout(p.graceTimer);
      if (p.socket && !p.pending) {
        this.#send(p.socket, { type: 'ended', reason });
        p.socket.close(CLOSE.ended, 'conference ended');
      }
    }
    room.participants.clear();
  }

  #resumeKey(roomName: string, participantId: string, identityId: string) {
    return createHmac('sha256', this.#o.resumeSecret).update(`v4h-room-resume\0${roomName}\0${participantId}\0${identityId}`).digest('base64url');
  }

  async #sweepOrphans() {
    const live = new Set([...this.#rooms.values()].flatMap((room) => [...room.participants.keys()]));
    for (const orphan of await this.#o.orphans!()) {
      if (live.has(orphan.participantId)) continue;
      await this.#o.conferences.participantLeft({ ...orphan, actor: 'system' });
    }
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
      iceServers: this.#o.iceServers,
    };
  }

  #refuse(socket: RoomSocket, code: RoomErrorCode, message: string) {
    this.#send(socket, error(code, message, true));
    socket.close(CLOSE.refused, code);
  }

  #broadcast(room: Room, msg: ServerMessage, except?: Participant) {
    const data = JSON.stringify(msg);
    for (const p of room.participants.values()) if (p !== except && !p.pending && p.socket) p.socket.send(data);
  }

  #send(socket: RoomSocket | null, msg: ServerMessage) {
    socket?.send(JSON.stringify(msg));
  }
}

const error = (code: RoomErrorCode, message: string, fatal: boolean): ServerMessage => ({ type: 'error', code, message, fatal });
