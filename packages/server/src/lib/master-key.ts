// The master key's text form (V4H_MASTER_KEY): read by config.ts to validate it and by secrets.ts and storage to use it.

/** Parses a master key: 32 bytes as 64 hex digits or as base64/base64url. Throws a message naming what is wrong. */
export function parseMasterKey(text: string): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) {
    const key = Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
    if (key.length === 32) return key;
  }
  throw new Error('a master key is 32 bytes: 64 hex digits or 43 base64url characters (generate one with `openssl rand -hex 32`)');
}
