import { V4HError } from './errors.js';
const encoder = new TextEncoder();
/**
 * Verifies a webhook delivery and returns its event; rejects with a V4HError `invalid_signature` when the header is
 * missing or malformed, too old, or no `v1` matches (during a secret rotation either secret's signature is accepted).
 * Pass the body exactly as received (the raw bytes or text), before any JSON parsing.
 * @example
 * const event = await V4H.verifyWebhook(rawBody, request.headers['v4h-signature'], process.env.V4H_WEBHOOK_SECRET);
 * if (event.type === 'conference.ended') …
 */
export async function verifyWebhook(rawBody, header, secret, options = {}) {
    if (!header)
        throw refused('missing V4H-Signature header');
    let t;
    const given = [];
    for (const part of header.split(',')) {
        const at = part.indexOf('=');
        const key = part.slice(0, at).trim();
        const value = part.slice(at + 1).trim();
        if (key === 't')
            t = value;
        else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value))
            given.push(value.toLowerCase());
    }
    if (!t || !/^\d{1,12}$/.test(t) || given.length === 0)
        throw refused('V4H-Signature is not t=<unix seconds>,v1=<hex>');
    const tolerance = options.toleranceSeconds ?? 300;
    if (Math.abs((options.now ?? Date.now()) / 1000 - Number(t)) > tolerance)
        throw refused('V4H-Signature is too old (or from the future)');
    const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
    const signed = new Uint8Array(t.length + 1 + body.length);
    signed.set(encoder.encode(`${t}.`));
    signed.set(body, t.length + 1);
    const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    for (const hex of given) {
        // WebCrypto's verify compares in constant time.
        if (await crypto.subtle.verify('HMAC', key, fromHex(hex), signed)) {
            const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
            return JSON.parse(text);
        }
    }
    throw refused('V4H-Signature does not match (wrong secret, or the body was changed)');
}
const refused = (message) => new V4HError('invalid_signature', message);
function fromHex(hex) {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++)
        bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return bytes;
}
//# sourceMappingURL=verify-webhook.js.map