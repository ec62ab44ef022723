// Checks a V4H webhook's `V4H-Signature` (t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>) with WebCrypto, so
// the same code runs in Node (≥ 20) and in browsers. In the ESM build only (`V4H.verifyWebhook`): /v4h.js stays small.
import type { WebhookEvent } from '@v4h/protocol';
import { V4HError } from './errors.js';

export type { WebhookEvent };

export interface VerifyWebhookOptions {
  /** How far the signature's time may be from now, in seconds (default 300): older deliveries are refused as replays. */
  toleranceSeconds?: number;
  /** Now, in milliseconds since the epoch (default Date.now()): for tests. */
  now?: number;
}

const encoder = new TextEncoder();

/**
 * Verifies a webhook delivery and returns its event; rejects with a V4HError `invalid_signature` when the header is
 * missing or malformed, too old, or no `v1` matches (during a secret rotation either secret's signature is accepted).
 * Pass the body exactly as received (the raw bytes or text), before any JSON parsing.
 * @example
 * const event = await V4H.verifyWebhook(rawBody, request.headers['v4h-signature'], process.env.V4H_WEBHOOK_SECRET);
 * if (event.type === 'conference.ended') …
 */
export async function verifyWebhook(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  if (!header) throw refused('missing V4H-Signature header');
  let t: string | undefined;
  const given: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') t = value;
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) given.push(value.toLowerCase());
  }
  if (!t || !/^\d{1,12}$/.test(t) || given.length === 0) throw refused('V4H-Signature is not t=<unix seconds>,v1=<hex>');
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs((options.now ?? Date.now()) / 1000 - Number(t)) > tolerance) throw refused('V4H-Signature is too old (or from the future)');
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const signed = new Uint8Array(t.length + 1 + body.length);
  signed.set(encoder.encode(`${t}.`));
  signed.set(body, t.length + 1);
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  for (const hex of given) {
    // WebCrypto's verify compares in constant time.
    if (await crypto.subtle.verify('HMAC', key, fromHex(hex), signed)) {
      const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
      return JSON.parse(text) as WebhookEvent;
    }
  }
  throw refused('V4H-Signature does not match (wrong secret, or the body was changed)');
}

const refused = (message: string) => new V4HError('invalid_signature', message);

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
