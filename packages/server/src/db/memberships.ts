// Which organisation a user belongs to, with what role, and in which of its units: what the access policy needs to
// decide ORG and ORGUNIT, and organisation admins' rights. Ids only (names of people stay in users).
import type { Kysely, Transaction } from 'kysely';
import type { Database, OrganisationRole } from './schema.js';
import { prepareQuery } from './prepared.js';

/** The organisation an install made before organisations moved into (migration 020). */
export const DEFAULT_ORGANISATION_ID = 'default';

/** A user's place: their one organisation, their role there, and their units (all of that organisation). */
export interface Membership {
  organisationId: string;
  role: OrganisationRole;
  unitIds: string[];
}

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The membership of a user. A user without a row (inserted by hand, outside V4H's own ways of creating users) counts
 * as a member of `default`, as every user did before organisations.
 */
export async function membershipOf(executor: Executor, userId: string): Promise<Membership> {
  const row = await executor.selectFrom('organisation_members').select(['organisation_id', 'role']).where('user_id', '=', userId).executeTakeFirst();
  const units = await executor.selectFrom('unit_members').select('unit_id').where('user_id', '=', userId).orderBy('unit_id').execute();
  return {
    organisationId: row?.organisation_id ?? DEFAULT_ORGANISATION_ID,
    role: row?.role ?? 'member',
    unitIds: units.map((u) => u.unit_id),
  };
}

/** The policies a conference takes when its request names none, and which defaults an organisation may set. */
export interface ConferenceDefaults {
  joinPolicy: 'ORG' | 'RESTRICT' | 'PUBLIC';
  listPolicy: 'ORG' | 'RESTRICT' | 'SESSIONPWD' | 'PUBLIC';
}

/** Without settings of its own: colleagues may join, and the listing shows the owner (and named users) only, as before organisations. */
export const BUILT_IN_DEFAULTS: ConferenceDefaults = { joinPolicy: 'ORG', listPolicy: 'RESTRICT' };

/** An organisation's stored settings (JSON) over the built-in defaults; unknown or bad fields are ignored. */
export function parseSettings(text: string): ConferenceDefaults {
  let stored: Partial<ConferenceDefaults> = {};
  try {
    stored = JSON.parse(text) as Partial<ConferenceDefaults>;
  } catch {
    // A hand-edited row: the built-in defaults hold.
  }
  const joinPolicy = (['ORG', 'RESTRICT', 'PUBLIC'] as const).find((p) => p === stored?.joinPolicy) ?? BUILT_IN_DEFAULTS.joinPolicy;
  const listPolicy = (['ORG', 'RESTRICT', 'SESSIONPWD', 'PUBLIC'] as const).find((p) => p === stored?.listPolicy) ?? BUILT_IN_DEFAULTS.listPolicy;
  return { joinPolicy, listPolicy };
}

// requestConference asks on every call: one statement, compiled once (the owner's organisation and its settings).
const ownerOrganisationQuery = prepareQuery(
  (db, p: { userId: string }) =>
    db
      .selectFrom('organisations')
      .select(['organisations.id', 'organisations.settings'])
      .where('organisations.id', '=', (eb) =>
        eb.fn.coalesce(
          eb.selectFrom('organisation_members').select('organisation_members.organisation_id').where('organisation_members.user_id', '=', p.userId),
          eb.val(DEFAULT_ORGANISATION_ID),
        ),
      ),
  { cached: true },
);

/** The organisation a user's new conferences belong to, and its defaults for them. */
export async function ownerOrganisation(executor: Kysely<Database>, userId: string): Promise<{ organisationId: string; defaults: ConferenceDefaults }> {
  const row = await ownerOrganisationQuery.first(executor, { userId });
  return { organisationId: row?.id ?? DEFAULT_ORGANISATION_ID, defaults: parseSettings(row?.settings ?? '{}') };
}

/**
 * Units of the organisation named by id or name: their ids, each once, and the references that name none of its units
 * (another organisation's units are unknown here, as if they did not exist).
 */
export async function resolveUnitIds(executor: Executor, organisationId: string, refs: readonly string[]): Promise<{ ids: string[]; unknown: string[] }> {
  const wanted = [...new Set(refs)];
  if (wanted.length === 0) return { ids: [], unknown: [] };
  const rows = await executor
    .selectFrom('org_units')
    .select(['id', 'name'])
    .where('organisation_id', '=', organisationId)
    .where((eb) => eb.or([eb('id', 'in', wanted), eb('name', 'in', wanted)]))
    .execute();
  return { ids: [...new Set(rows.map((r) => r.id))], unknown: wanted.filter((ref) => !rows.some((r) => r.id === ref || r.name === ref)) };
}
