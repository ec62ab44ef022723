// Whether a JaaS recording link (or a redirect it leads to) points at an allowed host: scheme, host and port all match.
import type { RecordingHost } from '../config.js';

/** The link as a URL when it may be fetched; undefined when it is not a URL or names a host not on the list. */
export function allowedRecordingUrl(raw: string | URL, hosts: readonly RecordingHost[]): URL | undefined {
  let url: URL;
  try {
    url = raw instanceof URL ? raw : new URL(raw);
  } catch {
    return undefined;
  }
  // Credentials in the URL would be sent along; no JaaS link has them.
  if (url.username || url.password) return undefined;
  const scheme = url.protocol.slice(0, -1);
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  const labels = url.hostname.toLowerCase().split('.');
  return hosts.some((entry) => entry.scheme === scheme && entry.port === port && hostMatches(entry.host.split('.'), labels)) ? url : undefined;
}

/** `*` stands for exactly one non-empty DNS label. */
function hostMatches(pattern: string[], labels: string[]): boolean {
  return pattern.length === labels.length && pattern.every((label, i) => (label === '*' ? labels[i] !== '' : label === labels[i]));
}
