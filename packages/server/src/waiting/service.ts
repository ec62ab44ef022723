// The waiting room (issue 20): guests of a conference with a waiting room knock, wait and are admitted or denied by
// its owner; the video token (Jitsi JWT or built-in room token) is issued only after admission, once per admission.
// Every step is appended to the conference's event log (knocked, admitted, denied, allowed_again, left_waiting_room):
// ids only. A conference with `waiting_room` 2 (waitingRoomForUsers) makes users with accounts who join wait too.
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { ConferencesTable, Database, WaitingRoomTable, WaitingUsersTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { iso } from '../lib/clock.js';
import type { Config } from '../config.js';
import type { Embed, JoinWaiting, KnockReply, VisitInfo, VisitState, WaitingEntry } from '@v4h/protocol';
import { AppError, forbidden, notFound } from '../errors.js';
import { appendEvent, lockConference, type NewEvent } from '../db/event-log.js';
import { commitPersonalData } from '../db/commitments.js';
import { accessOf, userPrincipal, type AccessPolicy } from '../conferences/access-policy.js';
import type { GuestClaims } from '../conferences/guest-tokens.js';
import type { JitsiTokenIssuer } from '../jitsi/tokens.js';
import { accountMarkedName } from '../jitsi/display-names.js';
import type { ConferenceEventHub } from '../events/hub.js';

/** A guest, as their verified guest token names them. */
export type Guest = Pick<GuestClaims, 'sessionId' | 'guestId'>;

/** A user with an account in a conference's waiting room (waitingRoomForUsers). */
export interface UserWaiter {
  sessionId: string;
  userId: string;
}

/** Whoever waits: a guest link or a user. */
export type Waiter = Guest | UserWaiter;

/** Who calls the owner's routes. */
export interface WaitingCaller {
  id: string;
}

type Row = WaitingRoomTable;
/** A place in the waiting room: a guest link's row or a user's (both keyed by their unique participant_id). */
type AnyRow = WaitingRoomTable | WaitingUsersTable;

const isGuest = (w: Waiter): w is Guest => 'guestId' in w;
const isGuestRow = (row: AnyRow): row is WaitingRoomTable => 'guest_id' in row;
// Both tables share the columns the waiting room updates; rows are addressed by participant_id.
const tableOf = (row: AnyRow) => (isGuestRow(row) ? 'waiting_room' : 'waiting_users') as 'waiting_room';
const actorOfRow = (row: AnyRow) => (isGuestRow(row) ? `guest:${row.guest_id}` : `user:${row.user_id}`);
const UNDECIDED = { knocked_at: null, decided_at: null, deny_reason: null, entered_at: null };
const idsOfRow = (row: AnyRow): Record<string, string> =>
  isGuestRow(row) ? { participantId: row.participant_id, guestId: row.guest_id } : { participantId: row.participant_id, userId: row.user_id };
const keyOf = (w: Waiter) => (isGuest(w) ? w.guestId : `user:${w.sessionId}:${w.userId}`);

export class WaitingRoomService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #config: Config;
  readonly #access: AccessPolicy;
  readonly #jitsi: JitsiTokenIssuer;
  readonly #hub: Pick<ConferenceEventHub, 'subscribe' | 'nudge'> | undefined;
  /** Open event streams per guest in this process: while one is open, the guest keeps their place. */
  readonly #streams = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();

  /** `hub`: the server→SDK channel (events/): guests' streams follow the log through it, and it is nudged after each append. */
  constructor(deps: {
    db: Db;
    clock: Clock;
    config: Config;
    access: AccessPolicy;
    jitsi: JitsiTokenIssuer;
    hub?: Pick<ConferenceEventHub, 'subscribe' | 'nudge'>;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#config = deps.config;
    this.#access = deps.access;
    this.#jitsi = deps.jitsi;
    this.#hub = deps.hub;
  }

  /** GET /api/visit: who the guest is, whom they wait for, and where they stand. */
  async visit(guest: Guest): Promise<VisitInfo> {
    const { conference, row } = await this.#checked(guest);
    const link = await this.#db.kysely.selectFrom('guests').select('name').where('guest_id', '=', guest.guestId).executeTakeFirst();
    const { state, reason } = stateOf(conference, row);
    return {
      sessionId: guest.sessionId,
      guestId: guest.guestId,
      participantId: row.participant_id,
      name: link?.name ?? null,
      hostName: await this.#hostName(conference),
      brand: { name: this.#config.brand.name ?? null, logoUrl: this.#config.brand.logoUrl ?? null },
      state,
      reason: reason ?? null,
      entered: state === 'admitted' && row.entered_at !== null,
    };
  }

  /** The guest's (or waiting user's) state now (the event stream sends it on every change). */
  async state(waiter: Waiter): Promise<{ state: VisitState; reason?: string }> {
    const { conference, row } = isGuest(waiter) ? await this.#checked(waiter) : await this.#checkedUser(waiter);
    return stateOf(conference, row);
  }

  /**
   * POST /api/conferences/:sessionId/join of a conference whose users wait (waitingRoomForUsers): a user the owner has
   * not admitted (yet) knocks, having passed the join policy, and gets their place instead of an embed (idempotent
   * while waiting); null when they need not wait (no such waiting room, the owner, admitted, ended: the join goes on).
   * A denied user gets 403 until the owner allows them again.
   */
  async knockToJoin(caller: WaitingCaller & { username: string }, sessionId: string, password?: string): Promise<JoinWaiting | null> {
    const conference = await this.#db.kysely.selectFrom('conferences').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
    if (!conference || conference.waiting_room !== 2 || conference.owner_id === caller.id || conference.state === 'ended') return null;
    const waiter = { sessionId, userId: caller.id };
    if ((await this.#userRow(this.#db.kysely, waiter))?.state === 'admitted') return null;
    await this.#access.require(userPrincipal(caller), accessOf(conference), { do: 'join', password });
    const now = this.#clock.now();
    const row = await this.#db.write(async (trx) => {
      const conf = await lockConference(trx, sessionId, this.#db.dialect);
      if (!conf) throw notFound('conference');
      if (conf.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
      let found = await this.#userRow(trx, waiter);
      if (!found) {
        const participantId = `w-${randomBytes(9).toString('base64url')}`;
        const fresh: WaitingUsersTable = {
          participant_id: participantId,
          session_id: sessionId,
          user_id: caller.id,
          state: 'new',
          ...UNDECIDED,
          seen_at: null,
        };
        await trx.insertInto('waiting_users').values(fresh).execute();
        found = fresh;
      }
      if (found.state === 'denied') throw forbidden(found.deny_reason ?? 'the owner did not admit you; they can let you knock again');
      if (found.state !== 'new') return found;
      await trx
        .updateTable('waiting_users')
        .set({ state: 'waiting', knocked_at: now, seen_at: now })
        .where('participant_id', '=', found.participant_id)
        .execute();
      await this.#append(trx, conf, now, { type: 'knocked', actor: `user:${caller.id}`, data: { participantId: found.participant_id, userId: caller.id } });
      return { ...found, state: 'waiting' as const };
    });
    this.#changed(sessionId);
    if (row.state === 'admitted') return null;
    // Knocking without an open event stream: the place is kept for the grace period only.
    this.#checkLaterIfGone(waiter);
    return { sessionId, participantId: row.participant_id, state: row.state, hostName: await this.#hostName(conference) };
  }

  /** A waiting user leaves (POST /api/conferences/:sessionId/waiting/me/leave); joining again knocks again. */
  async leaveAsUser(waiter: UserWaiter): Promise<{ state: VisitState }> {
    const now = this.#clock.now();
    const state = await this.#db.write(async (trx) => {
      const conference = await lockConference(trx, waiter.sessionId, this.#db.dialect);
      if (!conference) throw notFound('conference');
      const row = await this.#userRow(trx, waiter);
      if (!row) throw notFound('place in the waiting room');
      if (conference.state === 'ended') return 'ended' as const;
      if (row.state === 'denied' || row.state === 'new') return row.state;
      await this.#leaveInTransaction(trx, conference, row, now, 'left');
      return 'new' as const;
    });
    this.#changed(waiter.sessionId);
    return { state };
  }

  /**
   * The guest knocks (POST /api/visit/knock). Idempotent while waiting or admitted (a reload keeps its place); a denied
   * link answers 409 until the owner allows it again; an ended conference 409 `conference_ended`. `name` replaces the
   * link's (a link without one needs it).
   */
  async knock(guest: Guest, name?: string): Promise<KnockReply> {
    const now = this.#clock.now();
    const result = await this.#write(guest, async (trx, conference, row) => {
      if (conference.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
      if (row.state === 'denied') throw new AppError('conflict', 'the clinician did not admit this link; they can allow it to knock again');
      if (name !== undefined) await trx.updateTable('guests').set({ name }).where('guest_id', '=', guest.guestId).execute();
      if (row.state !== 'new') return { row, appended: false };
      const link = await trx.selectFrom('guests').select('name').where('guest_id', '=', guest.guestId).executeTakeFirst();
      if (!link?.name) throw new AppError('validation_failed', 'a name is needed to knock (this link carries none)');
      await trx
        .updateTable('waiting_room')
        .set({ state: 'waiting', knocked_at: now, decided_at: null, deny_reason: null, entered_at: null })
        .where('guest_id', '=', guest.guestId)
        .execute();
      // The name the guest typed is committed to, as a guest link's is (docs/manifest.md §1.1): ids and commitments only.
      const commitments = name === undefined ? undefined : await commitPersonalData(trx, `guest:${guest.guestId}`, { name });
      await this.#append(trx, conference, now, {
        type: 'knocked',
        actor: `guest:${guest.guestId}`,
        data: { participantId: row.participant_id, guestId: guest.guestId, ...(commitments ? { commitments } : {}) },
      });
      return { row: { ...row, state: 'waiting' as const }, appended: true };
    });
    // Knocking without an open event stream: the place is kept for the grace period only.
    if (result.appended) this.#checkLaterIfGone(guest);
    return { participantId: result.row.participant_id, state: result.row.state === 'new' ? 'waiting' : result.row.state };
  }

  /**
   * Once admitted (POST /api/visit/enter): the embed the start/join routes answer, with a video token for this guest.
   * Issued once per admission: a second enter answers 409 unless the guest left the call since (the built-in room
   * sees leaves; with Jitsi the guest leaves the visit and knocks again).
   */
  async enter(guest: Guest): Promise<Embed> {
    const now = this.#clock.now();
    const { conference, name, avatar } = await this.#write(guest, async (trx, conference, row) => {
      if (conference.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
      if (row.state !== 'admitted') throw forbidden('the clinician has not admitted you (yet): knock and wait');
      if (row.entered_at !== null && !(await leftCallSince(trx, guest, row.entered_at))) {
        throw new AppError('conflict', 'this admission was already used to enter the call (one person per link at a time)');
      }
      await trx.updateTable('waiting_room').set({ entered_at: now }).where('guest_id', '=', guest.guestId).execute();
      const actor = `guest:${guest.guestId}`;
      await this.#append(trx, conference, now, { type: 'token_issued', actor, data: { to: actor, role: 'participant' } });
      const link = await trx.selectFrom('guests').select(['name', 'avatar_url']).where('guest_id', '=', guest.guestId).executeTakeFirst();
      return { conference, name: link?.name ?? 'Guest', avatar: link?.avatar_url ?? null };
    });
    // A short-lived admission, as users' (V4H_ADMISSION_TOKEN_TTL): the built-in room lets a live participant reconnect
    // after it expires; a new entry needs a new admission.
    const displayName = this.#jitsi.mode === 'builtin' ? name : accountMarkedName(name, { guest: true });
    const jwt = await this.#jitsi.issue(
      conference.room_name,
      { id: guest.guestId, name: displayName, avatar, moderator: false },
      this.#config.admissionTokenTtl,
      now,
    );
    return {
      sessionId: conference.session_id,
      state: conference.state,
      scriptUrl: this.#jitsi.scriptUrl,
      domain: this.#jitsi.domain,
      roomName: this.#jitsi.roomPath(conference.room_name),
      jwt,
      moderator: false,
      displayName,
      presenceToken: null,
    };
  }

  /** The guest leaves (POST /api/visit/leave): the queue, or an admission not used yet; they may knock again. */
  async leave(guest: Guest): Promise<{ state: VisitState }> {
    const now = this.#clock.now();
    const state = await this.#write(guest, async (trx, conference, row) => {
      if (conference.state === 'ended') return 'ended' as const;
      if (row.state === 'denied' || row.state === 'new') return row.state;
      await this.#leaveInTransaction(trx, conference, row, now, 'left');
      return 'new' as const;
    });
    return { state };
  }

  /** An event stream of this guest (or user) opened: they are in the queue while one is open (this process or another). */
  async streamOpened(guest: Waiter): Promise<void> {
    this.#streams.set(keyOf(guest), (this.#streams.get(keyOf(guest)) ?? 0) + 1);
    await this.#seen(guest);
  }

  /** Its stream closed: unless another opens within the grace period, the guest (or user) leaves the queue. */
  async streamClosed(guest: Waiter): Promise<void> {
    const left = (this.#streams.get(keyOf(guest)) ?? 1) - 1;
    if (left > 0) this.#streams.set(keyOf(guest), left);
    else this.#streams.delete(keyOf(guest));
    await this.#seen(guest).catch(() => {});
    if (left <= 0) this.#checkLaterIfGone(guest);
  }

  /** How often an open stream says it is still there (other processes decide on it). */
  get heartbeatMs(): number {
    return Math.max(250, this.#config.waitingRoom.graceSeconds * 500);
  }

  /** Refreshes the guest's last sign of life (an open stream calls it every heartbeatMs). */
  async seen(guest: Waiter): Promise<void> {
    await this.#seen(guest);
  }

  /** Owner: the guests who knocked and are waiting, admitted (not gone since) or denied, by knock time. */
  async list(caller: WaitingCaller, sessionId: string): Promise<WaitingEntry[]> {
    const conference = await this.#db.kysely.selectFrom('conferences').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
    if (!conference) throw notFound('conference');
    this.#access.check(userPrincipal(caller), { ownerId: conference.owner_id }, { do: 'manage' });
    const rows = await this.#db.kysely
      .selectFrom('waiting_room')
      .innerJoin('guests', 'guests.guest_id', 'waiting_room.guest_id')
      .select(['waiting_room.participant_id', 'waiting_room.guest_id', 'waiting_room.state', 'waiting_room.knocked_at', 'guests.name'])
      .where('waiting_room.session_id', '=', sessionId)
      .where('waiting_room.state', '!=', 'new')
      .orderBy('waiting_room.knocked_at')
      .orderBy('waiting_room.participant_id')
      .execute();
    const users = await this.#db.kysely
      .selectFrom('waiting_users')
      .innerJoin('users', 'users.id', 'waiting_users.user_id')
      .select(['waiting_users.participant_id', 'waiting_users.user_id', 'waiting_users.state', 'waiting_users.knocked_at', 'users.username'])
      .where('waiting_users.session_id', '=', sessionId)
      .where('waiting_users.state', '!=', 'new')
      .execute();
    const entries = [
      ...rows.map((r) => ({
        at: Number(r.knocked_at ?? 0),
        participantId: r.participant_id,
        guestId: r.guest_id,
        name: r.name,
        knockedAt: r.knocked_at,
        state: r.state,
      })),
      ...users.map((r) => ({
        at: Number(r.knocked_at ?? 0),
        participantId: r.participant_id,
        guestId: null,
        userId: r.user_id,
        name: r.username,
        knockedAt: r.knocked_at,
        state: r.state,
      })),
    ];
    entries.sort((a, b) => a.at - b.at || (a.participantId < b.participantId ? -1 : 1));
    return entries.map(({ at: _at, knockedAt, ...entry }) => ({ ...entry, knockedAt: iso(knockedAt === null ? null : Number(knockedAt)) }));
  }

  /** Owner: lets a waiting guest in (idempotent while admitted). */
  async admit(caller: WaitingCaller, sessionId: string, participantId: string): Promise<WaitingEntry> {
    return this.#decide(caller, sessionId, participantId, async (trx, conference, row, now) => {
      if (row.state === 'admitted') return row;
      if (row.state !== 'waiting') throw new AppError('conflict', `this guest is not waiting (${row.state === 'new' ? 'gone' : row.state})`);
      await trx
        .updateTable(tableOf(row))
        .set({ state: 'admitted', decided_at: now, entered_at: null })
        .where('participant_id', '=', row.participant_id)
        .execute();
      await this.#append(trx, conference, now, { type: 'admitted', actor: `user:${caller.id}`, data: idsOfRow(row) });
      return { ...row, state: 'admitted' as const };
    });
  }

  /** Owner: turns a waiting (or admitted, not yet entered) guest away; `reason` is shown to them, never recorded in the log. */
  async deny(caller: WaitingCaller, sessionId: string, participantId: string, reason?: string): Promise<WaitingEntry> {
    return this.#decide(caller, sessionId, participantId, async (trx, conference, row, now) => {
      if (row.state === 'denied') return row;
      if (row.state === 'admitted' && row.entered_at !== null)
        throw new AppError('conflict', 'this guest has entered the call: remove them there (kickParticipant) or revoke their link');
      if (row.state !== 'waiting' && row.state !== 'admitted') throw new AppError('conflict', 'this guest is not waiting (gone)');
      await trx
        .updateTable(tableOf(row))
        .set({ state: 'denied', decided_at: now, deny_reason: reason ?? null })
        .where('participant_id', '=', row.participant_id)
        .execute();
      await this.#append(trx, conference, now, { type: 'denied', actor: `user:${caller.id}`, data: idsOfRow(row) });
      return { ...row, state: 'denied' as const };
    });
  }

  /** Owner: a denied link (or user) may knock again (back at `new`); `allowed_again` in the log, as admit and deny are. */
  async allowAgain(caller: WaitingCaller, sessionId: string, participantId: string): Promise<WaitingEntry> {
    return this.#decide(caller, sessionId, participantId, async (trx, conference, row, now) => {
      if (row.state !== 'denied') throw new AppError('conflict', 'this guest was not denied');
      await trx
        .updateTable(tableOf(row))
        .set({ state: 'new', decided_at: null, deny_reason: null, knocked_at: null, entered_at: null })
        .where('participant_id', '=', row.participant_id)
        .execute();
      await this.#append(trx, conference, now, { type: 'allowed_again', actor: `user:${caller.id}`, data: idsOfRow(row) });
      return { ...row, state: 'new' as const };
    });
  }

  /**
   * Calls `send` with the guest's state each time it changes after `current`, as the conference's log grows (the one
   * event path: event log → hub); `gone` once the guest may no longer visit (a revoked link). Returns the unsubscribe.
   */
  async follow(guest: Waiter, current: VisitState, send: (state: { state: VisitState; reason?: string }) => void, gone: () => void): Promise<() => void> {
    if (!this.#hub) return () => {};
    const newest = await this.#db.kysely
      .selectFrom('conference_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('session_id', '=', guest.sessionId)
      .executeTakeFirst();
    let last = current;
    let checking = Promise.resolve();
    // One state read at a time, in order: a burst of events sends each change once.
    const check = () => {
      checking = checking.then(async () => {
        try {
          const now = await this.state(guest);
          if (now.state === last) return;
          last = now.state;
          send(now);
        } catch {
          gone();
        }
      });
    };
    const unsubscribe = this.#hub.subscribe(guest.sessionId, Number(newest?.seq ?? 0), check);
    // A change between the caller's read of `current` and the subscription (a knock racing the stream's opening) has no
    // event after `newest`: one read now catches it up.
    check();
    return unsubscribe;
  }

  /** Stops the pending grace checks (app close). */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #decide(
    caller: WaitingCaller,
    sessionId: string,
    participantId: string,
    change: (trx: Transaction<Database>, conference: ConferencesTable, row: AnyRow, now: number) => Promise<AnyRow>,
  ): Promise<WaitingEntry> {
    const now = this.#clock.now();
    const row = await this.#db.write(async (trx) => {
      const conference = await lockConference(trx, sessionId, this.#db.dialect);
      if (!conference) throw notFound('conference');
      this.#access.check(userPrincipal(caller), { ownerId: conference.owner_id }, { do: 'manage' });
      if (conference.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
      const found =
        (await trx.selectFrom('waiting_room').selectAll().where('session_id', '=', sessionId).where('participant_id', '=', participantId).executeTakeFirst()) ??
        (await trx.selectFrom('waiting_users').selectAll().where('session_id', '=', sessionId).where('participant_id', '=', participantId).executeTakeFirst());
      if (!found) throw notFound('waiting guest');
      return change(trx, conference, found, now);
    });
    this.#changed(sessionId);
    const knockedAt = row.state === 'new' || row.knocked_at === null ? null : iso(Number(row.knocked_at));
    if (!isGuestRow(row)) {
      const user = await this.#db.kysely.selectFrom('users').select('username').where('id', '=', row.user_id).executeTakeFirst();
      return { participantId: row.participant_id, guestId: null, userId: row.user_id, name: user?.username ?? null, knockedAt, state: row.state };
    }
    const link = await this.#db.kysely.selectFrom('guests').select('name').where('guest_id', '=', row.guest_id).executeTakeFirst();
    return { participantId: row.participant_id, guestId: row.guest_id, name: link?.name ?? null, knockedAt, state: row.state };
  }

  /** The conference and the guest's row, once the access policy lets this guest visit (revoked links: 403). */
  async #checked(guest: Guest): Promise<{ conference: ConferencesTable; row: Row }> {
    const conference = await this.#db.kysely.selectFrom('conferences').selectAll().where('session_id', '=', guest.sessionId).executeTakeFirst();
    if (!conference) throw notFound('conference');
    await this.#access.require({ kind: 'guest', id: guest.guestId }, accessOf(conference), { do: 'visit' });
    const row = await this.#db.kysely.selectFrom('waiting_room').selectAll().where('guest_id', '=', guest.guestId).executeTakeFirst();
    if (!row || row.session_id !== guest.sessionId) throw forbidden('this guest link has no waiting room');
    return { conference, row };
  }

  /** The conference and the user's place in its waiting room (404 when they never knocked). */
  async #checkedUser(waiter: UserWaiter): Promise<{ conference: ConferencesTable; row: AnyRow }> {
    const conference = await this.#db.kysely.selectFrom('conferences').selectAll().where('session_id', '=', waiter.sessionId).executeTakeFirst();
    if (!conference) throw notFound('conference');
    const row = await this.#userRow(this.#db.kysely, waiter);
    if (!row) throw notFound('place in the waiting room (join the conference first)');
    return { conference, row };
  }

  #userRow(executor: Pick<Transaction<Database>, 'selectFrom'>, waiter: UserWaiter): Promise<WaitingUsersTable | undefined> {
    return executor.selectFrom('waiting_users').selectAll().where('session_id', '=', waiter.sessionId).where('user_id', '=', waiter.userId).executeTakeFirst();
  }

  /** A write holding the conference row, after the same checks as #checked. */
  async #write<T>(guest: Guest, change: (trx: Transaction<Database>, conference: ConferencesTable, row: Row) => Promise<T>): Promise<T> {
    const result = await this.#db.write(async (trx) => {
      const conference = await lockConference(trx, guest.sessionId, this.#db.dialect);
      if (!conference) throw notFound('conference');
      await this.#access.require({ kind: 'guest', id: guest.guestId }, accessOf(conference), { do: 'visit' }, trx);
      const row = await trx.selectFrom('waiting_room').selectAll().where('guest_id', '=', guest.guestId).executeTakeFirst();
      if (!row || row.session_id !== guest.sessionId) throw forbidden('this guest link has no waiting room');
      return change(trx, conference, row);
    });
    this.#changed(guest.sessionId);
    return result;
  }

  async #leaveInTransaction(trx: Transaction<Database>, conference: ConferencesTable, row: AnyRow, now: number, reason: 'left' | 'gone') {
    await trx
      .updateTable(tableOf(row))
      .set({ state: 'new', knocked_at: null, decided_at: null, entered_at: null })
      .where('participant_id', '=', row.participant_id)
      .execute();
    // An admission already used to enter: the call itself records the leave (`left`).
    if (row.state === 'admitted' && row.entered_at !== null) return;
    await this.#append(trx, conference, now, {
      type: 'left_waiting_room',
      actor: reason === 'left' ? actorOfRow(row) : 'system',
      data: { ...idsOfRow(row), reason },
    });
  }

  #changed(sessionId: string) {
    this.#hub?.nudge(sessionId);
  }

  async #append(trx: Transaction<Database>, conference: ConferencesTable, now: number, event: Omit<NewEvent, 'sessionId' | 'at'>) {
    await trx.updateTable('conferences').set({ last_activity_at: now }).where('session_id', '=', conference.session_id).execute();
    await appendEvent(trx, { ...event, sessionId: conference.session_id, at: now });
  }

  async #seen(waiter: Waiter) {
    const now = this.#clock.now();
    await this.#db.write((trx) =>
      isGuest(waiter)
        ? trx.updateTable('waiting_room').set({ seen_at: now }).where('guest_id', '=', waiter.guestId).where('state', '=', 'waiting').execute()
        : trx
            .updateTable('waiting_users')
            .set({ seen_at: now })
            .where('session_id', '=', waiter.sessionId)
            .where('user_id', '=', waiter.userId)
            .where('state', '=', 'waiting')
            .execute(),
    );
  }

  /** After the grace period: a waiting guest with no stream open here, and none seen elsewhere since, leaves the queue. */
  #checkLaterIfGone(guest: Waiter) {
    const graceMs = this.#config.waitingRoom.graceSeconds * 1000;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#leaveIfGone(guest, graceMs).catch(() => {});
    }, graceMs + 50);
    timer.unref?.();
    this.#timers.add(timer);
  }

  async #leaveIfGone(guest: Waiter, graceMs: number) {
    if ((this.#streams.get(keyOf(guest)) ?? 0) > 0) return;
    const now = this.#clock.now();
    const left = await this.#db.write(async (trx) => {
      const conference = await lockConference(trx, guest.sessionId, this.#db.dialect);
      if (!conference || conference.state === 'ended') return false;
      const row = isGuest(guest)
        ? await trx.selectFrom('waiting_room').selectAll().where('guest_id', '=', guest.guestId).executeTakeFirst()
        : await this.#userRow(trx, guest);
      if (!row || row.state !== 'waiting') return false;
      const lastSign = Math.max(Number(row.seen_at ?? 0), Number(row.knocked_at ?? 0));
      if (lastSign >= now - graceMs) return false;
      await this.#leaveInTransaction(trx, conference, row, now, 'gone');
      return true;
    });
    if (left) this.#changed(guest.sessionId);
  }

  /** "Waiting for Dr. Ana": the owner's name in the call when they gave one, else their username. */
  async #hostName(conference: ConferencesTable): Promise<string> {
    if (conference.host_name) return conference.host_name;
    const shown = await this.#db.kysely
      .selectFrom('participants')
      .select('display_name')
      .where('session_id', '=', conference.session_id)
      .where('user_id', '=', conference.owner_id)
      .where('display_name', 'is not', null)
      .orderBy('joined_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (shown?.display_name) return shown.display_name;
    const owner = await this.#db.kysely.selectFrom('users').select('username').where('id', '=', conference.owner_id).executeTakeFirst();
    return owner?.username ?? '';
  }
}

/** The guest's state: an ended conference turns everyone away. */
function stateOf(conference: ConferencesTable, row: AnyRow): { state: VisitState; reason?: string } {
  if (conference.state === 'ended') return { state: 'ended' };
  if (row.state === 'denied') return row.deny_reason ? { state: 'denied', reason: row.deny_reason } : { state: 'denied' };
  return { state: row.state };
}

/** Whether the guest, having entered the call at `since`, has left it since (the built-in room's `left`, by actor). */
async function leftCallSince(trx: Transaction<Database>, guest: Guest, since: number): Promise<boolean> {
  const last = await trx
    .selectFrom('conference_events')
    .select(['type', 'at'])
    .where('session_id', '=', guest.sessionId)
    .where('actor', '=', `guest:${guest.guestId}`)
    .where('type', 'in', ['joined', 'left'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last !== undefined && last.type === 'left' && Number(last.at) >= since;
}
