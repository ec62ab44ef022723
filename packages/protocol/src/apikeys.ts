// The bodies of /api/apikeys (server-to-server keys of an organisation) and of appointment-bound join links
// (POST /api/conferences/:sessionId/join-links), docs/api.md "API keys".
import { Type, type Static } from 'typebox';
import { nullable } from './common.js';

/** What a key may do; a key holds only the scopes it was created with. */
export const API_KEY_SCOPES = ['conferences:read', 'conferences:write', 'webhooks:read', 'webhooks:write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
export const ApiKeyScope = Type.Unsafe<ApiKeyScope>({ type: 'string', enum: [...API_KEY_SCOPES] });

// A label people read in a list: no control characters, well-formed Unicode.
const KeyName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$' });
const OrganisationId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });

/** POST /api/apikeys. */
export const ApiKeyCreate = Type.Object(
  {
    name: KeyName,
    scopes: Type.Optional(
      Type.Array(ApiKeyScope, {
        minItems: 1,
        maxItems: API_KEY_SCOPES.length,
        uniqueItems: true,
        description: 'default: conferences:read and conferences:write',
      }),
    ),
    organisationId: Type.Optional(Type.String({ ...OrganisationId, description: "default: the caller's organisation (the instance admin may name any)" })),
  },
  { additionalProperties: false },
);
export type ApiKeyCreate = Static<typeof ApiKeyCreate>;

/** A key as listed: never its secret. */
export const ApiKeyInfo = Type.Object({
  id: Type.String({ description: 'the key’s id, also visible in the key itself (v4hk_<id>_<secret>) and in the server’s logs' }),
  organisationId: Type.String(),
  name: Type.String(),
  scopes: Type.Array(ApiKeyScope),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: nullable(Type.String({ format: 'date-time', description: 'to the minute' })),
  revokedAt: nullable(Type.String({ format: 'date-time' })),
});
export type ApiKeyInfo = Static<typeof ApiKeyInfo>;

/** The answer to a creation: the only time the key itself is shown. */
export const ApiKeyCreated = Type.Object({
  ...ApiKeyInfo.properties,
  key: Type.String({ description: 'send it as `Authorization: Bearer <key>`; shown once, the server keeps only its hash' }),
});
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;

export const ApiKeyList = Type.Object({ items: Type.Array(ApiKeyInfo) });
export type ApiKeyList = Static<typeof ApiKeyList>;

export const JoinLinkRole = Type.Union([Type.Literal('host'), Type.Literal('participant'), Type.Literal('guest')], {
  description: 'host: moderator of the call; participant: in the call directly; guest: as a guest link (the waiting room when there is one)',
});
export type JoinLinkRole = Static<typeof JoinLinkRole>;

/** POST /api/conferences/:sessionId/join-links. */
export const JoinLinkBody = Type.Object(
  {
    externalId: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$',
      description: "the caller's id of this person (an EHR's patient or practitioner id): what the record keeps, as a commitment",
    }),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$', description: 'shown in the call; erasable' }),
    ),
    role: JoinLinkRole,
    notBefore: Type.Optional(Type.String({ format: 'date-time', description: 'the link opens then (default: now)' })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'the link closes then (default: notBefore + V4H_GUEST_TOKEN_TTL)' })),
    waitingRoom: Type.Optional(Type.Boolean({ description: 'guests wait to be admitted (where the server has a waiting room)' })),
  },
  { additionalProperties: false },
);
export type JoinLinkBody = Static<typeof JoinLinkBody>;

export const JoinLink = Type.Object({
  guestId: Type.String({ description: 'names the link to revoke it (POST …/guests/:guestId/revoke)' }),
  jwt: Type.String({ description: "the link's V4H token (not a video token: that is issued when the link is opened inside its slot)" }),
  url: Type.String({ description: 'opens the call inside [notBefore, expiresAt]' }),
  notBefore: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
});
export type JoinLink = Static<typeof JoinLink>;

/** GET /join with `Accept: application/json`: the call's address, with a video token issued now that ends with the slot. */
export const JoinLinkOpened = Type.Object({ url: Type.String(), jwt: nullable(Type.String()), expiresAt: Type.String({ format: 'date-time' }) });
export type JoinLinkOpened = Static<typeof JoinLinkOpened>;
