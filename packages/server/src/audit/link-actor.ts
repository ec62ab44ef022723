// The audit's name for a reader who holds a link rather than an account: the link's kind and a hash of its secret.
import { createHash } from 'node:crypto';

/**
 * `verification-link:<16 hex>` or `signed-link:<16 hex>`: the first 64 bits of the SHA-256 of the link's token (a
 * verification link's token; a signed download link's signature). Whoever issued or holds the link can compute it and
 * find its reads; the audit itself holds nothing that would open the link.
 */
export function linkActor(kind: 'verification-link' | 'signed-link', secret: string): string {
  return `${kind}:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}
