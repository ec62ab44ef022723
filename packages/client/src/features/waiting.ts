// The waiting room (docs/api.md, "Waiting room"): the owner's queue (list, admit, deny, and `knocking`/`waitingChanged`
// events from the conference's event channel) and a guest's visit (`joinAsGuest`: knock, wait, enter, embed).
import type { Embed, JoinWaiting, KnockReply, VisitInfo, VisitState, VisitStateBody, WaitingEntry, WaitingList } from '@v4h/protocol';
import { checkParentNode, checkSessionId, checkString, given } from '../checks.js';
import { V4HError, invalidArgument } from '../errors.js';
import type { Emitter } from '../events.js';
import type { TokenSource } from '../http.js';
import type { JitsiEmbedOptions } from '../jitsi.js';
import { followConference } from '../server-events.js';
import type { FeatureContext } from './context.js';

export type { VisitState, WaitingEntry };

// The conferences each instance follows for its waiting room (by its emitter: one per V4H instance), and how to stop.
const watched = new WeakMap<Emitter, Map<string, () => void>>();
const WAITING_EVENTS = new Set(['knocked', 'admitted', 'denied', 'allowed_again', 'left_waiting_room']);

const waitingPath = (sessionId: string) => `/api/conferences/${encodeURIComponent(sessionId)}/waiting`;

/**
 * Owner: starts following the conference's waiting room, so that `knocking` `{ sessionId, participantId, name }` is
 * emitted as a guest arrives and `waitingChanged` `{ sessionId, waiting }` whenever the list changes (within a second).
 * `startConference` (the owner's call), `requestConference`, `listWaiting`, `admit` and `deny` start it by themselves;
 * it stops once the conference ends. Call it to follow a conference you neither requested nor started in this page.
 * Resolves 'ok'.
 * @example
 * v4h.on('knocking', ({ sessionId, participantId, name }) => confirm(`${name} is here. Let them in?`) && v4h.admit(sessionId, participantId));
 * await v4h.watchWaitingRoom(id);
 */
export async function watchWaitingRoom(ctx: FeatureContext, sessionId: string): Promise<'ok'> {
  checkSessionId(sessionId);
  let mine = watched.get(ctx.events);
  if (!mine) watched.set(ctx.events, (mine = new Map<string, () => void>()));
  if (mine.has(sessionId)) return 'ok';
  const stop = followConference(ctx.http.url(`/api/conferences/${encodeURIComponent(sessionId)}/events`), ctx.fetch, ctx.tokens, (type, event) => {
    if (type === 'ended') {
      mine.get(sessionId)?.();
      return void mine.delete(sessionId);
    }
    if (!WAITING_EVENTS.has(type)) return;
    // Events carry ids only: names come from the list, which only the owner may read.
    void ctx.http.request<WaitingList>('GET', waitingPath(sessionId)).then(
      ({ items }) => {
        const participantId = event?.data?.participantId;
        const knocked = type === 'knocked' ? items.find((w) => w.participantId === participantId) : undefined;
        if (knocked) ctx.events.emit('knocking', { sessionId, participantId: knocked.participantId, name: knocked.name });
        ctx.events.emit('waitingChanged', { sessionId, waiting: items });
      },
      () => {},
    );
  });
  // Also over once this page's call of the conference is (the owner left it): a quiet conference is not followed for ever.
  const onEnded = (e: { sessionId: string }) => {
    if (e.sessionId !== sessionId) return;
    ctx.events.off('ended', onEnded);
    mine.get(sessionId)?.();
    mine.delete(sessionId);
  };
  ctx.events.on('ended', onEnded);
  mine.set(sessionId, () => {
    stop();
    ctx.events.off('ended', onEnded);
  });
  return 'ok';
}

/**
 * Owner: the guests who knocked and are waiting, admitted or denied, by knock time: `{ participantId, guestId, name,
 * knockedAt, state }`. Starts following the waiting room (see watchWaitingRoom).
 */
export async function listWaiting(ctx: FeatureContext, sessionId: string): Promise<WaitingEntry[]> {
  checkSessionId(sessionId);
  const { items } = await ctx.http.request<WaitingList>('GET', waitingPath(sessionId));
  await watchWaitingRoom(ctx, sessionId);
  return items;
}

/** Owner: lets a waiting guest in; their page (or joinAsGuest) then enters the call. Resolves their entry. */
export async function admit(ctx: FeatureContext, sessionId: string, participantId: string): Promise<WaitingEntry> {
  checkSessionId(sessionId);
  checkString(participantId, 'participantId');
  await watchWaitingRoom(ctx, sessionId);
  return ctx.http.request('POST', `${waitingPath(sessionId)}/${encodeURIComponent(participantId)}/admit`);
}

