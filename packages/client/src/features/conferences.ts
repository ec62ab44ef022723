// Creating and listing conferences, and guest links: V4H methods whose code is loaded on first use (features/index.ts).
import { checkSessionId, checkString, checkUrl, given } from '../checks.js';
import { invalidArgument } from '../errors.js';
import type { ConferenceList, ConferenceListQuery, JoinPolicy } from '@v4h/protocol';
import type { FeatureContext } from './context.js';
import { watchWaitingRoom } from './waiting.js';

/** Who may join a conference: see `requestConference`. */
export type { JoinPolicy };
/** A page of `listConferences`: the conferences' details, and `nextCursor` (null on the last page). */
export type { ConferenceList };

/** Options of `listConferences` (the route's query, `@v4h/protocol`): `cursor` may be a page's `nextCursor`, null included. */
export type ListConferencesOptions = Omit<ConferenceListQuery, 'cursor'> & { cursor?: string | null };

/** Options of `requestConference`; policies not given take the defaults of the owner's organisation. */
export interface RequestConferenceOptions {
  /**
   * Who may join: ORG (the owner's organisation; the usual default), ORGUNIT (members of `units`), RESTRICT (`users`),
   * SESSIONPWD (`password`) or PUBLIC (any account).
   */
  joinPolicy?: JoinPolicy;
  /** Who sees it in `GET /api/conferences` besides the owner: the same names (SESSIONPWD: nobody else); usual default RESTRICT. */
  listPolicy?: JoinPolicy;
  /** ORGUNIT: units of the owner's organisation (ids or names). */
  units?: string[];
  /** RESTRICT: the usernames who may join (and see it listed). */
  users?: string[];
  /** SESSIONPWD: the password joiners give to `joinConference` (the server keeps only its hash). */
  password?: string;
  /** With an API key (Node): the username of the owner, a member of the key's organisation. */
  owner?: string;
  /**
   * Guests wait until you admit them (`knocking` events, `admit`/`deny`); default: the server's `V4H_WAITING_ROOM`
   * (on unless set off). `true` also starts following the waiting room at once (watchWaitingRoom).
   */
  waitingRoom?: boolean;
  /**
   * Users with accounts who join (not you) wait until you admit them too: their `joinConference` knocks and waits
   * (default false; implies a waiting room). `true` also starts following the waiting room at once.
   */
  waitingRoomForUsers?: boolean;
}

/**
 * Creates a conference (or claims the given id); resolves its session id. An id another user holds fails with
 * `conflict` ("taken"), one of yours that has ended with `conference_ended`.
 * @example
 * const id = await v4h.requestConference(undefined, { joinPolicy: 'RESTRICT', users: ['dr.bruno'] });
 */
export async function requestConference(ctx: FeatureContext, sessionId?: string, options: RequestConferenceOptions = {}): Promise<string> {
  // '' or null is "not given" (the seed's example passes an empty input field): a new conference.
  if (given(sessionId)) checkSessionId(sessionId);
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const { joinPolicy, listPolicy, users, units, password, waitingRoom, waitingRoomForUsers, owner } = options;
  for (const [name, policy] of [
    ['joinPolicy', joinPolicy],
    ['listPolicy', listPolicy],
  ])
    if (policy !== undefined && !['ORG', 'ORGUNIT', 'RESTRICT', 'SESSIONPWD', 'PUBLIC'].includes(policy))
      throw invalidArgument(`${name} must be 'ORG', 'ORGUNIT', 'RESTRICT', 'SESSIONPWD' or 'PUBLIC'`);
  for (const [name, names] of [
    ['users', users],
    ['units', units],
  ] as const)
    if (names !== undefined && (!Array.isArray(names) || names.some((u) => typeof u !== 'string' || !u)))
      throw invalidArgument(`${name} must be an array of names`);
  if (password !== undefined) checkString(password, 'password');
  if (owner !== undefined) checkString(owner, 'owner');
  if (waitingRoom !== undefined && typeof waitingRoom !== 'boolean') throw invalidArgument('waitingRoom must be true or false');
  if (waitingRoomForUsers !== undefined && typeof waitingRoomForUsers !== 'boolean') throw invalidArgument('waitingRoomForUsers must be true or false');
  // JSON leaves out the options not given (undefined).
  const body = { sessionId: given(sessionId) ? sessionId : undefined, joinPolicy, listPolicy, units, users, password, waitingRoom, waitingRoomForUsers, owner };
  const id = (await ctx.http.request<{ sessionId: string }>('POST', '/api/conferences', { body })).sessionId;
  if (waitingRoom || waitingRoomForUsers) await watchWaitingRoom(ctx, id);
  return id;
}

/**
 * Owner: a link (and its token) for a guest without an account; `guestId` names it, to revoke it with
 * `POST /api/conferences/:sessionId/guests/:guestId/revoke`. With a waiting room, `url` opens V4H's guest page and
 * `jwt` is a guest token (for `joinAsGuest` on a page of your own), never a video token; `name` may then be left
 * out ('' or null): the guest gives it when knocking.
 */
export async function getGuestUrl(
  ctx: FeatureContext,
  sessionId: string,
  name?: string | null,
  avatarUrl?: string,
): Promise<{ guestId: string; jwt: string | null; url: string }> {
  checkSessionId(sessionId);
  if (given(name)) checkString(name, 'name');
  if (given(avatarUrl)) checkUrl(avatarUrl, 'avatarUrl');
  return ctx.http.request('POST', `/api/conferences/${encodeURIComponent(sessionId)}/guest-url`, {
    body: { ...(given(name) ? { name } : {}), ...(given(avatarUrl) ? { avatarUrl } : {}) },
  });
}

/**
 * A page of the conferences you may see, newest first: yours, and others' whose list policy shows them to you.
 * `limit` 1 to 100 (default 20); pass a page's `nextCursor` as `cursor` for the next one (null on the last page).
 * @example
 * let page = await v4h.listConferences({ limit: 50 });
 * const all = [...page.items];
 * while (page.nextCursor) all.push(...(page = await v4h.listConferences({ limit: 50, cursor: page.nextCursor })).items);
 */
export async function listConferences(ctx: FeatureContext, options: ListConferencesOptions = {}): Promise<ConferenceList> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  const { limit, cursor } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 100)) throw invalidArgument('limit must be an integer from 1 to 100');
  const query = new URLSearchParams();
  if (limit !== undefined) query.set('limit', String(limit));
  if (given(cursor)) {
    checkString(cursor, 'cursor');
    query.set('cursor', cursor);
  }
  const search = query.toString();
  return ctx.http.request('GET', `/api/conferences${search ? `?${search}` : ''}`);
}
