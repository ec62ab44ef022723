import type { WebhookEvent } from '@v4h/protocol';
export type { WebhookEvent };
export interface VerifyWebhookOptions {
  /** How far the signature's time may be from now, in seconds (default 300): older deliveries are refused as replays. */
  toleranceSeconds?: number;
  /** Now, in milliseconds since the epoch (default Date.now()): for tests. */
  now?: number;
}
/**
 * Verifies a webhook delivery and returns its event; rejects with a V4HError `invalid_signature` when the header is
 * missing or malformed, too old, or no `v1` matches (during a secret rotation either secret's signature is accepted).
 * Pass the body exactly as received (the raw bytes or text), before any JSON parsing.
 * @example
 * const event = await V4H.verifyWebhook(rawBody, request.headers['v4h-signature'], process.env.V4H_WEBHOOK_SECRET);
 * if (event.type === 'conference.ended') …
 */
export declare function verifyWebhook(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  options?: VerifyWebhookOptions,
): Promise<WebhookEvent>;
