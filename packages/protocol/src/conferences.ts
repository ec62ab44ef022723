// The bodies of /api/conferences (docs/api.md): requests, the conference record, the call embed, guest links, presence.
import { Type, type Static } from 'typebox';
import { nullable, SESSION_ID_PATTERN } from './common.js';

/** Who may join a conference. */
export const JoinPolicy = Type.Union(
  [Type.Literal('ORG'), Type.Literal('ORGUNIT'), Type.Literal('RESTRICT'), Type.Literal('SESSIONPWD'), Type.Literal('PUBLIC')],
  {
    description:
      "who may join: ORG (members of the owner's organisation; the usual default), ORGUNIT (members of `units`), RESTRICT (`users`), SESSIONPWD (`password`), PUBLIC (any account)",
  },
);
export type JoinPolicy = Static<typeof JoinPolicy>;

/** Who sees a conference in GET /api/conferences, besides its owner. */
export const ListPolicy = Type.Union(
  [Type.Literal('ORG'), Type.Literal('ORGUNIT'), Type.Literal('RESTRICT'), Type.Literal('SESSIONPWD'), Type.Literal('PUBLIC')],
  {
    description:
      "who sees it listed besides its owner: ORG (members of the owner's organisation), ORGUNIT (members of `units`), RESTRICT (`users`; the usual default, with none: the owner only), SESSIONPWD (nobody else), PUBLIC (any account)",
  },
);
export type ListPolicy = Static<typeof ListPolicy>;

// A conference password: no C0 controls (NUL included), well-formed Unicode.
const JoinPassword = Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\p{Cs}]*$' });

