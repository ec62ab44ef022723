// The one answer to "may this caller do X to this conference": owner-only actions, join policies, files and their
// sharing, records, events and call quality. Every domain asks here (conferences, room, storage, records, events,
// quality); organisations decide ORG (db/memberships.ts); an organisation's API key is a principal of its own,
// acting for its organisation within its scopes.
import type { Expression, ExpressionBuilder, Kysely, SqlBool, Transaction } from 'kysely';
import type { Database, JoinPolicy } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { AppError, forbidden } from '../errors.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { Db } from '../db/database.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { normalizeUsername } from '../auth/usernames.js';
import { DEFAULT_ORGANISATION_ID, membershipOf, type Membership } from '../db/memberships.js';
import type { AuthApiKey } from '../auth/authenticate.js';
import type { ApiKeyScope } from '@v4h/protocol';

export { DEFAULT_ORGANISATION_ID, membershipOf, type Membership };

/** An organisation's API key: acts for its organisation (on its conferences), within its scopes. */
export type ApiKeyPrincipal = { kind: 'apikey'; id: string; organisationId: string; scopes: readonly string[] };

/**
 * Who asks: a signed-in user (`admin` when the server's admin, see privacy/admin.ts), a guest of a guest link, the
 * recorder service (Jibri), or an organisation's API key. Presence reports are no one: they grant nothing. A user's
 * organisation, role and units (`membership`) are looked up when a rule needs them (AccessPolicy.membership), unless
 * the caller already knows them.
 */
export type Principal =
  { kind: 'user'; id: string; admin?: boolean; membership?: Membership } | { kind: 'guest'; id: string } | { kind: 'recorder' } | ApiKeyPrincipal;

/** The principal of a signed-in user (`admin`: whether the server's admin). */
export const userPrincipal = (user: { id: string }, admin = false): Principal => ({ kind: 'user', id: user.id, admin });

/** The principal of an API key, as authenticate sets it. */
export const keyPrincipal = (key: AuthApiKey): ApiKeyPrincipal => ({ kind: 'apikey', id: key.id, organisationId: key.organisationId, scopes: key.scopes });

/** The event log's actor for a principal acting: `user:<id>`, `apikey:<keyId>` (ids only, docs/manifest.md §1.1). */
export const actorOf = (who: { kind: 'user'; id: string } | ApiKeyPrincipal) => `${who.kind}:${who.id}`;

/** The scope a key needs for each action on a conference; actions not listed are never a key's. */
const KEY_SCOPES: Partial<Record<ConferenceAction['do'], ApiKeyScope>> = {
  read_details: 'conferences:read',
  read_records: 'conferences:read',
  manage: 'conferences:write',
};

/** What the policy needs to know about a conference. */
export interface ConferenceAccess {
  sessionId: string;
  ownerId: string;
  /** The organisation it belongs to (its owner's when it was requested). */
  organisationId: string;
  joinPolicy: JoinPolicy;
  joinPasswordHash: string | null;
}

/** What a file needs for its visibility. */
export interface FileAccess {
  uploaderId: string | null;
  shared: boolean;
}

/** Actions decided from the conference row alone: no query, so hot paths (getConference) can ask synchronously. */
export type RowAction =
  | { do: 'read_details' } // getConference
  | { do: 'manage' } // start, end, guest links and their revocation, share files
  | { do: 'read_records' } // manifest bundle, verification links
  | { do: 'read_quality' } // the owner, or the admin
  | { do: 'delete_file' } // the owner, or the admin
  | { do: 'save_chat' }; // the built-in room's transcript, stored as an attachment

/** The actions a route can ask about. */
export type ConferenceAction =
  | RowAction
  | { do: 'join'; password?: string }
  | { do: 'upload'; kind: 'recording' | 'attachment'; shared?: boolean }
  | { do: 'list_files' }
  | { do: 'read_file'; file: FileAccess }
  | { do: 'follow_events' }
  | { do: 'consent' } // see a consent request's text, answer it, see whether the call is being recorded
  // A guest's visit to a waiting room (waiting/): their link is this conference's and the owner has not revoked it.
  | { do: 'visit' };

const ROW_ACTIONS = new Set<ConferenceAction['do']>(['read_details', 'manage', 'read_records', 'read_quality', 'delete_file', 'save_chat']);
const isRowAction = (action: ConferenceAction): action is RowAction => ROW_ACTIONS.has(action.do);

