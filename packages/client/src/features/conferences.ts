// Creating conferences and guest links: V4H methods whose code is loaded on first use (features/index.ts).
import { checkSessionId, checkString, checkUrl, given } from '../checks.js';
import { invalidArgument } from '../errors.js';
import type { JoinPolicy } from '@v4h/protocol';
import type { FeatureContext } from './context.js';

/** Who may join a conference: see `requestConference`. */
export type { JoinPolicy };

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
  const { joinPolicy, listPolicy, users, units, password } = options;
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
  // JSON leaves out the options not given (undefined).
  const body = { sessionId: given(sessionId) ? sessionId : undefined, joinPolicy, listPolicy, units, users, password };
  return (await ctx.http.request<{ sessionId: string }>('POST', '/api/conferences', { body })).sessionId;
}

/**
 * Owner: a link (and its token) for a guest without an account; `guestId` names it, to revoke it with
 * `POST /api/conferences/:sessionId/guests/:guestId/revoke`.
 */
export async function getGuestUrl(
  ctx: FeatureContext,
  sessionId: string,
  name: string,
  avatarUrl?: string,
): Promise<{ guestId: string; jwt: string | null; url: string }> {
  checkSessionId(sessionId);
  checkString(name, 'name');
  if (given(avatarUrl)) checkUrl(avatarUrl, 'avatarUrl');
  return ctx.http.request('POST', `/api/conferences/${encodeURIComponent(sessionId)}/guest-url`, {
    body: given(avatarUrl) ? { name, avatarUrl } : { name },
  });
}