/** POST /api/conferences. Policies left out take the organisation's defaults (its settings). */
export const ConferenceRequest = Type.Object(
  {
    sessionId: Type.Optional(
      Type.String({
        pattern: SESSION_ID_PATTERN,
        description:
          "caller-chosen id; idempotent for the same owner. Outside the `default` organisation it is scoped to the owner's organisation: the answer's sessionId is `<organisationId>~<id>` (give either form again for the same conference)",
      }),
    ),
    joinPolicy: Type.Optional(JoinPolicy),
    listPolicy: Type.Optional(ListPolicy),
    units: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, description: "ORGUNIT: units of the owner's organisation (ids or names)" }),
    ),
    users: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100, description: 'RESTRICT: usernames who may join (or see it)' }),
    ),
    password: Type.Optional(JoinPassword),
    owner: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: "API keys only: the username of the owner, a member of the key's organisation" }),
    ),
    waitingRoom: Type.Optional(
      Type.Boolean({ description: "guests wait until the owner admits them (default: the server's V4H_WAITING_ROOM, on unless set off)" }),
    ),
    waitingRoomForUsers: Type.Optional(
      Type.Boolean({
        description:
          'users with accounts who join (not the owner) wait to be admitted too: POST …/join answers 202 with their place until then (default false; implies a waiting room)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ConferenceRequest = Static<typeof ConferenceRequest>;

export const SessionIdBody = Type.Object({ sessionId: Type.String() });
export type SessionIdBody = Static<typeof SessionIdBody>;

const AvatarUrl = Type.String({ maxLength: 2048, pattern: '^https?://[^\\s\\u0000-\\u001f\\u007f]+$' });
// Well-formed Unicode only: a lone surrogate has no canonical JSON (JCS) form, so it could not enter the event log.
// No C0 control characters either: PostgreSQL refuses NUL in text, and a name is shown to people.
const DisplayName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$' });

/** Start and join: how the caller appears in the call, and the SESSIONPWD password. */
export const ProfileBody = Type.Object(
  { displayName: Type.Optional(DisplayName), avatarUrl: Type.Optional(AvatarUrl), password: Type.Optional(JoinPassword) },
  { additionalProperties: false },
);
export type ProfileBody = Static<typeof ProfileBody>;

// `name` may be left out only with a waiting room: the guest then gives it when knocking.
export const GuestBody = Type.Object({ name: Type.Optional(DisplayName), avatarUrl: Type.Optional(AvatarUrl) }, { additionalProperties: false });
export type GuestBody = Static<typeof GuestBody>;

export const PresenceBody = Type.Object(
  { event: Type.Union([Type.Literal('joined'), Type.Literal('left'), Type.Literal('renew')]), presenceToken: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
);
export type PresenceBody = Static<typeof PresenceBody>;

export const ConferenceState = Type.Union([Type.Literal('requested'), Type.Literal('started'), Type.Literal('ended')]);
export type ConferenceState = Static<typeof ConferenceState>;

/** The seed's conference record (getConference). */
export const ConferenceDetails = Type.Object({
  sessionId: Type.String(),
  owner: Type.String(),
  created: Type.String({ format: 'date-time' }),
  ended: nullable(Type.String({ format: 'date-time' })),
  state: ConferenceState,
  urlStorage: nullable(Type.String()),
  hash: nullable(Type.String()),
  hashType: nullable(Type.String()),
  DLTId: nullable(Type.String()),
  DLTType: nullable(Type.String()),
});
export type ConferenceDetails = Static<typeof ConferenceDetails>;

/** What the server answers to start/join: everything needed to open the call. */
export const Embed = Type.Object({
  sessionId: Type.String(),
  state: ConferenceState,
  scriptUrl: Type.String({ description: '`<jitsi url>/external_api.js`' }),
  domain: Type.String({ description: 'what `new JitsiMeetExternalAPI(domain, …)` takes: host (with port) and, under a sub-path, that path' }),
  roomName: Type.String(),
  jwt: nullable(Type.String({ description: 'Jitsi token, or null when the deployment takes none' })),
  moderator: Type.Boolean(),
  displayName: Type.String({ description: "the IFrame's userInfo.displayName: the token's name (in Jitsi modes with the account or a guest mark)" }),
  presenceToken: nullable(Type.String({ description: 'null when the video engine reports presence to the server itself (the built-in room)' })),
  lobby: Type.Optional(
    Type.Boolean({ description: "Jitsi, the owner, V4H_JITSI_LOBBY=on, a conference with a waiting room: the SDK turns on Jitsi's lobby once in the call" }),
  ),
});
export type Embed = Static<typeof Embed>;

export const GuestUrl = Type.Object({
  guestId: Type.String({ description: 'names the link to revoke it' }),
  jwt: nullable(Type.String({ description: 'with a waiting room: the V4H guest token (never a video token); without: the Jitsi/room token' })),
  url: Type.String({ description: 'with a waiting room: `<public url>/visit/#<guest token>`; without: the room itself' }),
});
export type GuestUrl = Static<typeof GuestUrl>;

export const GuestRevoked = Type.Object({ guestId: Type.String(), revokedAt: Type.String({ format: 'date-time' }) });
export type GuestRevoked = Static<typeof GuestRevoked>;

export const ConferenceList = Type.Object({ items: Type.Array(ConferenceDetails), nextCursor: nullable(Type.String()) });
export type ConferenceList = Static<typeof ConferenceList>;

/** `GET /api/conferences?limit=&cursor=`: a page of what the caller may see, newest first. */
export const ConferenceListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'conferences per page' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: "the previous page's nextCursor: the page after it" })),
  },
  { additionalProperties: false },
);
export type ConferenceListQuery = Static<typeof ConferenceListQuery>;

export const PresenceReply = Type.Object({
  state: ConferenceState,
  /** After `joined` and `renew` while the conference is open: the presence token to use from now on (the old one expires). */
  presenceToken: Type.Optional(Type.String()),
  /** Seconds after which the SDK renews it (`renew`), well before it expires. */
  renewIn: Type.Optional(Type.Number()),
});
export type PresenceReply = Static<typeof PresenceReply>;
