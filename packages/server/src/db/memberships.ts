// Which organisation a user belongs to, with what role, and in which of its units: what the access policy needs to
// decide ORG and ORGUNIT, and organisation admins' rights. Ids only (names of people stay in users).
import type { Kysely, Transaction } from 'kysely';
import type { Database, OrganisationRole } from './schema.js';

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
