// How the access audit keeps a client's address (V4H_AUDIT_ADDRESS): truncated to its network, a keyed hash, whole,
// or not at all. The default, truncated, says where a read came from (an office, a provider) without naming a device.
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { AddressPolicy } from '../config.js';
import { legacyLabelKey } from '../lib/keys.js';

/**
 * The address as the policy keeps it: `truncated` IPv4 to its /24 (`203.0.113.0/24`) and IPv6 to its /48
 * (`2001:db8:42::/48`); `hashed` an HMAC-SHA256 under a key derived from `secret` (`hmac:` and 16 hex digits: the
 * same address gives the same value, which only the server's secret can test); `full` as seen; `none` null.
 */
export function addressKeeper(policy: AddressPolicy, secret: string): (ip: string | undefined) => string | null {
  if (policy === 'none') return () => null;
  if (policy === 'full') return (ip) => ip ?? null;
  if (policy === 'truncated') return remembered(truncate);
  // The label key, not deriveKey: stored hashes are compared with new ones (the same address, the same value), and a
  // new key would make every address already in the audit look like another.
  const key = legacyLabelKey(secret, 'v4h audit addresses');
  return remembered((ip) => `hmac:${createHmac('sha256', key).update(ip).digest('hex').slice(0, 16)}`);
}

/** At most this many addresses are remembered; past that the memory starts over. */
const ADDRESSES_KEPT = 1000;

/**
 * `keep`, remembering its answer per address: every audited read (each getConference poll) asks, and a few addresses
 * (a clinic's network, a proxy) make most of them, while each answer costs a parse or an HMAC. Only in memory.
 */
function remembered(keep: (ip: string) => string | null): (ip: string | undefined) => string | null {
  let known = new Map<string, string | null>();
  return (ip) => {
    if (ip === undefined) return null;
    let kept = known.get(ip);
    if (kept === undefined) {
      kept = keep(ip);
      if (known.size >= ADDRESSES_KEPT) known = new Map();
      known.set(ip, kept);
    }
    return kept;
  };
}

/** IPv4 to /24, IPv6 to /48 (an IPv4-mapped IPv6 address as IPv4); anything else (not an address) to null. */
export function truncate(ip: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const v4 = mapped ?? ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  const bare = ip.split('%')[0];
  if (!isIPv6(bare)) return null;
  const groups = ipv6Groups(bare);
  return `${groups
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::/48`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 part converted). */
function ipv6Groups(ip: string): number[] {
  const parse = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((g) => {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        return [(a << 8) | b, (c << 8) | d];
      }
      return [parseInt(g, 16)];
    });
  };
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
