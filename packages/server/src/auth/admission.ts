// Whether a user may still be in a call: the account is enabled and, when the admission names the login session it
// came from (its refresh-token family), that session is not revoked (logout, reuse, password change, disabling).
// Room and presence tokens are short-lived admissions that the server renews only while this holds.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { prepareQuery } from '../db/prepared.js';

const userStatus = prepareQuery((db, p: { userId: string }) => db.selectFrom('users').select('disabled').where('id', '=', p.userId), { cached: true });
/** Whether a login session (refresh-token family) and its user are live: every authenticated request and every
 * admission check runs it, compiled once and answered from the SQLite read cache (see db/prepared.ts). */
export const familyStatus = prepareQuery(
  (db, p: { familyId: string; userId: string }) =>
    db
      .selectFrom('token_families')
      .innerJoin('users', 'users.id', 'token_families.user_id')
      .select(['users.disabled', 'token_families.revoked_at'])
      .where('token_families.id', '=', p.familyId)
      .where('users.id', '=', p.userId),
  { cached: true },
);

/** True when `userId` exists and is enabled and, if `familyId` is given, that login session of theirs is not revoked. */
export async function accountAdmitted(db: Kysely<Database>, userId: string, familyId: string | null | undefined): Promise<boolean> {
  if (!familyId) {
    const user = await userStatus.first(db, { userId });
    return user !== undefined && !user.disabled;
  }
  const row = await familyStatus.first(db, { familyId, userId });
  return row !== undefined && !row.disabled && row.revoked_at === null;
}
