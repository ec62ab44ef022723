// Checks Jitsi's event posts: JaaS's `X-Jaas-Signature: t=<unix>,v1=<base64 HMAC-SHA256(secret, "<t>.<raw body>")>`
// within a bounded clock skew, compared in constant time. (event_sync's bearer secret: lib/bearer.ts.)
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a JaaS signature's time may be from ours (seconds): older posts are refused as replays. */
export const JAAS_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The accepted signature (to refuse its replay), or a reason for refusing the post. */
export function verifyJaasSignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowMs: number,
): { ok: true; signature: string } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'missing X-Jaas-Signature' };
  const parts = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim(), [...(parts.get(part.slice(0, at).trim()) ?? []), part.slice(at + 1).trim()]);
  }
  const t = parts.get('t')?.[0];
  if (!t || !/^\d{1,12}$/.test(t)) return { ok: false, reason: 'X-Jaas-Signature has no valid t=' };
  if (Math.abs(nowMs / 1000 - Number(t)) > JAAS_SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'X-Jaas-Signature is too old or from the future' };
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  for (const v1 of parts.get('v1') ?? []) {
    const given = Buffer.from(v1, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, signature: expected.toString('base64') };
  }
  return { ok: false, reason: 'X-Jaas-Signature does not match' };
}
