// JSON schemas of the conference routes (they also document the API in /openapi.json).
import { Type } from '@fastify/type-provider-typebox';

// `type: ['string', 'null']` rather than anyOf: fast-json-stringify writes it directly, where an anyOf made it run an
// ajv validation per field on every getConference answer. Same JSON Schema meaning (OpenAPI 3.1).
const nullable = (t: ReturnType<typeof Type.String>) => Type.Unsafe<string | null>({ ...t, type: ['string', 'null'] });

export const SessionIdParam = Type.Object({ sessionId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

export const JoinPolicy = Type.Union([Type.Literal('ORG'), Type.Literal('RESTRICT'), Type.Literal('SESSIONPWD'), Type.Literal('PUBLIC')], {
  description: 'who may join: ORG (default; every user without organisations), RESTRICT (users), SESSIONPWD (password), PUBLIC (any account)',
});
// A conference password: no C0 controls (NUL included), well-formed Unicode.
const JoinPassword = Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\p{Cs}]*$' });

export const RequestBody = Type.Object(
  {
    sessionId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'caller-chosen id; idempotent for the same owner' })),
    joinPolicy: Type.Optional(JoinPolicy),
    users: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100, description: 'RESTRICT: usernames who may join' })),
    password: Type.Optional(JoinPassword),
  },
  { additionalProperties: false },
);
export const SessionIdBody = Type.Object({ sessionId: Type.String() });

const AvatarUrl = Type.String({ maxLength: 2048, pattern: '^https?://[^\\s\\u0000-\\u001f\\u007f]+$' });
// Well-formed Unicode only: a lone surrogate has no canonical JSON (JCS) form, so it could not enter the event log.
// No C0 control characters either: PostgreSQL refuses NUL in text, and a name is shown to people.
const DisplayName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$' });

export const ProfileBody = Type.Object(
  { displayName: Type.Optional(DisplayName), avatarUrl: Type.Optional(AvatarUrl), password: Type.Optional(JoinPassword) },
  { additionalProperties: false },
);
export const GuestBody = Type.Object({ name: DisplayName, avatarUrl: Type.Optional(AvatarUrl) }, { additionalProperties: false });

export const PresenceBody = Type.Object(
  { event: Type.Union([Type.Literal('joined'), Type.Literal('left'), Type.Literal('renew')]), presenceToken: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
);

export const State = Type.Union([Type.Literal('requested'), Type.Literal('started'), Type.Literal('ended')]);

export const Details = Type.Object({
  sessionId: Type.String(),
  owner: Type.String(),
  created: Type.String({ format: 'date-time' }),
  ended: nullable(Type.String({ format: 'date-time' })),
  state: State,
  urlStorage: nullable(Type.String()),
  hash: nullable(Type.String()),
  hashType: nullable(Type.String()),
  DLTId: nullable(Type.String()),
  DLTType: nullable(Type.String()),
});

export const Embed = Type.Object({
  sessionId: Type.String(),
  state: State,
  scriptUrl: Type.String(),
  domain: Type.String(),
  roomName: Type.String(),
  jwt: nullable(Type.String()),
  moderator: Type.Boolean(),
  displayName: Type.String({ description: "the IFrame's userInfo.displayName: the token's name (in Jitsi modes with the account or a guest mark)" }),
  presenceToken: nullable(Type.String()),
});

export const GuestUrl = Type.Object({ guestId: Type.String({ description: 'names the link to revoke it' }), jwt: nullable(Type.String()), url: Type.String() });
export const GuestParams = Type.Object({ sessionId: SessionIdParam.properties.sessionId, guestId: Type.String({ pattern: '^guest-[a-z0-9]{1,64}$' }) });
export const GuestRevoked = Type.Object({ guestId: Type.String(), revokedAt: Type.String({ format: 'date-time' }) });

export const ListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export const ListReply = Type.Object({ items: Type.Array(Details), nextCursor: nullable(Type.String()) });
export const PresenceReply = Type.Object({
  state: State,
  /** After `joined` and `renew` while the conference is open: the presence token to use from now on (the old one expires). */
  presenceToken: Type.Optional(Type.String()),
  /** Seconds after which the SDK renews it (`renew`), well before it expires. */
  renewIn: Type.Optional(Type.Number()),
});