export const JOIN_POLICIES: readonly JoinPolicy[] = ['ORG', 'ORGUNIT', 'RESTRICT', 'SESSIONPWD', 'PUBLIC'];

const POLICY_REFUSAL: Record<JoinPolicy, string> = {
  ORG: 'join policy ORG: only colleagues of the owner’s organisation may join',
  ORGUNIT: 'join policy ORGUNIT: only members of the units the owner named may join',
  RESTRICT: 'join policy RESTRICT: only the users the owner named may join this conference',
  SESSIONPWD: 'join policy SESSIONPWD: the conference password is missing or wrong',
  PUBLIC: 'join policy PUBLIC: a signed-in account is needed',
};

/** Wrong conference passwords per user and conference before 429 (each costs an argon2id verification anyway). */
const PASSWORD_ATTEMPTS = 10;
const PASSWORD_WINDOW_MS = 10 * 60_000;

type Executor = Kysely<Database> | Transaction<Database>;

/** The conference access rules (see docs/api.md, "Who may do what"). */
export class AccessPolicy {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#limiter = new RateLimiter(deps.db);
  }

  /** The stored form of a SESSIONPWD password: an argon2id hash, never the password. */
  hashJoinPassword(password: string): Promise<string> {
    return hashPassword(password);
  }

  /**
   * Throws 403 `forbidden` naming the rule unless the row alone allows it: owner-only actions, and the admin's. No
   * query and no promise: getConference asks on every poll.
   */
  check(who: Principal, conference: Pick<ConferenceAccess, 'ownerId'>, action: RowAction): void {
    if (!this.permits(who, conference, action)) throw forbidden(ROW_REFUSAL[action.do]);
  }

  /** True when the row alone allows it (same rules as check, without throwing). */
  permits(who: Principal, conference: Pick<ConferenceAccess, 'ownerId'>, action: RowAction): boolean {
    return permitsFromRow(who, conference, action);
  }

  /**
   * Whether `who` may have the TURN relay's credentials for a pre-call check (GET /api/ice-servers): a signed-in user
   * or a guest of a link (someone about to be in a call), never the recorder, which joins no call through the relay.
   */
  mayUseRelay(who: Principal): boolean {
    return who.kind === 'user' || who.kind === 'guest';
  }

  /** Resolves when allowed; throws 403 `forbidden` naming the rule (or 429 after many wrong passwords). */
  async require(who: Principal, conference: ConferenceAccess, action: ConferenceAction, executor: Executor = this.#db.kysely): Promise<void> {
    if (who.kind === 'apikey') {
      const scope = KEY_SCOPES[action.do];
      if (!scope) throw forbidden(`an API key may not do this (${action.do.replace('_', ' ')}): a user's access token is needed`);
      this.requireScope(who, scope);
      // The organisation's conferences (their owners' organisation when requested), and no other's.
      if (conference.organisationId !== who.organisationId) throw forbidden("API key: this conference belongs to another organisation than the key's");
      return;
    }
    if (isRowAction(action)) return this.check(who, conference, action);
    if (action.do === 'join' && who.kind === 'user' && who.id !== conference.ownerId && (await this.#isRemoved(executor, conference.sessionId, who.id))) {
      throw forbidden('you were removed from this conference by its owner');
    }
    if (!(await this.#allows(who, conference, action, executor))) throw forbidden(this.#refusal(conference, action));
    // A waiting room reached through an appointment link: only inside its slot.
    if (who.kind === 'guest' && action.do === 'visit') await this.#requireSlot(executor, who.id);
    // Only the owner decides what the participants see.
    if (action.do === 'upload' && action.shared && !(who.kind === 'user' && who.id === conference.ownerId)) {
      throw forbidden('only the conference owner may share files with the participants');
    }
  }

  /** Throws 403 `forbidden` unless the key holds `scope`. */
  requireScope(who: ApiKeyPrincipal, scope: ApiKeyScope): void {
    if (!who.scopes.includes(scope)) throw forbidden(`this API key lacks the scope ${scope}`);
  }

  /**
   * An API key acting for a user (creating a conference they will own): the key holds `scope` and the user is a
   * member of the key's organisation. A user of another organisation and a user who does not exist are refused alike,
   * so a key learns nothing about other organisations.
   */
  async requireActingFor(who: ApiKeyPrincipal, userId: string | undefined, scope: ApiKeyScope, executor: Executor = this.#db.kysely): Promise<void> {
    this.requireScope(who, scope);
    if (userId === undefined || (await membershipOf(executor, userId)).organisationId !== who.organisationId) {
      throw forbidden("API key: the owner must be a member of the key's organisation");
    }
  }

  /** True when allowed (same rules as require, without throwing). */
  async allows(who: Principal, conference: ConferenceAccess, action: ConferenceAction, executor: Executor = this.#db.kysely): Promise<boolean> {
    if (isRowAction(action)) return this.permits(who, conference, action);
    return this.#allows(who, conference, action, executor);
  }

  /** A user's organisation, role and units (null for guests and the recorder), looked up unless the principal has it. */
  async membership(who: Principal, executor: Executor = this.#db.kysely): Promise<Membership | null> {
    if (who.kind !== 'user') return null;
    return who.membership ?? membershipOf(executor, who.id);
  }

  /**
   * Which conferences a user sees in GET /api/conferences, as a where-clause over `conferences`: their own, and others'
   * whose list policy admits them: PUBLIC every account, ORG the conference's organisation, ORGUNIT the members of its
   * units, RESTRICT the users its owner named, SESSIONPWD nobody else (a password-protected call is not advertised).
   */
  async listable(who: Principal): Promise<(eb: ExpressionBuilder<Database, 'conferences'>) => Expression<SqlBool>> {
    // An API key acts for its organisation (its EHR's own appointments): every conference of the organisation.
    if (who.kind === 'apikey') {
      this.requireScope(who, 'conferences:read');
      return (eb) => eb('conferences.organisation_id', '=', who.organisationId);
    }
    if (who.kind !== 'user') throw forbidden('only signed-in users and API keys list conferences');
    const { organisationId, unitIds } = (await this.membership(who))!;
    return (eb) =>
      eb.or([
        eb('conferences.owner_id', '=', who.id),
        eb('conferences.list_policy', '=', 'PUBLIC'),
        eb.and([eb('conferences.list_policy', '=', 'ORG'), eb('conferences.organisation_id', '=', organisationId)]),
        ...(unitIds.length === 0
          ? []
          : [
              eb.and([
                eb('conferences.list_policy', '=', 'ORGUNIT'),
                eb('conferences.organisation_id', '=', organisationId),
                eb.exists(
                  eb
                    .selectFrom('conference_units')
                    .select('conference_units.unit_id')
                    .whereRef('conference_units.session_id', '=', 'conferences.session_id')
                    .where('conference_units.unit_id', 'in', unitIds),
                ),
              ]),
            ]),
        eb.and([
          eb('conferences.list_policy', '=', 'RESTRICT'),
          eb.exists(
            eb
              .selectFrom('conference_members')
              .select('conference_members.user_id')
              .whereRef('conference_members.session_id', '=', 'conferences.session_id')
              .where('conference_members.user_id', '=', who.id)
              .where('conference_members.role', '=', 'invited'),
          ),
        ]),
      ]);
  }

  /**
   * Organisations: the instance admin (V4H_ADMIN_USERNAME) creates them and may manage any; an organisation's admins
   * manage its users, units and settings; its members may read it (name, settings). Throws 403 `forbidden` naming the rule.
   */
  async requireOrganisation(who: Principal, organisationId: string | null, action: OrganisationAction): Promise<void> {
    if (who.kind !== 'user') throw forbidden(ORGANISATION_REFUSAL[action]);
    if (who.admin === true) return;
    if (action === 'create' || organisationId === null) throw forbidden(ORGANISATION_REFUSAL.create);
    const membership = (await this.membership(who))!;
    const allowed = membership.organisationId === organisationId && (action === 'read' || membership.role === 'admin');
    if (!allowed) throw forbidden(ORGANISATION_REFUSAL[action]);
  }

  /**
   * Erasing personal data (privacy/): the instance admin anyone's; an organisation's admin that of its users, of its
   * conferences and of their guests. A target outside the admin's organisation, or unknown, is refused alike (403).
   */
  async requireErasure(who: Principal, target: { username: string } | { sessionId: string } | { guestId: string }): Promise<void> {
    if (who.kind === 'user' && who.admin === true) return;
    const refusal = forbidden('only the instance admin, or an admin of the organisation it belongs to, may erase this personal data');
    if (who.kind !== 'user') throw refusal;
    const membership = (await this.membership(who))!;
    if (membership.role !== 'admin') throw refusal;
    const db = this.#db.kysely;
    let organisationId: string | undefined;
    if ('username' in target) {
      const user = await db.selectFrom('users').select('id').where('username', '=', normalizeUsername(target.username)).executeTakeFirst();
      organisationId = user && (await membershipOf(db, user.id)).organisationId;
    } else {
      const sessionId =
        'sessionId' in target
          ? target.sessionId
          : (await db.selectFrom('guests').select('session_id').where('guest_id', '=', target.guestId).executeTakeFirst())?.session_id;
      const conference =
        sessionId === undefined
          ? undefined
          : await db.selectFrom('conferences').select('organisation_id').where('session_id', '=', sessionId).executeTakeFirst();
      organisationId = conference && (conference.organisation_id ?? DEFAULT_ORGANISATION_ID);
    }
    if (organisationId !== membership.organisationId) throw refusal;
  }

  /** Which of these files the caller sees: the owner all; others their own uploads, and shared ones once admitted. */
  async visibleFiles<F extends FileAccess>(who: Principal, conference: ConferenceAccess, files: F[]): Promise<F[]> {
    if (who.kind !== 'user') return [];
    if (who.id === conference.ownerId) return files;
    const admitted = await this.#isMember(this.#db.kysely, conference.sessionId, who.id, 'admitted');
    return files.filter((f) => f.uploaderId === who.id || (admitted && f.shared));
  }

  /** Records that a user passed the join policy (in the join's transaction): uploads and shared files need it. */
  async admit(executor: Executor, sessionId: string, userId: string): Promise<void> {
    await executor
      .insertInto('conference_members')
      .values({ session_id: sessionId, user_id: userId, role: 'admitted' })
      .onConflict((oc) => oc.columns(['session_id', 'user_id', 'role']).doNothing())
      .execute();
  }

  /** Takes back an admission (a kicked user must pass the policy again, password included). */
  async revokeAdmission(sessionId: string, userId: string): Promise<void> {
    await this.#db.kysely
      .deleteFrom('conference_members')
      .where('session_id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('role', '=', 'admitted')
      .execute();
  }

  /** The organisation a principal acts for (a user's own, db/memberships.ts). */
  async organisationOf(who: Principal): Promise<string> {
    const membership = await this.membership(who);
    if (!membership) throw forbidden('only users and API keys act for an organisation');
    return membership.organisationId;
  }

  /** True for the organisation's admins and the instance admin (V4H_ADMIN_USERNAME), who manages every organisation. */
  async isOrganisationAdmin(who: Principal, organisationId: string): Promise<boolean> {
    if (who.kind !== 'user') return false;
    if (who.admin) return true;
    const membership = await this.membership(who);
    return membership?.role === 'admin' && membership.organisationId === organisationId;
  }

  /** Resolves when the principal administers the organisation; else 403 naming what needs it (webhooks, keys…). */
  async requireOrganisationAdmin(who: Principal, organisationId: string, what: string): Promise<void> {
    if (!(await this.isOrganisationAdmin(who, organisationId))) {
      throw forbidden(`only an admin of organisation ${organisationId} (or the instance admin) may manage its ${what}`);
    }
  }

  async #allows(who: Principal, c: ConferenceAccess, action: Exclude<ConferenceAction, RowAction>, executor: Executor): Promise<boolean> {
    // A key joins, uploads and reads files never: it has no place in the call (require decides what it may do).
    if (who.kind === 'apikey') return false;
    if (who.kind === 'recorder') return action.do === 'upload' && action.kind === 'recording';
    // Guests hold a link to the call (or to its waiting room), and nothing else here but their own consent (recordings/).
    if (who.kind === 'guest') return (action.do === 'visit' || action.do === 'consent') && (await this.#mayVisit(executor, c.sessionId, who.id));
    const owner = who.id === c.ownerId;
    switch (action.do) {
      case 'join':
        // Someone the owner removed (a kick in the room) stays out, whatever the policy (removals.ts).
        return owner || (!(await this.#isRemoved(executor, c.sessionId, who.id)) && (await this.#mayJoin(who, c, action.password, executor)));
      case 'upload':
        // Recordings: the owner (and the recorder); attachments: the owner and users admitted to the call.
        return owner || (action.kind === 'attachment' && (await this.#isMember(executor, c.sessionId, who.id, 'admitted')));
      case 'list_files':
        return owner || (await this.#isMember(executor, c.sessionId, who.id, 'admitted'));
      case 'read_file':
        if (owner || action.file.uploaderId === who.id) return true;
        return action.file.shared && (await this.#isMember(executor, c.sessionId, who.id, 'admitted'));
      case 'visit':
        return false; // guests only
      case 'follow_events':
        // The SDK opens the stream right after start/join, before its join is reported: a call token issued counts.
        return owner || (await this.#hasJoined(executor, c.sessionId, who.id)) || (await this.#wasIssuedToken(executor, c.sessionId, who.id));
      case 'consent':
        // Asked as they join, before their media is recorded: a call token issued counts, as for the event channel.
        if (owner) return true;
        if (await this.#isRemoved(executor, c.sessionId, who.id)) return false;
        return (await this.#hasJoined(executor, c.sessionId, who.id)) || (await this.#wasIssuedToken(executor, c.sessionId, who.id));
    }
  }

  async #mayJoin(who: Principal & { kind: 'user' }, c: ConferenceAccess, password: string | undefined, executor: Executor): Promise<boolean> {
    const userId = who.id;
    // Someone already admitted comes back (a reload, a second device) without proving it again.
    if (await this.#isMember(executor, c.sessionId, userId, 'admitted')) return true;
    switch (c.joinPolicy) {
      case 'PUBLIC':
        return true;
      case 'ORG':
        // On an install with one organisation (`default`), every account is a colleague.
        return (await this.membership(who, executor))!.organisationId === c.organisationId;
      case 'ORGUNIT':
        return this.#inConferenceUnit(executor, c, (await this.membership(who, executor))!);
      case 'RESTRICT':
        return this.#isMember(executor, c.sessionId, userId, 'invited');
      case 'SESSIONPWD':
        return this.#checkPassword(userId, c, password);
    }
  }

  async #checkPassword(userId: string, c: ConferenceAccess, password: string | undefined): Promise<boolean> {
    if (!password || !c.joinPasswordHash) return false;
    const key = `join-password:${c.sessionId}:${userId}`;
    const now = this.#clock.now();
    // Every attempt is counted before the password is checked, as at login: past the limit even the right password
    // is refused until the window ends, or the limit would only slow a guesser down, never stop one.
    const hit = await this.#limiter.hit(key, PASSWORD_WINDOW_MS, now);
    if (hit.count > PASSWORD_ATTEMPTS) {
      const retryAfter = Math.max(1, Math.ceil((hit.resetAt - now) / 1000));
      throw new AppError('rate_limited', `too many wrong conference passwords; try again in ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
    }
    // argon2's verify compares the derived hashes in constant time.
    if (!(await verifyPassword(c.joinPasswordHash, password))) return false;
    await this.#limiter.clear(key);
    return true;
  }

  /** A member of one of the units the conference names (units of its organisation, checked at request). */
  async #inConferenceUnit(executor: Executor, c: ConferenceAccess, membership: Membership): Promise<boolean> {
    if (membership.organisationId !== c.organisationId || membership.unitIds.length === 0) return false;
    const row = await executor
      .selectFrom('conference_units')
      .select('unit_id')
      .where('session_id', '=', c.sessionId)
      .where('unit_id', 'in', membership.unitIds)
      .executeTakeFirst();
    return row !== undefined;
  }

  async #mayVisit(executor: Executor, sessionId: string, guestId: string): Promise<boolean> {
    const link = await executor.selectFrom('guests').select('guest_id').where('guest_id', '=', guestId).where('session_id', '=', sessionId).executeTakeFirst();
    if (!link) return false;
    const removed = await executor
      .selectFrom('conference_removals')
      .select('subject')
      .where('session_id', '=', sessionId)
      .where('subject', '=', `guest:${guestId}`)
      .executeTakeFirst();
    return removed === undefined;
  }

  /** The slot of the guest's appointment link, if the guest came by one (apikeys/join-links.ts). */
  async #requireSlot(executor: Executor, guestId: string): Promise<void> {
    const link = await executor.selectFrom('join_links').select(['not_before', 'expires_at']).where('guest_id', '=', guestId).executeTakeFirst();
    if (link) requireInSlot({ notBefore: Number(link.not_before), expiresAt: Number(link.expires_at) }, this.#clock.now());
  }

  async #isRemoved(executor: Executor, sessionId: string, userId: string): Promise<boolean> {
    const row = await executor
      .selectFrom('conference_removals')
      .select('subject')
      .where('session_id', '=', sessionId)
      .where('subject', '=', `user:${userId}`)
      .executeTakeFirst();
    return row !== undefined;
  }

  async #isMember(executor: Executor, sessionId: string, userId: string, role: 'invited' | 'admitted'): Promise<boolean> {
    const row = await executor
      .selectFrom('conference_members')
      .select('user_id')
      .where('session_id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('role', '=', role)
      .executeTakeFirst();
    return row !== undefined;
  }

  async #hasJoined(executor: Executor, sessionId: string, userId: string): Promise<boolean> {
    const row = await executor
      .selectFrom('participants')
      .select('participant_id')
      .where('session_id', '=', sessionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async #wasIssuedToken(executor: Executor, sessionId: string, userId: string): Promise<boolean> {
    const row = await executor
      .selectFrom('conference_events')
      .select('seq')
      .where('session_id', '=', sessionId)
      .where('type', '=', 'token_issued')
      .where('actor', '=', `user:${userId}`) // events name users by id (docs/manifest.md §1.1)
      .executeTakeFirst();
    return row !== undefined;
  }

  #refusal(c: ConferenceAccess, action: Exclude<ConferenceAction, RowAction>): string {
    switch (action.do) {
      case 'join':
        return POLICY_REFUSAL[c.joinPolicy];
      case 'upload':
        return action.kind === 'recording'
          ? 'only the owner (or the recorder) may upload recordings'
          : 'only the owner and users admitted to the call may upload attachments';
      case 'list_files':
        return 'only the owner and users admitted to the call may see this conference’s files';
      case 'read_file':
        return 'this file is visible to the owner and its uploader, and to participants once the owner shares it';
      case 'follow_events':
        return 'only the owner and participants may follow this conference';
      case 'consent':
        return 'only the participants of this conference (and its guests) are asked for consent';
      case 'visit':
        return 'this guest link is not (or no longer) valid for this conference: the owner may have revoked it';
    }
  }
}

const ROW_REFUSAL: Record<RowAction['do'], string> = {
  read_details: 'only the conference owner may do this',
  manage: 'only the conference owner may do this',
  read_records: 'only the conference owner may see its records',
  read_quality: 'only the conference owner or the admin may read its call quality',
  delete_file: 'only the conference owner or the admin may delete its files',
  save_chat: 'only the owner can save the chat',
};

/** What a caller may ask of an organisation (AccessPolicy.requireOrganisation). */
export type OrganisationAction = 'create' | 'read' | 'manage';

const ORGANISATION_REFUSAL: Record<OrganisationAction, string> = {
  create: 'only the instance admin (V4H_ADMIN_USERNAME) may create or list all organisations',
  read: 'only members of this organisation may see it',
  manage: 'only admins of this organisation (or the instance admin) may manage its users, units, settings and API keys',
};

/** The rules of AccessPolicy.check: owner-only actions, and those the admin may do too. Needs nothing but the row. */
export function permitsFromRow(who: Principal, conference: Pick<ConferenceAccess, 'ownerId'>, action: RowAction): boolean {
  // An API key's rights depend on its organisation's members: AccessPolicy.require decides them.
  if (who.kind !== 'user') return false;
  if (who.id === conference.ownerId) return true;
  return who.admin === true && (action.do === 'read_quality' || action.do === 'delete_file');
}

/**
 * An appointment link works inside [notBefore, expiresAt] only: before, 425 `too_early` naming when it opens (and
 * Retry-After); from expiresAt on, 410 `expired`.
 */
export function requireInSlot(slot: { notBefore: number; expiresAt: number }, now: number): void {
  if (now < slot.notBefore) {
    const wait = Math.ceil((slot.notBefore - now) / 1000);
    const inWords = wait < 120 ? `${wait} s` : wait < 7200 ? `${Math.round(wait / 60)} min` : `${Math.round(wait / 3600)} h`;
    throw new AppError('too_early', `this link opens at ${new Date(slot.notBefore).toISOString()} (in ${inWords})`, { 'Retry-After': String(wait) });
  }
  if (now >= slot.expiresAt) throw new AppError('expired', `this link expired at ${new Date(slot.expiresAt).toISOString()}`);
}

/** The policy's view of a conferences row. */
export const accessOf = (row: {
  session_id: string;
  owner_id: string;
  organisation_id?: string;
  join_policy: JoinPolicy;
  join_password_hash: string | null;
}): ConferenceAccess => ({
  sessionId: row.session_id,
  ownerId: row.owner_id,
  organisationId: row.organisation_id ?? DEFAULT_ORGANISATION_ID,
  joinPolicy: row.join_policy,
  joinPasswordHash: row.join_password_hash,
});