/**
 * Owner: turns a waiting guest away; `reason` (optional, ≤ 200 characters) is shown to them and never recorded in the
 * conference's log. The link cannot knock again until `allowAgain`.
 */
export async function deny(ctx: FeatureContext, sessionId: string, participantId: string, reason?: string): Promise<WaitingEntry> {
  checkSessionId(sessionId);
  checkString(participantId, 'participantId');
  if (given(reason)) checkString(reason, 'reason');
  await watchWaitingRoom(ctx, sessionId);
  return ctx.http.request('POST', `${waitingPath(sessionId)}/${encodeURIComponent(participantId)}/deny`, { body: given(reason) ? { reason } : {} });
}

/** Owner: a denied guest link may knock again. */
export async function allowAgain(ctx: FeatureContext, sessionId: string, participantId: string): Promise<WaitingEntry> {
  checkSessionId(sessionId);
  checkString(participantId, 'participantId');
  return ctx.http.request('POST', `${waitingPath(sessionId)}/${encodeURIComponent(participantId)}/allow-again`);
}

/** Options of `joinAsGuest`: the Jitsi embed options, and the guest's side of the visit. */
export interface JoinAsGuestOptions extends JitsiEmbedOptions {
  /** The guest's name (required when the link carries none; replaces the link's). */
  name?: string;
  /** Called with each state of the visit (also emitted as `visitStateChanged`). */
  onState?: (state: { sessionId: string; state: VisitState; reason?: string; hostName: string }) => void;
  /** Aborting leaves the waiting room (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * A guest of a conference with a waiting room, without V4H's guest page: knocks with the link's guest token (the part
 * of the link after `#`), waits until the owner admits them (`visitStateChanged` events: `waiting`, `admitted`, …),
 * then enters and embeds the call in `parentNode` as startConference does. Resolves 'ok' once the iframe is there;
 * rejects with `forbidden` when the owner denies (message: their reason), `conference_ended` when the conference is
 * over, `unauthorized` for a token that is not (or no longer) valid. Leaving the page leaves the queue (after
 * `V4H_WAITING_ROOM_GRACE` seconds: a reload takes the same place).
 * @example
 * const token = location.hash.slice(1);
 * await v4h.joinAsGuest(token, document.querySelector('#call'), '100%', 480, { name: 'Maria', onState: ({ state }) => show(state) });
 */
export async function joinAsGuest(
  ctx: FeatureContext,
  guestToken: string,
  parentNode: Element,
  width?: number | string | null,
  height?: number | string | null,
  options?: JoinAsGuestOptions | null,
): Promise<'ok'> {
  checkString(guestToken, 'guestToken');
  checkParentNode(parentNode);
  if (given(options) && typeof options !== 'object') throw invalidArgument('options must be an object');
  const { name, onState, signal, ...embedOptions } = options ?? {};
  if (given(name)) checkString(name, 'name');
  const as = { token: guestToken };
  const visit = await ctx.http.request<VisitInfo>('GET', '/api/visit', as);
  const { sessionId, hostName } = visit;
  let last: VisitState | undefined;
  const announce = (s: { state: VisitState; reason?: string | null }) => {
    if (s.state === last) return;
    last = s.state;
    const payload = { sessionId, state: s.state, hostName, ...(s.reason ? { reason: s.reason } : {}) };
    ctx.events.emit('visitStateChanged', payload);
    onState?.(payload);
  };
  announce(visit);

  // The guest's stream: being in the queue is keeping it open (the server sends the state at once, then each change).
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const admitted = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  admitted.catch(() => {}); // awaited below; a denial may come while the knock is on its way
  const source: TokenSource = {
    accessToken: async () => guestToken,
    canRefresh: () => false,
    refresh: () => Promise.reject(new V4HError('unauthorized', 'the guest token was refused')),
  };
  const follow = (state: VisitStateBody) => {
    announce(state);
    if (state.state === 'admitted') settle.resolve();
    else if (state.state === 'denied') settle.reject(new V4HError('forbidden', state.reason ?? 'the clinician could not admit you', 403));
    else if (state.state === 'ended') settle.reject(new V4HError('conference_ended', 'this visit has ended', 409));
  };
  // The knock waits for the stream's first state (or 5 s): a first state read before the knock but delivered after its
  // reply would otherwise take the guest back from waiting to new.
  let streamReady!: () => void;
  const streamOpen = new Promise<void>((resolve) => {
    streamReady = resolve;
    setTimeout(resolve, 5000);
  });
  const unfollow = followConference(ctx.http.url('/api/visit/events'), ctx.fetch, source, (type, data) => {
    if ((type as string) !== 'state') return;
    follow(data as unknown as VisitStateBody);
    streamReady();
  });
  const onAbort = () => {
    settle.reject(signal!.reason ?? new V4HError('invalid_argument', 'joinAsGuest was aborted'));
    void ctx.http.request('POST', '/api/visit/leave', as).catch(() => {});
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) onAbort();
    follow({ state: visit.state, ...(visit.reason ? { reason: visit.reason } : {}) });
    if (visit.state === 'new') await streamOpen;
    if (last === 'new') {
      const knocked = await ctx.http.request<KnockReply>('POST', '/api/visit/knock', { ...as, body: given(name) ? { name } : {} });
      // The stream may already have said more (admitted at once): the reply only moves the guest on from new.
      if (last === 'new') announce(knocked);
    }
    await admitted;
    const embed = await ctx.http.request<Embed>('POST', '/api/visit/enter', as);
    await ctx.embed(embed, parentNode, width, height, embedOptions);
  } catch (error) {
    unfollow();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  // In the call: the visit's stream still says when the conference ends; the call's own end stops following it.
  const call = ctx.call();
  const stop = () => {
    unfollow();
    ctx.events.off('ended', onEnded);
  };
  const onEnded = (e: { sessionId: string }) => e.sessionId === sessionId && stop();
  ctx.events.on('ended', onEnded);
  settle = {
    resolve: () => {},
    reject: () => {
      if (last === 'ended') void call?.hangUp('ended');
      stop();
    },
  };
  return 'ok';
}

/** What joinConference takes for a conference whose users wait (waitingRoomForUsers). */
export interface WaitToJoinOptions {
  /** Called with each state of the wait (also emitted as `visitStateChanged`). */
  onState?: (state: { sessionId: string; state: VisitState; reason?: string; hostName: string }) => void;
  /** Aborting leaves the waiting room (joinConference rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * A user's join answered with their place in the waiting room (202, waitingRoomForUsers): follows their state on the
 * event channel (`/waiting/me/events`: keeping it open keeps the place) until the owner admits them, then joins again
 * and resolves the embed. Rejects `forbidden` when denied (message: the owner's reason), `conference_ended` when over.
 * Internal: joinConference calls it (not a V4H method).
 */
export async function waitToJoin(
  ctx: FeatureContext,
  place: JoinWaiting,
  join: () => Promise<Embed | JoinWaiting>,
  options: WaitToJoinOptions = {},
): Promise<Embed> {
  const { sessionId, hostName } = place;
  const base = `/api/conferences/${encodeURIComponent(sessionId)}/waiting/me`;
  const { onState, signal } = options;
  let last: VisitState | undefined;
  const announce = (s: VisitStateBody) => {
    if (s.state === last) return;
    last = s.state;
    const payload = { sessionId, state: s.state, hostName, ...(s.reason ? { reason: s.reason } : {}) };
    ctx.events.emit('visitStateChanged', payload);
    onState?.(payload);
  };
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const admitted = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const follow = (state: VisitStateBody) => {
    announce(state);
    if (state.state === 'admitted') settle.resolve();
    else if (state.state === 'denied') settle.reject(new V4HError('forbidden', state.reason ?? 'the owner could not admit you', 403));
    else if (state.state === 'ended') settle.reject(new V4HError('conference_ended', 'this conference has ended', 409));
    // Back at new (the owner let a denied user knock again, or the place lapsed): knock again by joining.
    else if (state.state === 'new') void join().catch((error: unknown) => settle.reject(error));
  };
  announce(place);
  const unfollow = followConference(ctx.http.url(`${base}/events`), ctx.fetch, ctx.tokens, (type, data) => {
    if ((type as string) === 'state') follow(data as unknown as VisitStateBody);
  });
  const onAbort = () => {
    settle.reject(signal!.reason ?? new V4HError('invalid_argument', 'joinConference was aborted'));
    void ctx.http.request('POST', `${base}/leave`).catch(() => {});
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) onAbort();
    await admitted;
    const embed = await join();
    if (!('roomName' in embed)) throw new V4HError('conflict', 'admitted, but the server still answered a place in the waiting room', 409);
    return embed;
  } finally {
    unfollow();
    signal?.removeEventListener('abort', onAbort);
  }
}
