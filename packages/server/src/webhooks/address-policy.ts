// Where webhooks may be sent (SSRF): https URLs only (http for localhost when V4H_WEBHOOKS_ALLOW_HTTP=true), and never
// to a private, loopback, link-local or otherwise special address unless V4H_WEBHOOKS_ALLOWED_NETWORKS lists it. Names
// are resolved here, every address they resolve to is checked, and the request connects to the one checked (pinned).
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import { AppError } from '../errors.js';

/** How names are resolved: every address of a name (dns.lookup with `all`); tests swap in their own. */
export type Resolve = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface NetworkPolicy {
  /** http: URLs to localhost (and loopback addresses for them): a receiver on the developer's machine. */
  allowHttp: boolean;
  /** CIDRs allowed although special (an EHR on the clinic's network): `10.1.0.0/16`, `fd00::/8`. */
  allowedNetworks: string[];
}

// Not the public internet: RFC 6890 special-purpose ranges, multicast and reserved. IPv4-mapped IPv6 is checked as IPv4.
const SPECIAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  SPECIAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses, private ones included
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  SPECIAL.addSubnet(net, prefix, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const LOCALHOST_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `::ffff:10.0.0.1` → `10.0.0.1` (an IPv4 address written as IPv6 goes where the IPv4 address does). */
function unmapped(address: string): { address: string; type: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1], type: 'ipv4' };
  return { address, type: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export class WebhookAddressPolicy {
  readonly #allowHttp: boolean;
  readonly #allowed = new BlockList();

  constructor(policy: NetworkPolicy) {
    this.#allowHttp = policy.allowHttp;
    for (const cidr of policy.allowedNetworks) {
      const [net, prefix] = cidr.split('/');
      const type = isIP(net) === 6 ? 'ipv6' : 'ipv4';
      this.#allowed.addSubnet(net, Number(prefix ?? (type === 'ipv6' ? 128 : 32)), type);
    }
  }

  /** The URL when it may be registered; else 400 `bad_request` saying why. Names are resolved at each delivery. */
  checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new AppError('bad_request', 'webhook url: not a URL');
    }
    if (url.username || url.password) throw new AppError('bad_request', 'webhook url: credentials in the URL are not accepted (use the signature)');
    if (url.hash) throw new AppError('bad_request', 'webhook url: no #fragment');
    const localhost = LOCALHOST_NAMES.has(url.hostname);
    if (url.protocol === 'http:') {
      if (!this.#allowHttp) throw new AppError('bad_request', 'webhook url: https only (http: for localhost needs V4H_WEBHOOKS_ALLOW_HTTP=true)');
      if (!localhost) throw new AppError('bad_request', 'webhook url: http: only for localhost; others need https');
    } else if (url.protocol !== 'https:') {
      throw new AppError('bad_request', 'webhook url: https only');
    }
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !this.addressAllowed(literal, url))
      throw new AppError('bad_request', `webhook url: address ${literal} is not allowed (private or special)`);
    return url;
  }

  /** Whether a resolved address may be connected to for this URL. */
  addressAllowed(address: string, url: URL): boolean {
    const ip = unmapped(address);
    if (this.#allowed.check(ip.address, ip.type)) return true;
    if (this.#allowHttp && LOCALHOST_NAMES.has(url.hostname) && LOOPBACK.check(ip.address, ip.type)) return true;
    return !SPECIAL.check(ip.address, ip.type);
  }

  /**
   * The address to connect to: the URL's host resolved, every address checked (one refused refuses the host: a name
   * must not sometimes point inside). Throws a WebhookRefused naming the address.
   */
  async resolve(url: URL, resolve: Resolve): Promise<{ address: string; family: 4 | 6 }> {
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(literal) ? [{ address: literal, family: isIP(literal) }] : await resolve(url.hostname);
    if (addresses.length === 0) throw new WebhookRefused(`${url.hostname} resolves to no address`);
    for (const { address } of addresses) {
      if (!this.addressAllowed(address, url)) throw new WebhookRefused(`${url.hostname} resolves to ${address}, which is not allowed (private or special)`);
    }
    const first = addresses[0];
    return { address: first.address, family: first.family === 6 ? 6 : 4 };
  }
}

/** A delivery not attempted: its address is not allowed. */
export class WebhookRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookRefused';
  }
}
