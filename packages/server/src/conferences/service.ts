// Conferences: creation, start/join (Jitsi embed + tokens), guest links, presence and the life cycle.
// Every action is appended to the conference's event log in the same transaction as the change it records.
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { ConferencesTable, Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import type { ConferenceDetails, Embed } from '@v4h/protocol';
import { iso } from '../lib/clock.js';
import { newRoomName, newSessionId } from '../lib/ids.js';
import { AppError, forbidden, notFound, unauthorized } from '../errors.js';
import type { JitsiTokenIssuer } from '../jitsi/tokens.js';
import { appendEvent, lockConference, type NewEvent } from '../db/event-log.js';
import { createPresenceTokens, type PresenceTokens } from './presence-tokens.js';
import { conferenceById, conferenceWithOwner, decodeCursor, encodeCursor } from './repository.js';
import { createConference, scopeChosenSessionId } from './creation.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import { accountAdmitted } from '../auth/admission.js';
import { AccessPolicy, accessOf, actorOf, userPrincipal, type ApiKeyPrincipal, type RowAction } from './access-policy.js';
import type { JoinPolicy, ListPolicy } from '../db/schema.js';
import { ownerOrganisation, resolveUnitIds } from '../db/memberships.js';
import { commitPersonalData } from '../db/commitments.js';
import { normalizeUsername } from '../auth/usernames.js';
import { RemovalService } from './removals.js';
import { accountMarkedName, type Arrival } from '../jitsi/display-names.js';
import { createGuestTokens, type GuestTokens } from './guest-tokens.js';
import { stopLiveRecordings } from './live-recordings.js';

/** The caller, as authenticate sets it. */
export interface Caller {
  id: string;
  username: string;
  /** The caller's login session (refresh-token family): admissions it is given end when it is revoked. */
  familyId?: string;
  /** Who acts for this user in the event log when not the user: an API key (`apikey:<keyId>`, apikeys/). */
  actor?: string;
}

// The seed's getConference record and the call embed are the wire's.
export type { ConferenceDetails, Embed };

export type EndReason = 'owner' | 'moderator' | 'last_participant_left' | 'max_duration' | 'idle_timeout';
export interface Profile {
  displayName?: string;
  avatarUrl?: string;
  /** SESSIONPWD: the conference password (join only). */
  password?: string;
}

/** Where a conference's primary recording can be fetched (FileService fits it); getConference asks on every poll. */
export interface ConferenceRecordings {
  /** At once when the lookup is cached (getConference's path, see {@link ConferenceService.detailsSoon}), else a promise. */
  primaryRecordingUrl(sessionId: string): string | null | Promise<string | null>;
}

/** How a conference admits joiners and who sees it listed, chosen at request (see access-policy.ts). */
export interface JoinOptions {
  /** Default: the organisation's setting (ORG unless it says otherwise). */
  joinPolicy?: JoinPolicy;
  /** Default: the organisation's setting (RESTRICT: the owner and the named users only, unless it says otherwise). */
  listPolicy?: ListPolicy;
  /** ORGUNIT: units of the owner's organisation, by id or name. */
  units?: string[];
  /** RESTRICT: the usernames the owner names. */
  users?: string[];
  /** SESSIONPWD: the password joiners give (only its argon2id hash is stored). */
  password?: string;
  /** Guests wait for the owner to admit them (default: config.waitingRoom.enabled). */
  waitingRoom?: boolean;
  /** Users with accounts who join wait too (waiting/): stored as waiting_room 2. */
  waitingRoomForUsers?: boolean;
}

// Events name people by opaque id only (docs/manifest.md §1.1): a username may be a name or an e-mail address.
const userActor = (c: Caller) => c.actor ?? `user:${c.id}`;

// A polled conference comes back as the same (frozen) row from the read cache: its times are formatted once.
const formattedTimes = new WeakMap<ConferencesTable, { created: string; ended: string | null }>();

export class ConferenceService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #config: Config;
  readonly #jitsi: JitsiTokenIssuer;
  readonly #presence: PresenceTokens;
  readonly #guestTokens: GuestTokens;
  readonly #access: AccessPolicy;
  readonly #removals: RemovalService;
  readonly #probes: RateLimiter;
  readonly #endedListeners = new Set<(sessionId: string, roomName: string) => void>();
  readonly #recordings: ConferenceRecordings | undefined;

  /** `recordings`: the storage domain's links to recordings (absent: `urlStorage` is always null). */
  constructor(deps: { db: Db; clock: Clock; config: Config; jitsi: JitsiTokenIssuer; access?: AccessPolicy; recordings?: ConferenceRecordings }) {
    this.#recordings = deps.recordings;
    this.#access = deps.access ?? new AccessPolicy({ db: deps.db, clock: deps.clock });
    this.#removals = new RemovalService({ db: deps.db, clock: deps.clock, access: this.#access });
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#config = deps.config;
    this.#jitsi = deps.jitsi;
    this.#probes = new RateLimiter(deps.db);
    this.#presence = createPresenceTokens(deps.config.tokenSecret!, deps.config.publicUrl);
    this.#guestTokens = createGuestTokens(deps.config.tokenSecret!, deps.config.publicUrl);
  }

  /** Called after a conference ends for any reason (the built-in room closes it for everyone). */
  onEnded(listener: (sessionId: string, roomName: string) => void): () => void {
    this.#endedListeners.add(listener);
    return () => this.#endedListeners.delete(listener);
  }

  /** Kicks and revoked guest links (the routes and the built-in room use it). */
  get removals(): RemovalService {
    return this.#removals;
  }

  /** The access policy every domain asks (storage, the built-in room). */
  get access(): AccessPolicy {
    return this.#access;
  }

  async request(caller: Caller, sessionId?: string, options: JoinOptions = {}): Promise<{ sessionId: string; created: boolean }> {
    const { organisationId, defaults } = await ownerOrganisation(this.#db.kysely, caller.id);
    const joinPolicy = options.joinPolicy ?? defaults.joinPolicy;
    const listPolicy = options.listPolicy ?? defaults.listPolicy;
    const invited = await this.#checkJoinOptions(joinPolicy, listPolicy, options);
    const units = await this.#checkUnits(organisationId, joinPolicy, listPolicy, options.units);
    if (options.waitingRoomForUsers && options.waitingRoom === false)
      throw new AppError('validation_failed', 'waitingRoomForUsers needs a waiting room (waitingRoom: false says there is none)');
    // A fresh 128-bit random id exists nowhere yet: only a caller-supplied one is looked up first (in its organisation).
    if (sessionId !== undefined) {
      sessionId = scopeChosenSessionId(organisationId, sessionId);
      await this.#limitIdProbes(caller);
      const existing = await this.#find(sessionId);
      if (existing) return this.#sameOwner(existing, caller);
    }
    const id = sessionId ?? newSessionId();
    const now = this.#clock.now();
    const joinPasswordHash = joinPolicy === 'SESSIONPWD' ? await this.#access.hashJoinPassword(options.password!) : null;
    try {
      await createConference(this.#db, {
        sessionId: id,
        ownerId: caller.id,
        roomName: newRoomName(),
        now,
        actor: userActor(caller),
        joinPolicy,
        joinPasswordHash,
        organisationId,
        listPolicy,
        waitingRoom: options.waitingRoomForUsers ? 2 : (options.waitingRoom ?? this.#config.waitingRoom.enabled) ? 1 : 0,
      });
    } catch (error) {
      // Two requests raced for the same caller-supplied id: the loser sees the winner's row.
      const raced = await this.#find(id);
      if (raced) return this.#sameOwner(raced, caller);
      throw error;
    }
    if (invited.length > 0 || units.length > 0) {
      // After the row: should this fail, the conference admits (and is listed to) its owner only (it fails closed).
      await this.#db.write(async (trx) => {
        if (invited.length > 0)
          await trx
            .insertInto('conference_members')
            .values(invited.map((userId) => ({ session_id: id, user_id: userId, role: 'invited' as const })))
            .execute();
        if (units.length > 0)
          await trx
            .insertInto('conference_units')
            .values(units.map((unitId) => ({ session_id: id, unit_id: unitId })))
            .execute();
      });
    }
    return { sessionId: id, created: true };
  }

  /**
   * An organisation's API key requests a conference on behalf of `owner` (a username), who must be a member of the
   * key's organisation; the event log names the key as the actor. Otherwise as {@link request}.
   */
  async requestFor(key: ApiKeyPrincipal, owner: string | undefined, sessionId?: string, options: JoinOptions = {}) {
    if (owner === undefined)
      throw new AppError('validation_failed', "an API key requests a conference on behalf of a user: name the owner (a username of the key's organisation)");
    const user = await this.#db.kysely.selectFrom('users').select(['id', 'username']).where('username', '=', normalizeUsername(owner)).executeTakeFirst();
    await this.#access.requireActingFor(key, user?.id, 'conferences:write');
    return this.request({ id: user!.id, username: user!.username, actor: actorOf(key) }, sessionId, options);
  }

  /** A conference's details for an API key of its owner's organisation (scope conferences:read). */
  async detailsFor(key: ApiKeyPrincipal, sessionId: string): Promise<ConferenceDetails> {
    const row = await conferenceWithOwner.first(this.#db.kysely, { sessionId });
    if (!row) throw notFound('conference');
    await this.#access.require(key, accessOf(row), { do: 'read_details' });
    return this.#toDetails(row, row.username, await this.#urlStorage(row.session_id));
  }

  /** RESTRICT (to join or to list) takes named users (resolved to ids), SESSIONPWD to join a password; others neither. */
  async #checkJoinOptions(policy: JoinPolicy, listPolicy: ListPolicy, options: JoinOptions): Promise<string[]> {
    if (policy === 'SESSIONPWD' && !options.password) throw new AppError('validation_failed', 'join policy SESSIONPWD needs a password');
    if (policy !== 'SESSIONPWD' && options.password !== undefined)
      throw new AppError('validation_failed', 'a password is only taken with join policy SESSIONPWD');
    if (policy !== 'RESTRICT' && listPolicy !== 'RESTRICT') {
      if (options.users !== undefined) throw new AppError('validation_failed', 'users are only taken with join or list policy RESTRICT');
      return [];
    }
    const names = [...new Set((options.users ?? []).map(normalizeUsername))];
    if (names.length === 0) return [];
    const rows = await this.#db.kysely.selectFrom('users').select(['id', 'username']).where('username', 'in', names).execute();
    const missing = names.filter((n) => !rows.some((r) => r.username === n));
    // Naming an unknown user is the owner's typo, not a probe: the owner learns which names do not exist.
    if (missing.length > 0) throw new AppError('validation_failed', `unknown users: ${missing.join(', ')}`);
    return rows.map((r) => r.id);
  }

  /** ORGUNIT (to join or to list) needs units of the owner's organisation, by id or name; other policies take none. */
  async #checkUnits(organisationId: string, policy: JoinPolicy, listPolicy: ListPolicy, refs: string[] | undefined): Promise<string[]> {
    if (policy !== 'ORGUNIT' && listPolicy !== 'ORGUNIT') {
      if (refs !== undefined) throw new AppError('validation_failed', 'units are only taken with join or list policy ORGUNIT');
      return [];
    }
    if (!refs || refs.length === 0) throw new AppError('validation_failed', 'policy ORGUNIT needs units');
    const { ids, unknown } = await resolveUnitIds(this.#db.kysely, organisationId, refs);
    if (unknown.length > 0) throw new AppError('validation_failed', `unknown units in your organisation: ${unknown.join(', ')}`);
    return ids;
  }

  /** Requests naming an id, per user and minute: bounds probing for other users' ids. */
  async #limitIdProbes(caller: Caller) {
    const now = this.#clock.now();
    const hit = await this.#probes.hit(`conference-id:${caller.id}`, 60_000, now);
    if (hit.count > this.#config.conferenceIdRequestsPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((hit.resetAt - now) / 1000));
      throw new AppError('rate_limited', `too many requests naming a session id; try again in ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
    }
  }

  async start(caller: Caller, sessionId: string, profile: Profile): Promise<Embed> {
    return this.#openCall(caller, sessionId, profile, 'start');
  }

  async join(caller: Caller, sessionId: string, profile: Profile): Promise<Embed> {
    return this.#openCall(caller, sessionId, profile, 'join');
  }

  /**
   * A guest link. With a waiting room its token is a V4H guest token (conferences/guest-tokens.ts) for the guest page
   * (`/visit/#<token>`: in the fragment, so it reaches no server log or Referer), and the guest's place in the waiting
   * room is created with it; the video token comes only on admission (waiting/). Without one, the room's own link.
   */
  async guestUrl(
    caller: Caller,
    sessionId: string,
    guest: { name?: string; avatarUrl?: string },
  ): Promise<{ guestId: string; jwt: string | null; url: string }> {
    const now = this.#clock.now();
    const guestId = `guest-${randomBytes(9)
      .toString('base64url')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}`;
    const conf = await this.#mutate(sessionId, async (trx, row) => {
      this.#require(caller, row, { do: 'manage' });
      this.#requireOpen(row);
      // Without a waiting room the name goes into the room's token at once; with one, the guest may give it on knocking.
      if (guest.name === undefined && !row.waiting_room)
        throw new AppError('validation_failed', 'a guest link needs a name (this conference has no waiting room)');
      // The name and avatar stay in the erasable guests table; the event commits to the name under the guest's key.
      await trx
        .insertInto('guests')
        .values({ guest_id: guestId, session_id: sessionId, name: guest.name ?? null, avatar_url: guest.avatarUrl ?? null, created_at: now, erased_at: null })
        .execute();
      if (row.waiting_room) {
        const participantId = `w-${randomBytes(9).toString('base64url')}`;
        await trx.insertInto('waiting_room').values({ guest_id: guestId, session_id: sessionId, participant_id: participantId, state: 'new' }).execute();
      }
      const commitments = guest.name === undefined ? {} : await commitPersonalData(trx, `guest:${guestId}`, { name: guest.name });
      await this.#touch(trx, row, now, {
        type: 'guest_link_issued',
        actor: userActor(caller),
        data: { guestId, commitments, expiresAt: iso(now + this.#config.guestTokenTtl * 1000) },
      });
      return row;
    });
    if (conf.waiting_room) {
      const token = await this.#guestTokens.sign({ sessionId, guestId }, this.#config.guestTokenTtl, now);
      return { guestId, jwt: token, url: `${this.#config.publicUrl}/visit/#${token}` };
    }
    const name = this.#shownName(guest.name!, { guest: true });
    const jwt = await this.#jitsi.issue(
      conf.room_name,
      { id: guestId, name, avatar: guest.avatarUrl ?? null, moderator: false },
      this.#config.guestTokenTtl,
      now,
    );
    return { guestId, jwt, url: this.#jitsi.roomUrl(conf.room_name, jwt, name) };
  }

  /** The owner ends the conference for everyone. */
  async end(caller: Caller, sessionId: string): Promise<ConferenceDetails> {
    const row = await this.#find(sessionId);
    if (!row) throw notFound('conference');
    this.#require(caller, row, { do: 'manage' });
    await this.endConference(sessionId, { actor: userActor(caller), reason: 'owner' });
    return this.details(caller, sessionId);
  }

  /** A conference's details for its owner (see {@link detailsSoon}, which getConference calls). */
  async details(caller: Caller, sessionId: string): Promise<ConferenceDetails> {
    return this.detailsSoon(caller, sessionId);
  }

  /**
   * getConference, which every client polls: the one service call that answers at once when it can (issue 18 keeps
   * `T | Promise<T>` to db/, authenticate and this path). When its two reads (the conference, its recording) are in
   * the SQLite read cache, the details come back as a value, and errors are thrown; otherwise as a promise. The
   * promises of an async version cost more than the cached reads.
   */
  detailsSoon(caller: Caller, sessionId: string): ConferenceDetails | Promise<ConferenceDetails> {
    const row = conferenceWithOwner.firstSoon(this.#db.kysely, { sessionId });
    return row instanceof Promise ? row.then((found) => this.#detailsOf(caller, found)) : this.#detailsOf(caller, row);
  }

  #detailsOf(caller: Caller, row: (ConferencesTable & { username: string }) | undefined): ConferenceDetails | Promise<ConferenceDetails> {
    if (!row) throw notFound('conference');
    this.#require(caller, row, { do: 'read_details' });
    const urlStorage = this.#urlStorage(row.session_id);
    if (urlStorage instanceof Promise) return urlStorage.then((url) => this.#toDetails(row, row.username, url));
    return this.#toDetails(row, row.username, urlStorage);
  }

  /** The conferences the caller may see under their list policies (access-policy.ts), newest first. */
  async list(caller: Caller | ApiKeyPrincipal, opts: { limit: number; cursor?: string }): Promise<{ items: ConferenceDetails[]; nextCursor: string | null }> {
    const visible = await this.#access.listable('kind' in caller ? caller : userPrincipal(caller));
    // The recording's link is the owner's (and the organisation's key's): others see that a conference exists, not its files.
    const seesFiles = (row: ConferencesTable) => ('kind' in caller ? true : row.owner_id === caller.id);
    let query = this.#db.kysely
      .selectFrom('conferences')
      .innerJoin('users', 'users.id', 'conferences.owner_id')
      .selectAll('conferences')
      .select('users.username')
      .where(visible)
      .orderBy('conferences.created_at', 'desc')
      .orderBy('conferences.session_id', 'desc')
      .limit(opts.limit + 1);
    if (opts.cursor) {
      const { createdAt, sessionId } = decodeCursor(opts.cursor);
      query = query.where((eb) =>
        eb.or([
          eb('conferences.created_at', '<', createdAt),
          eb.and([eb('conferences.created_at', '=', createdAt), eb('conferences.session_id', '<', sessionId)]),
        ]),
      );
    }
    const rows = await query.execute();
    const page = rows.slice(0, opts.limit);
    const items = await Promise.all(
      page.map(async (row) => this.#toDetails(row, row.username, seesFiles(row) ? await this.#urlStorage(row.session_id) : null)),
    );
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > opts.limit && last ? encodeCursor(Number(last.created_at), last.session_id) : null };
  }

  /**
   * The SDK reports that its user actually joined or left the call, or renews its presence token (`renew`). The token
   * is short-lived (admissionTokenTtl) and works only while its account is enabled and its login session not
   * revoked; `joined` and `renew` answer a fresh one while the conference is open, which the SDK renews in turn.
   * `sessionId`, when given (the route's URL), must be the token's conference.
   */
  async reportPresence(
    presenceToken: string,
    event: 'joined' | 'left' | 'renew',
    sessionId?: string,
  ): Promise<{ state: ConferencesTable['state']; presenceToken?: string; renewIn?: number }> {
    const now = this.#clock.now();
    const claims = await this.#presence.verify(presenceToken, now);
    if (sessionId !== undefined && claims.sessionId !== sessionId) throw forbidden('this presence token belongs to another conference');
    if (!(await accountAdmitted(this.#db.kysely, claims.userId, claims.familyId)))
      throw unauthorized('this account may no longer be in the call (disabled, or signed out)');
    const actor = `user:${claims.userId}`;
    if (event === 'joined') {
      await this.participantJoined({ sessionId: claims.sessionId, participantId: claims.participantId, userId: claims.userId, displayName: null, actor });
    } else if (event === 'left') {
      await this.participantLeft({ sessionId: claims.sessionId, participantId: claims.participantId, actor });
    }
    const row = await this.#find(claims.sessionId);
    if (event === 'left' || !row || row.state === 'ended') return { state: row!.state };
    const ttl = this.#config.admissionTokenTtl;
    return { state: row.state, presenceToken: await this.#presence.sign(claims, ttl, now), renewIn: Math.max(1, Math.floor(ttl / 2)) };
  }

  async findByRoomName(roomName: string): Promise<{ sessionId: string; state: ConferencesTable['state']; ownerId: string } | undefined> {
    const row = await this.#db.kysely
      .selectFrom('conferences')
      .select(['session_id', 'state', 'owner_id'])
      .where('room_name', '=', roomName.toLowerCase())
      .executeTakeFirst();
    return row && { sessionId: row.session_id, state: row.state, ownerId: row.owner_id };
  }

  async participantJoined(p: { sessionId: string; participantId: string; userId: string | null; displayName: string | null; actor: string }): Promise<void> {
    const now = this.#clock.now();
    await this.#mutate(p.sessionId, async (trx, row) => {
      this.#requireOpen(row);
      const existing = await trx
        .selectFrom('participants')
        .select(['left_at'])
        .where('session_id', '=', p.sessionId)
        .where('participant_id', '=', p.participantId)
        .executeTakeFirst();
      if (existing && existing.left_at === null) return; // already present: reported twice
      if (existing) {
        await trx
          .updateTable('participants')
          .set({ left_at: null, joined_at: now })
          .where('session_id', '=', p.sessionId)
          .where('participant_id', '=', p.participantId)
          .execute();
      } else {
        await trx
          .insertInto('participants')
          .values({ session_id: p.sessionId, participant_id: p.participantId, user_id: p.userId, display_name: p.displayName, joined_at: now, left_at: null })
          .execute();
      }
      await this.#touch(trx, row, now, { type: 'joined', actor: p.actor, data: { participantId: p.participantId } });
    });
  }

  /** Records a leave; the conference ends when the last participant who joined has left, once the owner has been in. */
  async participantLeft(p: { sessionId: string; participantId: string; actor: string }): Promise<{ ended: boolean }> {
    const now = this.#clock.now();
    const result = await this.#mutate(p.sessionId, async (trx, row) => {
      if (row.state === 'ended') return { ended: false, room: row.room_name };
      const updated = await trx
        .updateTable('participants')
        .set({ left_at: now })
        .where('session_id', '=', p.sessionId)
        .where('participant_id', '=', p.participantId)
        .where('left_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return { ended: false, room: row.room_name }; // not present: reported twice
      await this.#touch(trx, row, now, { type: 'left', actor: p.actor, data: { participantId: p.participantId } });
      const present = await trx
        .selectFrom('participants')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('session_id', '=', p.sessionId)
        .where('left_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(present.n) > 0) return { ended: false, room: row.room_name };
      // Only once the owner has been in: a guest or colleague who opens the room first and leaves must not end the
      // consultation before the doctor arrives (the idle timeout covers one that never happens).
      const ownerWasIn = await trx
        .selectFrom('participants')
        .select('participant_id')
        .where('session_id', '=', p.sessionId)
        .where('user_id', '=', row.owner_id)
        .limit(1)
        .executeTakeFirst();
      if (!ownerWasIn) return { ended: false, room: row.room_name };
      await this.#endInTransaction(trx, row, now, 'system', 'last_participant_left');
      return { ended: true, room: row.room_name };
    });
    if (result.ended) this.#notifyEnded(p.sessionId, result.room);
    return { ended: result.ended };
  }

  /** Ends a conference (idempotent): the owner, a moderator in the built-in room, the last leave or the sweeper. */
  async endConference(sessionId: string, how: { actor: string; reason: EndReason }): Promise<void> {
    const now = this.#clock.now();
    const result = await this.#mutate(sessionId, async (trx, row) => {
      if (row.state === 'ended') return null;
      await this.#endInTransaction(trx, row, now, how.actor, how.reason);
      return row.room_name;
    });
    if (result) this.#notifyEnded(sessionId, result);
  }

  /** Ends conferences past their max duration or idle timeout; returns how many. Driven by the database, so it survives restarts. */
  async sweepOnce(): Promise<number> {
    const now = this.#clock.now();
    const maxMs = this.#config.conferenceMaxDuration * 1000;
    const idleMs = this.#config.conferenceIdleTimeout * 1000;
    const due = await this.#db.kysely
      .selectFrom('conferences')
      .select(['session_id', 'started_at', 'last_activity_at'])
      .where('state', '!=', 'ended')
      .where((eb) => eb.or([eb('started_at', '<=', now - maxMs), eb('last_activity_at', '<=', now - idleMs)]))
      .execute();
    for (const row of due) {
      const reason: EndReason = row.started_at !== null && row.started_at <= now - maxMs ? 'max_duration' : 'idle_timeout';
      await this.endConference(row.session_id, { actor: 'system', reason });
    }
    return due.length;
  }

  async #openCall(caller: Caller, sessionId: string, profile: Profile, how: 'start' | 'join'): Promise<Embed> {
    const now = this.#clock.now();
    if (how === 'join') {
      // Checked before the write transaction: a password costs an argon2id verification, and a wrong one a write of
      // its own (the attempt counter), neither of which may wait inside the transaction holding the conference.
      const found = await this.#find(sessionId);
      if (!found) throw notFound('conference');
      await this.#access.require(userPrincipal(caller), accessOf(found), { do: 'join', password: profile.password });
    }
    const row = await this.#mutate(sessionId, async (trx, conf) => {
      if (how === 'start') this.#require(caller, conf, { do: 'manage' });
      this.#requireOpen(conf);
      if (how === 'join' && conf.owner_id !== caller.id) await this.#access.admit(trx, sessionId, caller.id);
      const moderator = conf.owner_id === caller.id;
      // The name the owner gives in the call: their waiting guests see whom they wait for (waiting/).
      if (how === 'start' && profile.displayName !== undefined && profile.displayName !== conf.host_name) {
        await trx.updateTable('conferences').set({ host_name: profile.displayName }).where('session_id', '=', sessionId).execute();
      }
      if (how === 'start' && conf.state === 'requested') {
        await trx.updateTable('conferences').set({ state: 'started', started_at: now }).where('session_id', '=', sessionId).execute();
        await appendEvent(trx, { sessionId, type: 'started', actor: userActor(caller), at: now });
        conf = { ...conf, state: 'started', started_at: now };
      }
      await this.#touch(trx, conf, now, {
        type: 'token_issued',
        actor: userActor(caller),
        data: { to: userActor(caller), role: moderator ? 'moderator' : 'participant' },
      });
      return conf;
    });
    const moderator = row.owner_id === caller.id;
    // Admission tokens: short-lived, tied to the caller's login session (docs/room.md, Admission). The built-in room
    // keeps a participant in while that session holds; the SDK renews the presence token (reportPresence).
    const ttl = this.#config.admissionTokenTtl;
    const participantId = `p-${randomBytes(9).toString('base64url')}`;
    const familyId = caller.familyId;
    // The built-in room sees joins and leaves on its own socket; a second report from the SDK would count everyone twice.
    const enginePresence = this.#jitsi.mode === 'builtin';
    const displayName = this.#shownName(profile.displayName ?? caller.username, { username: caller.username });
    const [jwt, presenceToken] = await Promise.all([
      this.#jitsi.issue(row.room_name, { id: caller.id, name: displayName, avatar: profile.avatarUrl ?? null, moderator, session: familyId }, ttl, now),
      enginePresence ? null : this.#presence.sign({ sessionId, participantId, userId: caller.id, username: caller.username, familyId }, ttl, now),
    ]);
    return {
      sessionId,
      state: row.state,
      scriptUrl: this.#jitsi.scriptUrl,
      domain: this.#jitsi.domain,
      roomName: this.#jitsi.roomPath(row.room_name),
      jwt,
      moderator,
      displayName,
      presenceToken,
      // Jitsi's own lobby as a second gate: admission already keeps tokens from waiting guests (docs/visit.md).
      ...(moderator && this.#config.jitsi.lobby && !enginePresence && (row.waiting_room ?? 0) >= 1 ? { lobby: true } : {}),
    };
  }

  /** The built-in room shows the account beside the name itself; Jitsi shows only the name, so it carries the account. */
  #shownName(name: string, arrival: Arrival): string {
    return this.#jitsi.mode === 'builtin' ? name : accountMarkedName(name, arrival);
  }

  async #endInTransaction(trx: Transaction<Database>, row: ConferencesTable, now: number, actor: string, reason: EndReason) {
    await trx
      .updateTable('conferences')
      .set({ state: 'ended', ended_at: now, end_reason: reason, last_activity_at: now })
      .where('session_id', '=', row.session_id)
      .execute();
    await trx.updateTable('participants').set({ left_at: now }).where('session_id', '=', row.session_id).where('left_at', 'is', null).execute();
    // A recording still running stops first: the log (and the SDK's event channel, which follows it) says so before `ended`.
    await stopLiveRecordings(trx, row.session_id, now, { actor, reason: 'conference_ended' });
    await appendEvent(trx, { sessionId: row.session_id, type: 'ended', actor, at: now, data: { reason } });
  }

  /** Runs `change` in a write transaction holding the conference row (db.write: only database work); 404 when it does not exist. */
  async #mutate<T>(sessionId: string, change: (trx: Transaction<Database>, row: ConferencesTable) => Promise<T>): Promise<T> {
    return this.#db.write(async (trx) => {
      const row = await lockConference(trx, sessionId, this.#db.dialect);
      if (!row) throw notFound('conference');
      return change(trx, row);
    });
  }

  async #touch(trx: Transaction<Database>, row: ConferencesTable, now: number, event: Omit<NewEvent, 'sessionId' | 'at'>) {
    await trx.updateTable('conferences').set({ last_activity_at: now }).where('session_id', '=', row.session_id).execute();
    await appendEvent(trx, { ...event, sessionId: row.session_id, at: now });
  }

  #urlStorage(sessionId: string): string | null | Promise<string | null> {
    return this.#recordings ? this.#recordings.primaryRecordingUrl(sessionId) : null;
  }

  #find(sessionId: string) {
    return conferenceById.first(this.#db.kysely, { sessionId });
  }

  /** Another user's id is only "taken" (no owner, no state); the owner's own ended id says so at once. */
  #sameOwner(row: ConferencesTable, caller: Caller) {
    if (row.owner_id !== caller.id) throw new AppError('conflict', 'this session id is taken');
    this.#requireOpen(row);
    return { sessionId: row.session_id, created: false };
  }

  /** The access policy's answer for an action the row alone decides (no query: details runs on every poll). */
  #require(caller: Caller, row: ConferencesTable, action: RowAction) {
    this.#access.check(userPrincipal(caller), { ownerId: row.owner_id }, action);
  }

  #requireOpen(row: ConferencesTable) {
    if (row.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
  }

  #toDetails(row: ConferencesTable, owner: string, urlStorage: string | null): ConferenceDetails {
    let times = formattedTimes.get(row);
    if (!times) formattedTimes.set(row, (times = { created: iso(row.created_at)!, ended: iso(row.ended_at) }));
    return {
      sessionId: row.session_id,
      owner,
      created: times.created,
      ended: times.ended,
      state: row.state,
      urlStorage,
      hash: row.hash,
      hashType: row.hash_type,
      DLTId: row.dlt_id,
      DLTType: row.dlt_type,
    };
  }

  #notifyEnded(sessionId: string, roomName: string) {
    for (const listener of this.#endedListeners) {
      try {
        listener(sessionId, roomName);
      } catch {
        // A listener's failure must not undo or hide the end.
      }
    }
  }
}
