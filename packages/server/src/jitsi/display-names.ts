// The name Jitsi shows for a participant. Jitsi's UI is not ours, so the account a person came in with travels in
// the name itself (docs/jitsi.md, "Names in the call"): "Dr. Alice" typed by bob shows as "Dr. Alice (bob)".

/** Appended to a guest's name: fixed and short, since V4H does not know the language Jitsi's UI is in. */
export const GUEST_MARK = '(guest)';

/** Who a participant came in as: an account (its username) or a guest link. */
export type Arrival = { username: string } | { guest: true };

/**
 * `name (username)` for an account, or just `name` when it is the username (compared as usernames are: NFC,
 * case-insensitive); `name (guest)` for a guest link.
 */
export function accountMarkedName(name: string, arrival: Arrival): string {
  if ('guest' in arrival) return `${name} ${GUEST_MARK}`;
  if (name.trim().normalize('NFC').toLowerCase() === arrival.username) return name;
  return `${name} (${arrival.username})`;
}
