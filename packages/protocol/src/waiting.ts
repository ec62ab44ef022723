// The waiting room's wire (docs/api.md, "Waiting room"): the guest's visit (/api/visit, with a guest token) and the
// owner's queue (/api/conferences/:sessionId/waiting).
import { Type, type Static } from 'typebox';
import { nullable } from './common.js';

// As the conference routes' display names: well-formed Unicode, no C0 controls (PostgreSQL refuses NUL).
const GuestName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$' });

/**
 * Where a guest stands: `new` (has not knocked, or left the queue), `waiting` (knocked, in the queue), `admitted` (let
 * in: may enter the call), `denied` (turned away; knocking again needs the owner's allow-again), `ended` (the
 * conference is over).
 */
export const VisitState = Type.Union([Type.Literal('new'), Type.Literal('waiting'), Type.Literal('admitted'), Type.Literal('denied'), Type.Literal('ended')]);
export type VisitState = Static<typeof VisitState>;

/** The clinic's brand (V4H_BRAND_NAME, V4H_BRAND_LOGO_URL), for the guest page. */
export const Brand = Type.Object({ name: nullable(Type.String()), logoUrl: nullable(Type.String()) });
export type Brand = Static<typeof Brand>;

/** GET /api/visit: what the guest's page needs. */
export const VisitInfo = Type.Object({
  sessionId: Type.String(),
  guestId: Type.String(),
  participantId: Type.String({ description: "the guest's place in the waiting room (the same for every use of the link)" }),
  name: nullable(Type.String({ description: 'the name the link carries or the guest gave, or null' })),
  hostName: Type.String({ description: "the owner's display name (their name in the call, else their username)" }),
  brand: Brand,
  state: VisitState,
  reason: nullable(Type.String({ description: 'denied: what the owner said, if anything' })),
  entered: Type.Boolean({ description: 'admitted: a video token was already issued for this admission (see POST /api/visit/enter)' }),
});
export type VisitInfo = Static<typeof VisitInfo>;

/** POST /api/visit/knock. */
export const KnockBody = Type.Object({ name: Type.Optional(GuestName) }, { additionalProperties: false });
export type KnockBody = Static<typeof KnockBody>;

export const KnockReply = Type.Object({ participantId: Type.String(), state: VisitState });
export type KnockReply = Static<typeof KnockReply>;

/** The `data` of the guest's `event: state` (GET /api/visit/events), and the answer of POST /api/visit/leave. */
export const VisitStateBody = Type.Object({ state: VisitState, reason: Type.Optional(Type.String()) });
export type VisitStateBody = Static<typeof VisitStateBody>;

/** One guest in the owner's list. */
export const WaitingEntry = Type.Object({
  participantId: Type.String(),
  guestId: nullable(Type.String({ description: 'the guest link; null for a user with an account (waitingRoomForUsers)' })),
  userId: Type.Optional(Type.String({ description: 'a user with an account who knocked by joining (waitingRoomForUsers)' })),
  name: nullable(Type.String({ description: "a guest's name, or a user's username" })),
  knockedAt: nullable(Type.String({ format: 'date-time', description: 'null once the guest is back at `new` (allow-again)' })),
  state: Type.Union([Type.Literal('new'), Type.Literal('waiting'), Type.Literal('admitted'), Type.Literal('denied')], {
    description: 'the list holds waiting, admitted and denied guests; `new` only answers allow-again',
  }),
});
export type WaitingEntry = Static<typeof WaitingEntry>;

/** GET /api/conferences/:sessionId/waiting: guests who knocked and are waiting, admitted (not yet gone) or denied, by knock time. */
export const WaitingList = Type.Object({ items: Type.Array(WaitingEntry) });
export type WaitingList = Static<typeof WaitingList>;

/** POST /api/conferences/:sessionId/waiting/:participantId/deny: `reason` is shown to the guest (never logged in the record). */
export const DenyBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$' })) },
  { additionalProperties: false },
);
export type DenyBody = Static<typeof DenyBody>;

/**
 * POST /api/conferences/:sessionId/join answers 202 with this instead of an embed when the conference makes its users
 * wait too (waitingRoomForUsers) and the owner has not admitted the caller yet: they are in the waiting room. Their
 * state then comes on GET /api/conferences/:sessionId/waiting/me/events (`event: state`, as a guest's); once
 * `admitted`, the same join answers the embed.
 */
export const JoinWaiting = Type.Object({
  sessionId: Type.String(),
  participantId: Type.String({ description: "the caller's place in the waiting room" }),
  state: VisitState,
  hostName: Type.String({ description: "whom they wait for: the owner's name in the call, else their username" }),
});
export type JoinWaiting = Static<typeof JoinWaiting>;
