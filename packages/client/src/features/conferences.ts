// Creating conferences and guest links: V4H methods whose code is loaded on first use (features/index.ts).
import { checkSessionId, checkString, checkUrl, given } from '../checks.js';
import { invalidArgument } from '../errors.js';
import type { JoinPolicy } from '@v4h/protocol';
import type { FeatureContext } from './context.js';

/** Who may join a conference: see `requestConference`. */
export type { JoinPolicy };

/** Options of `requestConference`. */
export interface RequestConferenceOptions {
  /** ORG (default: the owner's colleagues; every user on an install without organisations), RESTRICT, SESSIONPWD or PUBLIC (any account). */
  joinPolicy?: JoinPolicy;
  /** RESTRICT: the usernames who may join. */
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
  const { joinPolicy, users, password } = options;
  if (joinPolicy !== undefined && !['ORG', 'RESTRICT', 'SESSIONPWD', 'PUBLIC'].includes(joinPolicy))
    throw invalidArgument("joinPolicy must be 'ORG', 'RESTRICT', 'SESSIONPWD' or 'PUBLIC'");
  if (users !== undefined && (!Array.isArray(users) || users.some((u) => typeof u !== 'string' || !u)))
    throw invalidArgument('users must be an array of usernames');
  if (password !== undefined) checkString(password, 'password');
  const body = {
    ...(given(sessionId) ? { sessionId } : {}),
    ...(joinPolicy ? { joinPolicy } : {}),
    ...(users ? { users } : {}),
    ...(password !== undefined ? { password } : {}),
  };
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
