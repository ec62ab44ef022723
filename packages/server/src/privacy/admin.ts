// Who the admin is: the V4H_ADMIN_USERNAME account, until organisations exist.
import type { Config } from '../config.js';

/** A predicate on the authenticated user: true for the configured admin account only. */
export function adminCheck(config: Config): (user: { username: string }) => boolean {
  const admin = config.admin?.username.normalize('NFC').toLowerCase();
  return (user) => admin !== undefined && user.username.normalize('NFC').toLowerCase() === admin;
}
