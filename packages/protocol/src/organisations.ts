// The bodies of /api/organisations (docs/api.md, Organisations): organisations, their settings, units and users.
import { Type, type Static } from 'typebox';
import { JoinPolicy, ListPolicy } from './conferences.js';

// The name of an organisation or unit: shown to people, so no control characters; not personal data.
const OrgName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$' });
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

/** An organisation's defaults for the conferences its members request without naming a policy. */
export const OrganisationSettings = Type.Object(
  {
    joinPolicy: Type.Optional(
      Type.Union([Type.Literal('ORG'), Type.Literal('RESTRICT'), Type.Literal('PUBLIC')], { description: 'default join policy (ORG)' }),
    ),
    listPolicy: Type.Optional(
      Type.Union([Type.Literal('ORG'), Type.Literal('RESTRICT'), Type.Literal('SESSIONPWD'), Type.Literal('PUBLIC')], {
        description: 'default list policy (RESTRICT)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type OrganisationSettings = Static<typeof OrganisationSettings>;

/** The defaults in effect: settings with every field filled in. */
export const EffectiveSettings = Type.Object({ joinPolicy: JoinPolicy, listPolicy: ListPolicy });
export type EffectiveSettings = Static<typeof EffectiveSettings>;

export const Organisation = Type.Object({
  id: Type.String(),
  name: Type.String(),
  settings: EffectiveSettings,
  created: Type.String({ format: 'date-time' }),
});
export type Organisation = Static<typeof Organisation>;

export const OrganisationList = Type.Object({ items: Type.Array(Organisation) });
export type OrganisationList = Static<typeof OrganisationList>;

/** POST /api/organisations (the instance admin). */
export const NewOrganisation = Type.Object({ name: OrgName, settings: Type.Optional(OrganisationSettings) }, { additionalProperties: false });
export type NewOrganisation = Static<typeof NewOrganisation>;

export const OrganisationIdParam = Type.Object({ organisationId: Id });
export type OrganisationIdParam = Static<typeof OrganisationIdParam>;

export const Unit = Type.Object({ id: Type.String(), name: Type.String(), created: Type.String({ format: 'date-time' }) });
export type Unit = Static<typeof Unit>;

export const UnitList = Type.Object({ items: Type.Array(Unit) });
export type UnitList = Static<typeof UnitList>;

export const NewUnit = Type.Object({ name: OrgName }, { additionalProperties: false });
export type NewUnit = Static<typeof NewUnit>;

export const OrganisationRole = Type.Union([Type.Literal('admin'), Type.Literal('member')]);
export type OrganisationRole = Static<typeof OrganisationRole>;

/** A user as an organisation's admin sees them. */
export const OrganisationUser = Type.Object({
  username: Type.String(),
  role: OrganisationRole,
  units: Type.Array(Type.String(), { description: 'unit ids' }),
  disabled: Type.Boolean(),
  created: Type.String({ format: 'date-time' }),
});
export type OrganisationUser = Static<typeof OrganisationUser>;

export const OrganisationUserList = Type.Object({ items: Type.Array(OrganisationUser) });
export type OrganisationUserList = Static<typeof OrganisationUserList>;

const UnitRefs = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, description: 'units of the organisation (ids or names)' });

/** POST /api/organisations/{organisationId}/users: a new account in this organisation. */
export const NewOrganisationUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    role: Type.Optional(OrganisationRole),
    units: Type.Optional(UnitRefs),
  },
  { additionalProperties: false },
);
export type NewOrganisationUser = Static<typeof NewOrganisationUser>;

/** PATCH /api/organisations/{organisationId}/users/{username}: role and units (the units given replace the old ones). */
export const OrganisationUserChange = Type.Object({ role: Type.Optional(OrganisationRole), units: Type.Optional(UnitRefs) }, { additionalProperties: false });
export type OrganisationUserChange = Static<typeof OrganisationUserChange>;

export const OrganisationUserParam = Type.Object({ organisationId: Id, username: Type.String({ minLength: 1, maxLength: 64 }) });
export type OrganisationUserParam = Static<typeof OrganisationUserParam>;
