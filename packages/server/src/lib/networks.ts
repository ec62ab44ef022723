// Address ranges written as text (V4H_WEBHOOKS_ALLOWED_NETWORKS): validated once by config.ts, used by webhooks/.
import { isIP } from 'node:net';

/** Parses a comma-separated list of addresses and CIDRs (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`): throws a message naming a bad one. */
export function parseNetworks(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((cidr) => {
      const [net, prefix, extra] = cidr.split('/');
      const version = isIP(net ?? '');
      const max = version === 6 ? 128 : 32;
      if (!version || extra !== undefined || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max))) {
        throw new Error(`not an address or CIDR: "${cidr}"`);
      }
      return cidr;
    });
}
