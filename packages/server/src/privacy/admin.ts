// Who the admin is: the V4H_ADMIN_USERNAME account, until organisations exist.
import type { Config } from '../config.js';
import { normalizeUsername } from '../auth/usernames.js';

/** A predicate on the authenticated user: true for the configured admin account only. */
export function adminCheck(config: Config): (user: { username: string }) => boolean {
  const admin = config.admin && normalizeUsername(config.admin.username);
  return (user) => admin !== undefined && normalizeUsername(user.username) === admin;
}
